package kindcluster

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// created returns a cluster made by Create in the world, with the fake.
func created(t *testing.T, w *world, inContainer bool) (*Cluster, *FakeProvider) {
	t.Helper()
	p := w.provider()
	r := &FakeRunner{T: t, RunFunc: func(context.Context, string, ...string) ([]byte, error) { return nil, nil }}
	o := w.options(p, r)
	o.InContainer, o.ContainerID = inContainer, "0123456789ab"
	c, err := Create(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func TestDeleteIsIdempotent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c, p := created(t, w, true)
	for range 2 {
		if err := c.Delete(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(strings.Join(p.Calls(), "\n"), "Delete "); n != 1 {
		t.Errorf("kind delete ran %d times, want once: %q", n, p.Calls())
	}
	for _, f := range []string{c.ExternalKubeconfigPath, c.InternalKubeconfigPath} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", f, err)
		}
	}
	// Another process's handle on the same, now gone, cluster.
	again, err := Attach(c.Name, Options{Provider: p, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Delete(t.Context()); err != nil {
		t.Errorf("deleting a cluster that is gone: %v", err)
	}
}

// TestAttachDeletes: the post step deletes the cluster and the kubeconfig
// files by the cluster's name and the workspace.
func TestAttachDeletes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.provider()
	o := w.options(p, &FakeRunner{T: t, RunFunc: func(context.Context, string, ...string) ([]byte, error) { return nil, nil }})
	o.InContainer, o.ContainerID = true, "0123456789ab"
	made, err := Create(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Attach(made.Name, Options{Workspace: o.Workspace, Provider: p, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(t.Context()); err != nil {
		t.Fatal(err)
	}
	if w.exists[made.Name] {
		t.Error("cluster not deleted")
	}
	if entries, _ := os.ReadDir(filepath.Join(o.Workspace, ".shipgate")); len(entries) > 0 {
		t.Errorf("files left in the workspace: %v", entries)
	}
	if _, err := Attach("Not_A_Name", Options{Provider: p}); err == nil || !strings.Contains(err.Error(), `cluster name "Not_A_Name"`) {
		t.Errorf("bad name: %v", err)
	}
}

func TestDeleteFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c, p := created(t, w, false)
	p.DeleteFunc = func(string, string) error { return errors.New("Cannot connect to the Docker daemon") }
	err := c.Delete(t.Context())
	if err == nil || !strings.Contains(err.Error(), "delete cluster shipgate-test: Cannot connect to the Docker daemon") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(c.ExternalKubeconfigPath); err != nil {
		t.Errorf("kubeconfig removed though the cluster is still there: %v", err)
	}
	p.DeleteFunc = func(string, string) error { return nil }
	if err := c.Delete(t.Context()); err != nil {
		t.Errorf("second try: %v", err)
	}
}

func TestExportLogs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c, p := created(t, w, false)
	dir := filepath.Join(t.TempDir(), "report", "logs")
	if err := c.ExportLogs(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kind-version.txt")); err != nil {
		t.Error(err)
	}
	p.CollectLogsFunc = func(string, string) error { return errors.New("journalctl: exit 1") }
	if err := c.ExportLogs(t.Context(), dir); err == nil || !strings.Contains(err.Error(), "export logs of cluster shipgate-test: journalctl: exit 1") {
		t.Errorf("error %v", err)
	}
}

func TestLoadImage(t *testing.T) {
	t.Parallel()
	path, content := archive(t)
	t.Run("into every node", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.nodes = []string{"control-plane", "worker"}
		c, _ := created(t, w, false)
		if err := c.LoadImage(t.Context(), path); err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{"shipgate-test-control-plane": content, "shipgate-test-worker": content}
		if d := cmp.Diff(want, w.loaded); d != "" {
			t.Errorf("loaded (-want +got):\n%s", d)
		}
	})
	t.Run("no nodes", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		c, p := created(t, w, false)
		p.NodesFunc = func(string) ([]string, error) { return nil, nil }
		if err := c.LoadImage(t.Context(), path); err == nil || !strings.Contains(err.Error(), "cluster shipgate-test has no nodes") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		c, p := created(t, w, false)
		release := make(chan struct{})
		defer close(release)
		p.LoadImageFunc = func(string, string, io.Reader) error { <-release; return nil }
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		err := c.LoadImage(ctx, path)
		if err == nil || !strings.Contains(err.Error(), "gave up waiting for kind to load image.tar into node shipgate-test-control-plane after ") || !strings.Contains(err.Error(), "context deadline exceeded") {
			t.Errorf("error %v", err)
		}
	})
}
