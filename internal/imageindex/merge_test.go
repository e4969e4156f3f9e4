package imageindex

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// problem is a Problem reduced to what a table states.
type problem struct {
	Kind     Kind
	Platform string
}

func summarize(t *testing.T, ps []Problem) []problem {
	t.Helper()
	var out []problem
	for _, p := range ps {
		// Every problem names its platform in the title and the message.
		if p.Platform != "" && (!strings.HasPrefix(p.Title, p.Platform+": ") || !strings.Contains(p.Message, p.Platform)) {
			t.Errorf("problem %s does not name its platform %q: %q / %q", p.Kind, p.Platform, p.Title, p.Message)
		}
		out = append(out, problem{p.Kind, p.Platform})
	}
	return out
}

func TestMerge(t *testing.T) {
	t.Parallel()
	type child struct {
		platform string // as the digests input names it
		built    string // what the image's config says; "" = never pushed
		oci      bool
	}
	tests := []struct {
		name      string
		platforms string
		children  []child
		want      []problem
		wantType  types.MediaType
	}{
		{
			name:      "docker children make a docker manifest list",
			platforms: "linux/amd64,linux/arm64",
			children:  []child{{"linux/amd64", "linux/amd64", false}, {"linux/arm64", "linux/arm64", false}},
			wantType:  types.DockerManifestList,
		},
		{
			name:      "OCI children make an OCI index",
			platforms: "linux/amd64,linux/arm64,linux/arm/v7",
			children:  []child{{"linux/arm/v7", "linux/arm/v7", true}, {"linux/arm64", "linux/arm64", true}, {"linux/amd64", "linux/amd64", true}},
			wantType:  types.OCIImageIndex,
		},
		{
			name:      "arm64 config with variant v8 is linux/arm64",
			platforms: "linux/arm64",
			children:  []child{{"linux/arm64", "linux/arm64/v8", false}},
			wantType:  types.DockerManifestList,
		},
		{
			name:      "missing platform",
			platforms: "linux/amd64,linux/arm64",
			children:  []child{{"linux/amd64", "linux/amd64", false}},
			want:      []problem{{Missing, "linux/arm64"}},
		},
		{
			name:      "wrong architecture",
			platforms: "linux/amd64,linux/arm64",
			children:  []child{{"linux/amd64", "linux/amd64", false}, {"linux/arm64", "linux/amd64", false}},
			want:      []problem{{Mismatch, "linux/arm64"}},
		},
		{
			name:      "wrong variant",
			platforms: "linux/arm/v7",
			children:  []child{{"linux/arm/v7", "linux/arm/v6", false}},
			want:      []problem{{Mismatch, "linux/arm/v7"}},
		},
		{
			name:      "unknown digest",
			platforms: "linux/amd64,linux/arm64",
			children:  []child{{"linux/amd64", "linux/amd64", false}, {"linux/arm64", "", false}},
			want:      []problem{{Unknown, "linux/arm64"}},
		},
		{
			name:      "extra platform",
			platforms: "linux/amd64",
			children:  []child{{"linux/amd64", "linux/amd64", false}, {"linux/s390x", "linux/s390x", false}},
			want:      []problem{{Extra, "linux/s390x"}},
		},
		{
			name:      "duplicate platform",
			platforms: "linux/arm64",
			children:  []child{{"linux/arm64", "linux/arm64", false}, {"linux/arm64/v8", "linux/arm64", false}},
			want:      []problem{{Duplicate, "linux/arm64"}},
		},
		{
			name:      "mixed media types",
			platforms: "linux/amd64,linux/arm64",
			children:  []child{{"linux/amd64", "linux/amd64", true}, {"linux/arm64", "linux/arm64", false}},
			want:      []problem{{MediaType, "linux/arm64"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := newRegistry(t, nil)
			req := Request{Repository: reg.repo, Platforms: platforms(t, tt.platforms), Tags: []string{"1.2.3", "latest"}}
			for i, c := range tt.children {
				img := image(t, c.built, int64(i), c.oci)
				d, err := img.Digest()
				if err != nil {
					t.Fatal(err)
				}
				if c.built != "" {
					d = reg.push(img)
				}
				p, err := ParsePlatform(c.platform)
				if err != nil {
					t.Fatal(err)
				}
				req.Children = append(req.Children, Child{Platform: p, Digest: d})
			}
			out, err := Merge(t.Context(), req, reg.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(t, out.Children.Problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if len(tt.want) > 0 {
				// Nothing is pushed for children with problems.
				if out.Index != nil || out.OK() {
					t.Errorf("Merge pushed an index despite problems: %+v", out)
				}
				for _, tag := range req.Tags {
					if _, err := remote.Head(reg.repo.Tag(tag), remote.WithContext(t.Context())); !notFound(err) {
						t.Errorf("tag %s after a failed merge: err = %v, want 404", tag, err)
					}
				}
				return
			}
			checkPushed(t, reg, req, out, tt.wantType)
		})
	}
}

// checkPushed reads the index back independently of Verify: the tags point
// at it, it has each requested platform once, with the child that was
// handed on for it.
func checkPushed(t *testing.T, reg *testRegistry, req Request, out Outcome, wantType types.MediaType) {
	t.Helper()
	if !out.OK() || out.Index == nil {
		t.Fatalf("Merge: not OK: %+v", out)
	}
	if out.MediaType != wantType {
		t.Errorf("index media type = %s, want %s", out.MediaType, wantType)
	}
	if diff := cmp.Diff(req.Tags, out.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	for _, tag := range req.Tags {
		got, err := remote.Head(reg.repo.Tag(tag), remote.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest != out.Digest || got.MediaType != wantType {
			t.Errorf("tag %s = %s %s, want %s %s", tag, got.Digest, got.MediaType, out.Digest, wantType)
		}
	}
	idx, err := remote.Index(reg.repo.Digest(out.Digest.String()), remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	handed := map[string]string{}
	for _, c := range req.Children {
		handed[Key(c.Platform)] = c.Digest.String()
	}
	var got, want []string
	for _, m := range im.Manifests {
		got = append(got, Format(*m.Platform)+"="+m.Digest.String())
	}
	var readBack []string
	for _, e := range out.Index.Entries {
		readBack = append(readBack, Format(*e.Platform)+"="+e.Digest.String())
		if e.Built == nil || !Same(*e.Built, *e.Platform) || e.ImageSize <= e.ManifestSize {
			t.Errorf("read-back entry %s: built %v, image size %d", Format(*e.Platform), e.Built, e.ImageSize)
		}
	}
	for _, p := range req.Platforms {
		want = append(want, Format(p)+"="+handed[Key(p)])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("index in the registry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, readBack); diff != "" {
		t.Errorf("Outcome.Index entries (-want +got):\n%s", diff)
	}
}

// A build job that pushes with docker buildx's default provenance hands on
// an index of its image and an attestation; the image goes in the index.
func TestMergeUnwrapsAttestedChild(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t, nil)
	amd, arm := image(t, "linux/amd64", 1, true), image(t, "linux/arm64", 2, true)
	attestation := image(t, "", 3, true)
	reg.push(amd)
	reg.push(arm)
	reg.push(attestation)
	wrapped := reg.pushIndex(types.OCIImageIndex, entry{platform: "linux/arm64", img: arm}, entry{platform: "unknown/unknown", img: attestation})
	amdDigest, _ := amd.Digest()
	armDigest, _ := arm.Digest()
	wrappedDigest, err := v1.NewHash(wrapped.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Repository: reg.repo, Platforms: platforms(t, "linux/amd64,linux/arm64"), Children: []Child{
		{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}, Digest: amdDigest},
		{Platform: v1.Platform{OS: "linux", Architecture: "arm64"}, Digest: wrappedDigest},
	}}
	out, err := Merge(t.Context(), req, reg.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !out.OK() {
		t.Fatalf("Merge: %+v", out)
	}
	var got []string
	for _, e := range out.Index.Entries {
		got = append(got, e.Digest.String())
	}
	if diff := cmp.Diff([]string{amdDigest.String(), armDigest.String()}, got); diff != "" {
		t.Errorf("index children (-want +got):\n%s", diff)
	}
	if out.Children.Entries[1].Via != wrappedDigest {
		t.Errorf("arm64 child Via = %s, want %s", out.Children.Entries[1].Via, wrappedDigest)
	}
}

// Registry answers of 503 are retried; a registry nobody answers at is an
// error, not a finding.
func TestMergeRegistryTrouble(t *testing.T) {
	t.Parallel()
	var failures atomic.Int32
	reg := newRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") && failures.Add(1) <= 2 {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	d := reg.pushImage("linux/amd64", 1, false)
	req := Request{Repository: reg.repo, Platforms: platforms(t, "linux/amd64"), Children: []Child{{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}, Digest: d}}}
	failures.Store(0)
	out, err := Merge(t.Context(), req, reg.opts...)
	if err != nil || !out.OK() {
		t.Fatalf("Merge after two 503s: %+v, %v", out, err)
	}
	if n := failures.Load(); n <= 2 {
		t.Errorf("the registry answered only %d manifest requests, the 503s included", n)
	}

	gone := newRegistry(t, nil)
	gone.srv.Close()
	req.Repository = gone.repo
	if _, err := Merge(t.Context(), req, gone.opts...); err == nil || !strings.Contains(err.Error(), gone.repo.RegistryStr()) {
		t.Errorf("Merge with the registry down: err = %v, want one naming %s", err, gone.repo.RegistryStr())
	}
}
