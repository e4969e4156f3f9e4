package imageindex

import (
	"io"
	"log"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is go-containerregistry's in-memory registry on loopback,
// speaking the real distribution protocol.
type testRegistry struct {
	t    *testing.T
	srv  *httptest.Server
	repo name.Repository
	opts []Option
}

// newRegistry starts a registry; wrap, when set, sits in front of it.
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(u.Host + "/octo/shop")
	if err != nil {
		t.Fatal(err)
	}
	return &testRegistry{t: t, srv: srv, repo: repo, opts: testOptions()}
}

// testOptions are anonymous (no docker config of this machine) and retry fast.
func testOptions() []Option {
	return []Option{
		WithKeychain(authn.NewMultiKeychain()),
		WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 3}),
	}
}

// image is a generated image whose config says it is built for platform
// (os/arch[/variant]); oci selects OCI media types instead of Docker's.
func image(t *testing.T, platform string, seed int64, oci bool) v1.Image {
	t.Helper()
	img, err := random.Image(512, 1, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	if platform != "" {
		p, err := v1.ParsePlatform(platform)
		if err != nil {
			t.Fatal(err)
		}
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	if oci {
		img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	return img
}

// push pushes img by digest and returns the digest.
func (r *testRegistry) push(img v1.Image) v1.Hash {
	r.t.Helper()
	d, err := img.Digest()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := remote.Write(r.repo.Digest(d.String()), img, remote.WithContext(r.t.Context())); err != nil {
		r.t.Fatal(err)
	}
	return d
}

// pushImage pushes a generated image built for platform.
func (r *testRegistry) pushImage(platform string, seed int64, oci bool) v1.Hash {
	r.t.Helper()
	return r.push(image(r.t, platform, seed, oci))
}

// entry is one index entry to craft by hand: the platform it claims and
// the image behind it.
type entry struct {
	platform string // "" for an entry without a platform
	img      v1.Image
	mt       types.MediaType // overrides the descriptor's media type
}

// pushIndex pushes an index of the given media type by digest, bypassing
// Merge, so Verify can be shown indexes Merge would never write.
func (r *testRegistry) pushIndex(mt types.MediaType, entries ...entry) name.Digest {
	r.t.Helper()
	var adds []mutate.IndexAddendum
	for _, e := range entries {
		desc := v1.Descriptor{MediaType: e.mt}
		if e.platform != "" {
			p, err := v1.ParsePlatform(e.platform)
			if err != nil {
				r.t.Fatal(err)
			}
			desc.Platform = p
		}
		adds = append(adds, mutate.IndexAddendum{Add: e.img, Descriptor: desc})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, mt), adds...)
	d, err := idx.Digest()
	if err != nil {
		r.t.Fatal(err)
	}
	ref := r.repo.Digest(d.String())
	if err := remote.WriteIndex(ref, idx, remote.WithContext(r.t.Context())); err != nil {
		r.t.Fatal(err)
	}
	return ref
}

func platforms(t *testing.T, list string) []v1.Platform {
	t.Helper()
	ps, err := ParsePlatforms(list)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}
