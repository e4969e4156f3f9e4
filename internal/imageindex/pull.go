package imageindex

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ArchiveTag is the tag PullForPlatform gives the image in the archive, and
// so the name pods must use after `kind load image-archive`, spelled out as
// containerd names images (docker.io/library/nginx:1): ref's tag, or
// sha256-<hex> when ref is a digest. An image loaded from an archive gets a
// new manifest digest, so a digest reference would not find it.
func ArchiveTag(ref string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	tag := strings.ReplaceAll(r.Identifier(), ":", "-") // sha256:… → sha256-…
	if t, ok := r.(name.Tag); ok {
		tag = t.TagStr()
	}
	// Spell the name out as containerd does: docker.io/library/nginx.
	host := r.Context().RegistryStr()
	if host == name.DefaultRegistry {
		host = "docker.io"
	}
	return host + "/" + r.Context().RepositoryStr() + ":" + tag, nil
}

// PullForPlatform pulls ref's image for platform (an index's matching child,
// or a single-platform image built for it) into a docker-archive tarball at
// archivePath, tagged ArchiveTag(ref). It returns the image's manifest
// digest in the registry.
func PullForPlatform(ctx context.Context, ref string, platform v1.Platform, archivePath string, opts ...Option) (string, error) {
	o := build(opts)
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	tagName, err := ArchiveTag(ref)
	if err != nil {
		return "", err
	}
	tag, err := name.NewTag(tagName)
	if err != nil {
		return "", fmt.Errorf("archive tag %q: %w", tagName, err)
	}
	desc, err := remote.Get(r, o.remote(ctx)...)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", ref, err)
	}
	var img v1.Image
	switch {
	case desc.MediaType.IsIndex():
		if img, err = child(desc, platform); err != nil {
			return "", fmt.Errorf("%s: %w", ref, err)
		}
	case isImage(desc.MediaType):
		if img, err = desc.Image(); err != nil {
			return "", fmt.Errorf("read image %s: %w", ref, err)
		}
	default:
		return "", fmt.Errorf("%s is a %s, neither an image nor an index", ref, desc.MediaType)
	}
	// The index entry is a claim; the config says what the image is.
	cf, err := img.ConfigFile()
	if err != nil {
		return "", fmt.Errorf("read config of %s: %w", ref, err)
	}
	if built := cf.Platform(); built == nil || !Same(*built, platform) {
		return "", fmt.Errorf("%s: the image is built for %s/%s, not %s", ref, cf.OS, cf.Architecture, Format(platform))
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("digest of %s: %w", ref, err)
	}
	o.logf("pulling %s@%s (%s) into %s", r.Context(), d, Format(platform), archivePath)
	// Write beside the target and rename, so a failed pull leaves no
	// half-written archive for kind to load.
	tmp := archivePath + ".partial"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s@%s to %s: %w", r.Context(), d, archivePath, err)
	}
	if err := os.Rename(tmp, archivePath); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", archivePath, err)
	}
	return d.String(), nil
}

// child picks the index entry for platform; attestations (platform
// unknown/unknown) never match.
func child(desc *remote.Descriptor, platform v1.Platform) (v1.Image, error) {
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	var have []string
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" || !isImage(m.MediaType) {
			continue
		}
		if Same(*m.Platform, platform) {
			img, err := idx.Image(m.Digest)
			if err != nil {
				return nil, fmt.Errorf("read %s image %s: %w", Format(platform), m.Digest, err)
			}
			return img, nil
		}
		have = append(have, Format(*m.Platform))
	}
	return nil, fmt.Errorf("the index has no %s image (it has: %s); build the image for the runner's platform too", Format(platform), strings.Join(have, ", "))
}
