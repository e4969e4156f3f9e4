package build

import (
	"bytes"
	"flag"
	"io"
	"log"
	"math/rand"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/publish"
	"github.com/shipgate/shipgate/internal/stage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// clock is the fixed time of every test run.
var clock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// newEnv is a stage environment inside Actions with a fixed clock, no
// GitHub client, and GITHUB_OUTPUT in a temporary file; outputs reads it.
func newEnv(t *testing.T, in stage.Inputs) (env *stage.Env, outputs func() map[string]string, stdout *bytes.Buffer) {
	t.Helper()
	outFile := filepath.Join(t.TempDir(), "github_output")
	if err := os.WriteFile(outFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outFile, "GITHUB_ACTOR": "octocat"}
	stdout = &bytes.Buffer{}
	rt := actionio.New(func(k string) string { return vars[k] }, stdout)
	now := func() time.Time { return clock }
	env = &stage.Env{Inputs: in, RT: rt, Now: now, Publisher: publish.New(rt, nil, "", "", now)}
	outputs = func() map[string]string {
		data, err := os.ReadFile(outFile)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, m := range regexp.MustCompile(`(?s)([\w-]+)<<(\S+)\n(.*?)\n(\S+)\n`).FindAllStringSubmatch(string(data), -1) {
			if m[2] != m[4] {
				t.Fatalf("GITHUB_OUTPUT delimiters differ: %q", m[0])
			}
			got[m[1]] = m[3]
		}
		return got
	}
	return env, outputs, stdout
}

// testStage retries fast and uses no credentials of this machine.
var testStage = Stage{Registry: []imageindex.Option{
	imageindex.WithKeychain(authn.NewMultiKeychain()),
	imageindex.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 2}),
}}

// newRegistry starts an in-memory registry on loopback and returns its
// octo/shop repository.
func newRegistry(t *testing.T) (name.Repository, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(u.Host + "/octo/shop")
	if err != nil {
		t.Fatal(err)
	}
	return repo, srv
}

// pushImage pushes a generated image (the same for the same seed) whose
// config says it is built for platform, and returns its digest.
func pushImage(t *testing.T, repo name.Repository, platform string, seed int64) v1.Hash {
	t.Helper()
	img, err := random.Image(1024, 2, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Digest(d.String()), img, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	return d
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
