package kindcluster

import (
	"archive/tar"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// apiServer is a TLS server on loopback standing in for a kind API server:
// it answers GET /readyz with status (200 unless set) and counts the asks.
type apiServer struct {
	*httptest.Server
	status atomic.Int32
	asks   atomic.Int32
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	s := &apiServer{}
	s.status.Store(http.StatusOK)
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || r.Header.Get("Authorization") != "Bearer test-token" {
			http.Error(w, "unexpected "+r.URL.Path, http.StatusNotFound)
			return
		}
		s.asks.Add(1)
		w.WriteHeader(int(s.status.Load()))
	}))
	t.Cleanup(s.Close)
	return s
}

// kubeconfig returns a kubeconfig for the server, as kind writes one.
func (s *apiServer) kubeconfig(t *testing.T, cluster string) string {
	t.Helper()
	key := "kind-" + cluster
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	cfg := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{key: {Server: s.URL, CertificateAuthorityData: ca}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{key: {Token: "test-token"}},
		Contexts:       map[string]*clientcmdapi.Context{key: {Cluster: key, AuthInfo: key}},
		CurrentContext: key,
	}
	b, err := clientcmd.Write(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// world is a kind that works: a FakeProvider whose clusters exist between
// Create and Delete, with the API servers of the two kubeconfigs.
type world struct {
	t        *testing.T
	external *apiServer
	internal *apiServer
	nodes    []string
	// createErrs are the results of successive Creates; nil after them.
	createErrs []error

	mu     sync.Mutex
	exists map[string]bool
	loaded map[string][]byte
}

func newWorld(t *testing.T) *world {
	return &world{
		t: t, external: newAPIServer(t), internal: newAPIServer(t),
		nodes:  []string{"control-plane"},
		exists: map[string]bool{}, loaded: map[string][]byte{},
	}
}

// provider returns the fake; each cluster's nodes are named <cluster>-<node>.
func (w *world) provider() *FakeProvider {
	return &FakeProvider{
		T: w.t,
		CreateFunc: func(name string, o CreateOptions) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			if o.Config == nil || o.KubeconfigPath == "" || o.WaitForReady <= 0 {
				return errors.New("create options incomplete")
			}
			w.exists[name] = true // a failed create leaves nodes too
			if len(w.createErrs) > 0 {
				err := w.createErrs[0]
				w.createErrs = w.createErrs[1:]
				return err
			}
			return nil
		},
		DeleteFunc: func(name, _ string) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			delete(w.exists, name)
			return nil
		},
		NodesFunc: func(name string) ([]string, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if !w.exists[name] {
				return nil, nil
			}
			var ns []string
			for _, n := range w.nodes {
				ns = append(ns, name+"-"+n)
			}
			return ns, nil
		},
		KubeConfigFunc: func(name string, internal bool) (string, error) {
			if internal {
				return w.internal.kubeconfig(w.t, name), nil
			}
			return w.external.kubeconfig(w.t, name), nil
		},
		LoadImageFunc: func(_, node string, r io.Reader) error {
			b, err := io.ReadAll(r)
			w.mu.Lock()
			defer w.mu.Unlock()
			w.loaded[node] = b
			return err
		},
		CollectLogsFunc: func(name, dir string) error {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "kind-version.txt"), []byte("kind v0.30.0"), 0o644)
		},
	}
}

// archive writes a docker-archive-like tar and returns its path and bytes.
func archive(t *testing.T) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, e := range []struct{ name, body string }{
		{"blobs/sha256/aa", "layer"},
		{"manifest.json", `[{"Config":"blobs/sha256/bb","RepoTags":["app:pr-1"],"Layers":["blobs/sha256/aa"]}]`},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// options returns Options for a test cluster with the world's fakes.
func (w *world) options(p Provider, r Runner) Options {
	return Options{
		KubernetesVersion: "v1.33.4",
		Name:              "shipgate-test",
		Workspace:         w.t.TempDir(),
		ReportDir:         w.t.TempDir(),
		WaitForReady:      time.Second,
		Timeout:           20 * time.Second,
		Logf:              w.t.Logf,
		Provider:          p,
		Runner:            r,
	}
}
