package kindcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkPrivate checks that path is a kubeconfig file of mode 0600 that
// points at server.
func checkPrivate(t *testing.T, path string, server *apiServer) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "server: "+server.URL) {
		t.Errorf("%s does not point at %s:\n%s", path, server.URL, b)
	}
}

func TestCreateOutsideContainer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.provider()
	o := w.options(p, &FakeRunner{T: t}) // no docker command expected
	c, err := Create(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Nodes shipgate-test", "Create shipgate-test", "KubeConfig shipgate-test internal=false"}
	if d := cmp.Diff(want, p.Calls()); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	ext := filepath.Join(o.Workspace, ".shipgate", "shipgate-test.kubeconfig")
	if c.ExternalKubeconfigPath != ext || c.KubeconfigPath != ext || c.InternalKubeconfigPath != "" {
		t.Errorf("kubeconfigs: external %s, own %s, internal %q; want %s for both, no internal", c.ExternalKubeconfigPath, c.KubeconfigPath, c.InternalKubeconfigPath, ext)
	}
	checkPrivate(t, ext, w.external)
	if c.RestConfig.Host != w.external.URL || w.external.asks.Load() == 0 || w.internal.asks.Load() != 0 {
		t.Errorf("rest config for %s; /readyz asked %d times externally, %d internally; want the external server only",
			c.RestConfig.Host, w.external.asks.Load(), w.internal.asks.Load())
	}
	pinned, _ := PinnedImages()
	if c.NodeImage != pinned.Images["v1.33.4"] {
		t.Errorf("node image %s", c.NodeImage)
	}
}

func TestCreateInContainer(t *testing.T) {
	t.Parallel()
	const id = "9b8a7c6d5e4f"
	for _, tc := range []struct {
		name   string
		docker error
	}{
		{"connects", nil},
		{"already connected", fmt.Errorf("exit status 1: Error response from daemon: endpoint with name app already exists in network kind")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			p := w.provider()
			r := &FakeRunner{T: t, RunFunc: func(context.Context, string, ...string) ([]byte, error) { return nil, tc.docker }}
			o := w.options(p, r)
			o.InContainer, o.ContainerID = true, id
			c, err := Create(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]string{"docker network connect kind " + id}, r.Calls()); d != "" {
				t.Errorf("docker calls (-want +got):\n%s", d)
			}
			want := []string{"Nodes shipgate-test", "Create shipgate-test", "KubeConfig shipgate-test internal=false", "KubeConfig shipgate-test internal=true"}
			if d := cmp.Diff(want, p.Calls()); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			in := filepath.Join(o.Workspace, ".shipgate", "shipgate-test-internal.kubeconfig")
			if c.KubeconfigPath != in || c.InternalKubeconfigPath != in {
				t.Errorf("own kubeconfig %s, internal %s; want %s", c.KubeconfigPath, c.InternalKubeconfigPath, in)
			}
			checkPrivate(t, in, w.internal)
			checkPrivate(t, c.ExternalKubeconfigPath, w.external)
			if c.RestConfig.Host != w.internal.URL || w.internal.asks.Load() == 0 || w.external.asks.Load() != 0 {
				t.Errorf("rest config for %s; /readyz asked %d times internally, %d externally; want the internal server only",
					c.RestConfig.Host, w.internal.asks.Load(), w.external.asks.Load())
			}
		})
	}
}

func TestCreateNetworkConnectFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.provider()
	r := &FakeRunner{T: t, RunFunc: func(context.Context, string, ...string) ([]byte, error) {
		return nil, errors.New("exit status 1: Error response from daemon: No such container: 0123456789ab")
	}}
	o := w.options(p, r)
	o.InContainer, o.ContainerID = true, "0123456789ab"
	_, err := Create(t.Context(), o)
	if err == nil || !strings.Contains(err.Error(), "connect container 0123456789ab to docker network kind") {
		t.Fatalf("error %v, want one about the network", err)
	}
	if w.exists["shipgate-test"] {
		t.Error("cluster not deleted")
	}
	if _, err := os.Stat(filepath.Join(o.Workspace, ".shipgate", "shipgate-test.kubeconfig")); !os.IsNotExist(err) {
		t.Errorf("external kubeconfig left behind: %v", err)
	}
}

func TestCreateRetries(t *testing.T) {
	t.Parallel()
	boom1 := errors.New("failed to init node with kubeadm: timed out")
	boom2 := errors.New("could not find a log line that matches \"Reached target .*Multi-User System.*\"")
	for _, tc := range []struct {
		name       string
		createErrs []error
		deleteErr  error
		keep       bool
		wantCalls  []string
		wantErr    []string // empty: success
	}{
		{
			name:       "second attempt succeeds",
			createErrs: []error{boom1},
			wantCalls: []string{"Nodes c", "Create c", "CollectLogs c {report}/kind-logs/c/attempt-1", "Delete c",
				"Create c", "KubeConfig c internal=false"},
		},
		{
			name:       "both fail",
			createErrs: []error{boom1, boom2},
			wantCalls: []string{"Nodes c", "Create c", "CollectLogs c {report}/kind-logs/c/attempt-1", "Delete c",
				"Create c", "CollectLogs c {report}/kind-logs/c/attempt-2", "Delete c"},
			wantErr: []string{"create kind cluster c: attempt 1 of 2: " + boom1.Error(), "attempt 2 of 2: " + boom2.Error()},
		},
		{
			name:       "half-made cluster cannot be deleted",
			createErrs: []error{boom1},
			deleteErr:  errors.New("docker rm: device busy"),
			wantCalls:  []string{"Nodes c", "Create c", "CollectLogs c {report}/kind-logs/c/attempt-1", "Delete c"},
			wantErr:    []string{boom1.Error(), "delete cluster c: docker rm: device busy"},
		},
		{
			name:       "kept for debugging",
			createErrs: []error{boom1},
			keep:       true,
			wantCalls:  []string{"Nodes c", "Create c", "CollectLogs c {report}/kind-logs/c/attempt-1"},
			wantErr:    []string{boom1.Error(), "kept cluster c for debugging"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.createErrs = tc.createErrs
			p := w.provider()
			if tc.deleteErr != nil {
				p.DeleteFunc = func(string, string) error { return tc.deleteErr }
			}
			o := w.options(p, nil)
			o.Name, o.KeepOnFailure = "c", tc.keep
			c, err := Create(t.Context(), o)
			for i := range tc.wantCalls {
				tc.wantCalls[i] = strings.ReplaceAll(tc.wantCalls[i], "{report}", o.ReportDir)
			}
			if d := cmp.Diff(tc.wantCalls, p.Calls()); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if len(tc.wantErr) == 0 {
				if err != nil || c == nil {
					t.Fatalf("got %v, %v; want a cluster", c, err)
				}
				if _, err := os.Stat(filepath.Join(o.ReportDir, "kind-logs", "c", "attempt-1", "kind-version.txt")); err != nil {
					t.Errorf("logs of the failed attempt: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestCreateRefusesATakenName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.exists["shipgate-test"] = true
	p := w.provider()
	_, err := Create(t.Context(), w.options(p, nil))
	if err == nil || !strings.Contains(err.Error(), "a cluster of that name exists") {
		t.Fatalf("error %v", err)
	}
	if d := cmp.Diff([]string{"Nodes shipgate-test"}, p.Calls()); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
}

// syncLog collects log lines from any goroutine, even after the test.
type syncLog struct{ lines chan string }

func (l syncLog) logf(format string, args ...any) {
	select {
	case l.lines <- fmt.Sprintf(format, args...):
	default:
	}
}

func TestCreateDeadline(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.provider()
	release := make(chan struct{})
	p.CreateFunc = func(string, CreateOptions) error {
		<-release
		return errors.New("interrupted")
	}
	deleted := make(chan struct{})
	p.DeleteFunc = func(string, string) error { close(deleted); return nil }
	log := syncLog{lines: make(chan string, 100)}
	o := w.options(p, nil)
	o.Timeout, o.WaitForReady, o.Logf = 500*time.Millisecond, 100*time.Millisecond, log.logf

	start := time.Now()
	_, err := Create(t.Context(), o)
	took := time.Since(start)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"gave up waiting for kind to create cluster shipgate-test after ", "the 500ms timeout for creating kind cluster shipgate-test ran out"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if took > 5*time.Second {
		t.Errorf("Create returned after %s, want soon after its 500ms timeout", took)
	}
	select {
	case <-deleted:
		t.Fatal("deleted while kind's create was still running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case <-deleted:
	case <-time.After(10 * time.Second):
		t.Fatal("not deleted within 10s of kind's create returning")
	}
	if d := cmp.Diff([]string{"Nodes shipgate-test", "Create shipgate-test", "Delete shipgate-test"}, p.Calls()); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
}

func TestCreateLoadsTheArchiveIntoEveryNode(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.nodes = []string{"control-plane", "worker", "worker2"}
	path, content := archive(t)
	o := w.options(w.provider(), nil)
	o.ArchivePath = path
	if _, err := Create(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"shipgate-test-control-plane": content, "shipgate-test-worker": content, "shipgate-test-worker2": content}
	if d := cmp.Diff(want, w.loaded); d != "" {
		t.Errorf("loaded (-want +got):\n%s", d)
	}
}

func TestCreateFailureAfterBoot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(w *world, p *FakeProvider, o *Options)
		want  []string
	}{
		{
			name: "image load fails on a node",
			setup: func(w *world, p *FakeProvider, o *Options) {
				w.nodes = []string{"control-plane", "worker"}
				o.ArchivePath, _ = archive(w.t)
				p.LoadImageFunc = func(_, node string, _ io.Reader) error {
					if strings.HasSuffix(node, "worker") {
						return errors.New("ctr: content digest not found")
					}
					return nil
				}
			},
			want: []string{"node shipgate-test-worker: ctr: content digest not found", "the cluster was deleted"},
		},
		{
			name: "API server never ready",
			setup: func(w *world, _ *FakeProvider, o *Options) {
				w.external.status.Store(http.StatusServiceUnavailable)
				o.Timeout = 3 * time.Second
			},
			want: []string{"for the API server at https://127.0.0.1:", "to answer /readyz: status 503", "the cluster was deleted"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			p := w.provider()
			o := w.options(p, nil)
			tc.setup(w, p, &o)
			_, err := Create(t.Context(), o)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			calls := p.Calls()
			if got := calls[len(calls)-2:]; !cmp.Equal(got, []string{"CollectLogs shipgate-test " + filepath.Join(o.ReportDir, "kind-logs", "shipgate-test"), "Delete shipgate-test"}) {
				t.Errorf("last calls %q, want logs exported, then the cluster deleted", got)
			}
			if _, err := os.Stat(filepath.Join(o.ReportDir, "kind-logs", "shipgate-test", "kind-version.txt")); err != nil {
				t.Errorf("logs: %v", err)
			}
			if _, err := os.Stat(filepath.Join(o.Workspace, ".shipgate", "shipgate-test.kubeconfig")); !os.IsNotExist(err) {
				t.Errorf("kubeconfig left behind: %v", err)
			}
		})
	}
}
