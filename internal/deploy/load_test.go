package deploy_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/result"
)

// writeRepo writes files into a new repository directory.
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// startRegistry is go-containerregistry's registry on loopback holding
// host/example/web:1.4.0; it returns the host.
func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/example/web:1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	return host
}

// goneHost is a loopback address where nothing listens any more.
func goneHost(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return strings.TrimPrefix(srv.URL, "http://")
}

// anonymous reads no docker config of this machine.
var anonymous = deploy.Registry{Options: []imageindex.Option{imageindex.WithKeychain(authn.NewMultiKeychain())}}

// web is a Deployment whose containers run images; its first image field
// is on line 15, the next on 17.
func web(images ...string) string {
	s := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
`
	for i, img := range images {
		s += fmt.Sprintf("        - name: c%d\n          image: %s\n", i, img)
	}
	return s
}

// at renders findings as "level path:line title" for comparison.
func at(checks []result.Check, name string) []string {
	var out []string
	for _, c := range checks {
		if c.Name != name {
			continue
		}
		if c.Skipped != "" {
			out = append(out, "skipped: "+c.Skipped)
		}
		for _, f := range c.Findings {
			out = append(out, fmt.Sprintf("%s %s %s", f.Level, f.Location(), f.Title))
		}
	}
	return out
}

func TestLoadImages(t *testing.T) {
	t.Parallel()
	host := startRegistry(t)
	gone := goneHost(t)
	tests := []struct {
		name   string
		images []string
		image  string // the image under test
		skip   string
		want   []string
	}{
		{name: "image in its registry", images: []string{host + "/example/web:1.4.0"}},
		{
			name:   "missing tag and repository at their image lines",
			images: []string{host + "/example/web:1.4.0", host + "/example/web:9.9.9", host + "/never/exists:x"},
			want: []string{
				"failure deploy/web.yaml:17 Image does not exist: " + host + "/example/web:9.9.9",
				"failure deploy/web.yaml:19 Image does not exist: " + host + "/never/exists:x",
			},
		},
		{
			name:   "unreachable registry is a warning naming it, not a missing image",
			images: []string{gone + "/example/web:1", host + "/example/web:1.4.0"},
			want:   []string{"warning  Registry " + gone + " not reached"},
		},
		{
			name:   "the image under test replaces the manifest's",
			images: []string{host + "/example/web:1.4.0"},
			image:  host + "/example/web:pr-7",
			want:   []string{"failure deploy/web.yaml:15 Image does not exist: " + host + "/example/web:pr-7"},
		},
		{name: "skipped with its reason", images: []string{host + "/never/exists:x"}, skip: "no network", want: []string{"skipped: no network"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := writeRepo(t, map[string]string{"deploy/web.yaml": web(tc.images...)})
			reg := anonymous
			reg.Skip = tc.skip
			l, err := deploy.Load(t.Context(), deploy.Options{Root: root, Manifests: "deploy", Image: tc.image, Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, at(l.Checks, deploy.CheckImages)); diff != "" {
				t.Errorf("images check (-want +got):\n%s", diff)
			}
			wantFailed := false
			for _, w := range tc.want {
				wantFailed = wantFailed || strings.HasPrefix(w, "failure")
			}
			if l.Failed() != wantFailed {
				t.Errorf("Failed() = %v, want %v", l.Failed(), wantFailed)
			}
		})
	}
}

func TestLoadManifests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		files     map[string]string
		manifests string
		wantErr   error
		want      []string
	}{
		{name: "no such path", files: map[string]string{"x.txt": ""}, manifests: "deploy", wantErr: deploy.ErrNoPath},
		{name: "glob matching nothing", files: map[string]string{"x.txt": ""}, manifests: "deploy/*.yaml", wantErr: deploy.ErrNoPath},
		{name: "empty directory", files: map[string]string{"deploy/README.md": "nothing here"}, manifests: "deploy", want: []string{"failure  No objects"}},
		{
			name:      "YAML error at its line",
			files:     map[string]string{"deploy/web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: [unclosed\n"},
			manifests: "deploy",
			want:      []string{"failure deploy/web.yaml:6:7 Invalid YAML"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := writeRepo(t, tc.files)
			l, err := deploy.Load(t.Context(), deploy.Options{Root: root, Manifests: tc.manifests, Registry: anonymous})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Load() error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "input manifests") {
					t.Errorf("error %q does not name the input", err)
				}
				return
			}
			if diff := cmp.Diff(tc.want, at(l.Checks, deploy.CheckManifests)); diff != "" {
				t.Errorf("manifests check (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"skipped: the manifests did not load"}, at(l.Checks, deploy.CheckImages)); diff != "" {
				t.Errorf("images check (-want +got):\n%s", diff)
			}
			if !l.Failed() {
				t.Error("Failed() = false")
			}
		})
	}
}
