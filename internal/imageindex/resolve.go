package imageindex

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// resolve reads manifest d of repo and the platform in its config. A
// manifest the registry does not have is an entry with Found false, not an
// error. With unwrap, an index holding exactly one image (plus attestations,
// as docker buildx pushes by default) stands for that image.
func resolve(ctx context.Context, o *options, repo name.Repository, claimed *v1.Platform, d v1.Hash, unwrap bool) (Entry, error) {
	e := Entry{Platform: claimed, Digest: d}
	ref := repo.Digest(d.String())
	desc, err := remote.Get(ref, o.remote(ctx)...)
	if notFound(err) {
		return e, nil
	}
	if err != nil {
		return e, fmt.Errorf("read %s: %w", ref, err)
	}
	e.Found, e.MediaType, e.ManifestSize = true, desc.MediaType, desc.Size
	var img v1.Image
	switch {
	case unwrap && desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return e, fmt.Errorf("read index %s: %w", ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return e, fmt.Errorf("read index %s: %w", ref, err)
		}
		var images []v1.Descriptor
		for _, m := range im.Manifests {
			if isImage(m.MediaType) && (m.Platform == nil || m.Platform.OS != "unknown") {
				images = append(images, m)
			}
		}
		if len(images) != 1 {
			return e, nil // an index of several images: not an image
		}
		e.Via, e.Digest, e.MediaType, e.ManifestSize = d, images[0].Digest, images[0].MediaType, images[0].Size
		if img, err = idx.Image(e.Digest); err != nil {
			return e, fmt.Errorf("read %s in index %s: %w", e.Digest, ref, err)
		}
	case isImage(desc.MediaType):
		if img, err = desc.Image(); err != nil {
			return e, fmt.Errorf("read image %s: %w", ref, err)
		}
	default:
		return e, nil
	}
	m, err := img.Manifest()
	if err != nil {
		return e, fmt.Errorf("read manifest %s: %w", e.Digest, err)
	}
	e.ImageSize = m.Config.Size
	for _, l := range m.Layers {
		e.ImageSize += l.Size
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return e, fmt.Errorf("read config of %s@%s: %w", repo, e.Digest, err)
	}
	e.Built = cf.Platform()
	if e.Built == nil {
		e.Built = &v1.Platform{} // a config without os and architecture
	}
	e.image = img
	return e, nil
}

// notFound reports whether the registry answered 404 (an unknown manifest
// or repository).
func notFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}
