package imageindex

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entry is one per-platform manifest: a line of the digests input, or an
// entry of an index read back from the registry.
type Entry struct {
	// Platform is what the entry claims; nil for an index entry without one.
	Platform *v1.Platform
	Digest   v1.Hash
	// Via is the digest named when it was an index holding this image (and
	// attestations); zero otherwise.
	Via       v1.Hash
	MediaType types.MediaType
	// ManifestSize is the size of the manifest; ImageSize adds the config
	// and the compressed layers.
	ManifestSize, ImageSize int64
	// Found says the registry has the manifest.
	Found bool
	// Built is the platform in the image's config; nil when the manifest
	// is unknown or not an image.
	Built *v1.Platform
	// image is the resolved child, for assembling the index.
	image v1.Image
}

// Kind says what is wrong.
type Kind string

// The problems an index or its children can have.
const (
	Unknown   Kind = "digest-unknown"     // the registry does not have the manifest
	NotImage  Kind = "not-an-image"       // not a single-platform image manifest
	Missing   Kind = "platform-missing"   // a requested platform has no image
	Duplicate Kind = "platform-duplicate" // a platform has more than one image
	Extra     Kind = "platform-extra"     // an image for a platform nobody asked for
	Mismatch  Kind = "platform-mismatch"  // the image is built for another platform
	MediaType Kind = "media-type"         // Docker and OCI manifests mixed
	TagMoved  Kind = "tag-moved"          // a tag does not point at the index
)

// Problem is one thing wrong with the images; it names the platform.
type Problem struct {
	Kind     Kind
	Platform string // os/arch[/variant]; empty when the entry has none
	Digest   string
	Title    string // one line, starting with the platform
	Message  string // what was found and the fix
}

// check compares entries with the requested platforms. source says where
// the entries come from and starts a sentence: "The digests input".
func check(requested []v1.Platform, entries []Entry, source string) []Problem {
	var problems []Problem
	add := func(k Kind, plat, digest, title, format string, args ...any) {
		if plat != "" {
			title = plat + ": " + title
		}
		problems = append(problems, Problem{Kind: k, Platform: plat, Digest: digest, Title: title, Message: fmt.Sprintf(format, args...)})
	}
	wanted := map[string]bool{}
	var names []string
	for _, p := range requested {
		wanted[Key(p)] = true
		names = append(names, Format(p))
	}
	byKey := map[string][]Entry{}
	for _, e := range entries {
		if e.Platform == nil {
			add(Extra, "", e.Digest.String(), "index entry without a platform", "%s has %s with no platform; every entry must name the platform it was built for.", source, e.Digest)
			continue
		}
		byKey[Key(*e.Platform)] = append(byKey[Key(*e.Platform)], e)
	}
	for _, p := range requested {
		name := Format(p)
		switch got := byKey[Key(p)]; {
		case len(got) == 0:
			add(Missing, name, "", "no image", "%s has no image for %s, which platforms asks for. Check that the %s build job pushed its image and handed on its digest.", source, name, name)
		case len(got) > 1:
			var ds []string
			for _, e := range got {
				ds = append(ds, e.Digest.String())
			}
			add(Duplicate, name, ds[0], fmt.Sprintf("%d images", len(got)), "%s has %d images for %s (%s); keep exactly one.", source, len(got), name, strings.Join(ds, ", "))
		}
	}
	family := map[bool][]string{} // OCI? → platforms
	for _, e := range entries {
		if e.Platform == nil {
			continue
		}
		name, d := Format(*e.Platform), e.Digest.String()
		switch {
		case !wanted[Key(*e.Platform)]:
			add(Extra, name, d, "not requested", "%s has an image for %s (%s), which is not in platforms (%s); add the platform to platforms or drop its digest.", source, name, d, strings.Join(names, ", "))
		case !e.Found:
			add(Unknown, name, d, "unknown digest", "The registry has no manifest %s for %s. The build job must push by digest to the same repository and hand on that digest.", d, name)
		case e.Built == nil:
			add(NotImage, name, d, "not an image", "%s for %s is a %s, not an image manifest; hand on the digest of a single-platform image (e.g. build with provenance: false).", d, name, e.MediaType)
		case !Same(*e.Built, *e.Platform):
			add(Mismatch, name, d, "built for "+Format(*e.Built), "The image %s listed for %s is built for %s (its config says os %q, architecture %q, variant %q). The %s build job built the wrong platform: give its build the matrix platform (platforms: ${{ matrix.platform }} in docker/build-push-action).", d, name, Format(*e.Built), e.Built.OS, e.Built.Architecture, e.Built.Variant, name)
		default:
			oci := e.MediaType == types.OCIManifestSchema1
			family[oci] = append(family[oci], name)
		}
	}
	if len(family[true]) > 0 && len(family[false]) > 0 {
		for _, name := range family[false] {
			add(MediaType, name, "", "Docker manifest among OCI manifests", "%s is a Docker manifest but %s are OCI; an index holds one family. Build every platform with the same exporter settings (e.g. oci-mediatypes).", name, strings.Join(family[true], ", "))
		}
	}
	slices.SortStableFunc(problems, func(a, b Problem) int { return strings.Compare(a.Platform, b.Platform) })
	return problems
}

func isImage(mt types.MediaType) bool {
	return mt == types.OCIManifestSchema1 || mt == types.DockerManifestSchema2
}

// indexType is the index media type for children of the given manifest type.
func indexType(child types.MediaType) types.MediaType {
	if child == types.DockerManifestSchema2 {
		return types.DockerManifestList
	}
	return types.OCIImageIndex
}
