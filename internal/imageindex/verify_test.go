package imageindex

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Verify is shown indexes that Merge would never write, pushed straight to
// the registry: each broken one must be caught, naming the platform.
func TestVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(r *testRegistry) []entry
		mt    types.MediaType
		after func(t *testing.T, r *testRegistry, es []entry) // e.g. delete a child
		want  []problem
	}{
		{
			name: "good index",
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}, {platform: "linux/arm64", img: image(r.t, "linux/arm64", 2, false)}}
			},
		},
		{
			name: "missing platform",
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}}
			},
			want: []problem{{Missing, "linux/arm64"}},
		},
		{
			name: "arm64 entry holds an amd64 image",
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}, {platform: "linux/arm64", img: image(r.t, "linux/amd64", 2, false)}}
			},
			want: []problem{{Mismatch, "linux/arm64"}},
		},
		{
			name: "extra platform",
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}, {platform: "linux/arm64", img: image(r.t, "linux/arm64", 2, false)}, {platform: "linux/ppc64le", img: image(r.t, "linux/ppc64le", 3, false)}}
			},
			want: []problem{{Extra, "linux/ppc64le"}},
		},
		{
			name: "platform twice",
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}, {platform: "linux/arm64", img: image(r.t, "linux/arm64", 2, false)}, {platform: "linux/arm64/v8", img: image(r.t, "linux/arm64", 3, false)}}
			},
			want: []problem{{Duplicate, "linux/arm64"}},
		},
		{
			name: "entry without a platform",
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}, {platform: "linux/arm64", img: image(r.t, "linux/arm64", 2, false)}, {img: image(r.t, "linux/arm64", 3, false)}}
			},
			want: []problem{{Extra, ""}},
		},
		{
			name: "child manifest gone from the registry",
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}, {platform: "linux/arm64", img: image(r.t, "linux/arm64", 2, false)}}
			},
			after: func(t *testing.T, r *testRegistry, es []entry) {
				d, err := es[1].img.Digest()
				if err != nil {
					t.Fatal(err)
				}
				if err := remote.Delete(r.repo.Digest(d.String()), remote.WithContext(t.Context())); err != nil {
					t.Fatal(err)
				}
			},
			want: []problem{{Unknown, "linux/arm64"}},
		},
		{
			name: "docker manifests in an OCI index",
			mt:   types.OCIImageIndex,
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}, {platform: "linux/arm64", img: image(r.t, "linux/arm64", 2, false)}}
			},
			want: []problem{{MediaType, "linux/amd64"}, {MediaType, "linux/arm64"}},
		},
		{
			name: "entry claims another media type",
			build: func(r *testRegistry) []entry {
				return []entry{{platform: "linux/amd64", img: image(r.t, "linux/amd64", 1, false)}, {platform: "linux/arm64", img: image(r.t, "linux/arm64", 2, false), mt: types.OCIManifestSchema1}}
			},
			want: []problem{{MediaType, "linux/arm64"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := newRegistry(t, nil)
			es := tt.build(reg)
			for _, e := range es {
				reg.push(e.img)
			}
			mt := tt.mt
			if mt == "" {
				mt = types.DockerManifestList
			}
			ref := reg.pushIndex(mt, es...)
			if tt.after != nil {
				tt.after(t, reg, es)
			}
			got, err := Verify(t.Context(), ref, platforms(t, "linux/amd64,linux/arm64"), reg.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(t, got.Problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if len(got.Entries) != len(es) {
				t.Errorf("Verify read %d entries, the index has %d", len(got.Entries), len(es))
			}
		})
	}
}

// An index the registry does not have cannot be verified: an error.
func TestVerifyUnknownIndex(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t, nil)
	img := image(t, "linux/amd64", 1, false)
	reg.push(img)
	d, _ := img.Digest() // an image, never an index
	if _, err := Verify(t.Context(), reg.repo.Digest("sha256:"+d.Hex[:63]+"0"), platforms(t, "linux/amd64"), reg.opts...); err == nil {
		t.Error("Verify of an index the registry lacks: no error")
	}
}
