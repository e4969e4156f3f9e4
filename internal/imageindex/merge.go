package imageindex

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Request is an index to assemble.
type Request struct {
	// Repository holds the children and receives the index, e.g. ghcr.io/octo/shop.
	Repository name.Repository
	// Platforms are those asked for: the index has each exactly once.
	Platforms []v1.Platform
	// Children are the images the build jobs pushed.
	Children []Child
	// Tags are pointed at the index once it is verified; none pushes by
	// digest only.
	Tags []string
}

// Child is one build job's image.
type Child struct {
	Platform v1.Platform
	Digest   v1.Hash
}

// Report is a set of entries and what is wrong with them.
type Report struct {
	Entries  []Entry
	Problems []Problem
}

// Outcome is what Merge found and did.
type Outcome struct {
	// Repository is the request's.
	Repository name.Repository
	// Children are the images as the build jobs named them.
	Children Report
	// Index is the pushed index as read back from the registry; nil when
	// the children had problems and nothing was pushed.
	Index *Report
	// Digest and MediaType are the pushed index's.
	Digest    v1.Hash
	MediaType types.MediaType
	// Tags are the tags pointed at the index; TagProblems those that do not
	// point at it when read back.
	Tags        []string
	TagProblems []Problem
}

// Ref is the index as repository@digest; empty when nothing was pushed.
func (o Outcome) Ref() string {
	if o.Index == nil {
		return ""
	}
	return o.Repository.Digest(o.Digest.String()).String()
}

// OK reports whether an index was pushed, verified and tagged without problems.
func (o Outcome) OK() bool {
	return o.Index != nil && len(o.Children.Problems) == 0 && len(o.Index.Problems) == 0 && len(o.TagProblems) == 0
}

// Merge checks the children, assembles their index, pushes it by digest,
// verifies it by reading it back and only then points the tags at it.
// Children with problems stop it before anything is pushed.
func Merge(ctx context.Context, req Request, opts ...Option) (Outcome, error) {
	o := build(opts)
	out := Outcome{Repository: req.Repository}
	// Resolve every child and compare it with what was asked for.
	for _, c := range req.Children {
		e, err := resolve(ctx, o, req.Repository, &c.Platform, c.Digest, true)
		if err != nil {
			return out, fmt.Errorf("%s: %w", Format(c.Platform), err)
		}
		o.logf("%s: %s (%s, %d bytes)", Format(c.Platform), e.Digest, e.MediaType, e.ImageSize)
		out.Children.Entries = append(out.Children.Entries, e)
	}
	if out.Children.Problems = check(req.Platforms, out.Children.Entries, "The digests input"); len(out.Children.Problems) > 0 {
		return out, nil
	}
	// Assemble the index in the order platforms were asked for, in the
	// children's media type family.
	out.MediaType = indexType(out.Children.Entries[0].MediaType)
	var adds []mutate.IndexAddendum
	for _, p := range req.Platforms {
		for _, e := range out.Children.Entries {
			if Same(*e.Platform, p) {
				adds = append(adds, mutate.IndexAddendum{Add: e.image, Descriptor: v1.Descriptor{MediaType: e.MediaType, Platform: &p}})
			}
		}
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, out.MediaType), adds...)
	d, err := idx.Digest()
	if err != nil {
		return out, fmt.Errorf("compute index digest: %w", err)
	}
	out.Digest = d
	// Push by digest, then verify what the registry holds.
	ref := req.Repository.Digest(d.String())
	if err := remote.WriteIndex(ref, idx, o.remote(ctx)...); err != nil {
		return out, fmt.Errorf("push index %s: %w", ref, err)
	}
	o.logf("pushed %s", ref)
	verified, err := Verify(ctx, ref, req.Platforms, opts...)
	if err != nil {
		return out, err
	}
	out.Index = &verified
	if len(verified.Problems) > 0 {
		return out, nil
	}
	// Point the tags at the verified index and read each back.
	for _, t := range req.Tags {
		tag := req.Repository.Tag(t)
		if err := remote.Tag(tag, idx, o.remote(ctx)...); err != nil {
			return out, fmt.Errorf("push tag %s: %w", tag, err)
		}
		got, err := remote.Head(tag, o.remote(ctx)...)
		if err != nil {
			return out, fmt.Errorf("read back tag %s: %w", tag, err)
		}
		if got.Digest != d {
			out.TagProblems = append(out.TagProblems, Problem{Kind: TagMoved, Digest: got.Digest.String(), Title: "tag " + t + " moved",
				Message: fmt.Sprintf("%s points at %s, not at the index %s just pushed; another push changed it.", tag, got.Digest, d)})
			continue
		}
		out.Tags = append(out.Tags, t)
		o.logf("tagged %s", tag)
	}
	return out, nil
}

// Verify reads the index ref from the registry and checks it: every
// requested platform present exactly once, each child an image whose config
// names its entry's platform, all children in the index's media type
// family, nothing extra.
func Verify(ctx context.Context, ref name.Digest, platforms []v1.Platform, opts ...Option) (Report, error) {
	o := build(opts)
	var r Report
	idx, err := remote.Index(ref, o.remote(ctx)...)
	if err != nil {
		return r, fmt.Errorf("read back index %s: %w", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return r, fmt.Errorf("read back index %s: %w", ref, err)
	}
	mt, err := idx.MediaType()
	if err != nil {
		return r, fmt.Errorf("read back index %s: %w", ref, err)
	}
	for _, m := range im.Manifests {
		e, err := resolve(ctx, o, ref.Context(), m.Platform, m.Digest, false)
		if err != nil {
			return r, fmt.Errorf("verify index %s: %w", ref, err)
		}
		r.Entries = append(r.Entries, e)
		if e.Platform == nil || !e.Found {
			continue
		}
		plat := Format(*e.Platform)
		switch {
		case m.MediaType != e.MediaType:
			r.Problems = append(r.Problems, Problem{Kind: MediaType, Platform: plat, Digest: e.Digest.String(),
				Title:   plat + ": entry says " + string(m.MediaType),
				Message: fmt.Sprintf("The index's %s entry says %s but the registry serves %s as %s.", plat, m.MediaType, e.Digest, e.MediaType)})
		case isImage(e.MediaType) && indexType(e.MediaType) != mt:
			r.Problems = append(r.Problems, Problem{Kind: MediaType, Platform: plat, Digest: e.Digest.String(),
				Title:   plat + ": " + string(e.MediaType) + " in a " + string(mt),
				Message: fmt.Sprintf("The index is a %s but its %s entry is a %s; Docker manifest lists hold Docker manifests, OCI indexes OCI manifests.", mt, plat, e.MediaType)})
		}
	}
	r.Problems = append(check(platforms, r.Entries, "The index"), r.Problems...)
	return r, nil
}
