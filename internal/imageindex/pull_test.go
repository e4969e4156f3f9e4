package imageindex

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestPullForPlatform(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t, nil)
	amd, arm := image(t, "linux/amd64", 1, false), image(t, "linux/arm64/v8", 2, false)
	liar := image(t, "linux/amd64", 3, false) // claimed as arm64 below
	for _, img := range []v1.Image{amd, arm, liar} {
		reg.push(img)
	}
	idx := reg.pushIndex(types.DockerManifestList, entry{platform: "linux/amd64", img: amd}, entry{platform: "linux/arm64", img: arm})
	if err := remote.Tag(reg.repo.Tag("pr-12"), mustGet(t, idx), remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	bad := reg.pushIndex(types.DockerManifestList, entry{platform: "linux/amd64", img: amd}, entry{platform: "linux/arm64", img: liar})
	single := reg.repo.Digest(digest(t, amd)).String()
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}

	tests := []struct {
		name     string
		ref      string
		platform v1.Platform
		want     v1.Image // nil: an error containing wantErr
		wantTag  string
		wantErr  string
	}{
		{"index by tag, arm64 child", reg.repo.Tag("pr-12").String(), arm64, arm, reg.repo.Tag("pr-12").String(), ""},
		{"index by digest, amd64 child", idx.String(), amd64, amd, reg.repo.String() + ":sha256-" + strings.TrimPrefix(idx.DigestStr(), "sha256:"), ""},
		{"single-platform image", single, amd64, amd, reg.repo.String() + ":sha256-" + strings.TrimPrefix(digest(t, amd), "sha256:"), ""},
		{"single-platform image of another platform", single, arm64, nil, "", "built for linux/amd64, not linux/arm64"},
		{"index without the platform", idx.String(), v1.Platform{OS: "linux", Architecture: "s390x"}, nil, "", "no linux/s390x image (it has: linux/amd64, linux/arm64)"},
		{"index entry whose config disagrees", bad.String(), arm64, nil, "", "built for linux/amd64, not linux/arm64"},
		{"unknown tag", reg.repo.Tag("nope").String(), amd64, nil, "", "MANIFEST_UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			archive := filepath.Join(t.TempDir(), "image.tar")
			got, err := PullForPlatform(t.Context(), tt.ref, tt.platform, archive, reg.opts...)
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PullForPlatform() error = %v, want one containing %q", err, tt.wantErr)
				}
				if entries, _ := os.ReadDir(filepath.Dir(archive)); len(entries) != 0 {
					t.Errorf("a failed pull left %v behind", entries)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := digest(t, tt.want); got != want {
				t.Errorf("PullForPlatform() = %s, want the child %s", got, want)
			}
			tag, err := name.NewTag(tt.wantTag)
			if err != nil {
				t.Fatal(err)
			}
			// The archive is what `kind load image-archive` reads: a docker
			// archive with the tag, whose image is the platform's.
			m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(archive) })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.wantTag}, m[0].RepoTags); diff != "" {
				t.Errorf("archive RepoTags (-want +got):\n%s", diff)
			}
			img, err := tarball.ImageFromPath(archive, &tag)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !Same(*cf.Platform(), tt.platform) {
				t.Errorf("archive image is built for %s, want %s", Format(*cf.Platform()), Format(tt.platform))
			}
			wantCfg, _ := tt.want.ConfigName()
			if gotCfg, _ := img.ConfigName(); gotCfg != wantCfg {
				t.Errorf("archive config = %s, want the child's %s", gotCfg, wantCfg)
			}
		})
	}
}

func TestArchiveTag(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"ghcr.io/octo/shop:pr-12":                              "ghcr.io/octo/shop:pr-12",
		"ghcr.io/octo/shop@sha256:" + strings.Repeat("ab", 32): "ghcr.io/octo/shop:sha256-" + strings.Repeat("ab", 32),
		"octo/shop":  "docker.io/octo/shop:latest",
		"nginx:1.27": "docker.io/library/nginx:1.27",
	} {
		if got, err := ArchiveTag(ref); err != nil || got != want {
			t.Errorf("ArchiveTag(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := ArchiveTag("Octo/Shop::1"); err == nil {
		t.Error("ArchiveTag of a bad reference: no error")
	}
}

func digest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func mustGet(t *testing.T, ref name.Digest) v1.ImageIndex {
	t.Helper()
	idx, err := remote.Index(ref, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	return idx
}
