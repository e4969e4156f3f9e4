package kindcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCreateValidatesFirst: bad options are errors naming the input, and
// nothing is called or written before they are found.
func TestCreateValidatesFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badConfig := write("kind.yaml", "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: master\n")
	notTar := write("image.tar", "not a tar")
	emptyTar := write("empty.tar", string(make([]byte, 1024)))
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want []string
	}{
		{"unknown patch", func(o *Options) { o.KubernetesVersion = "v1.33.2" }, []string{"kubernetes-version v1.33.2", "v1.33.4", "node-image"}},
		{"not a version", func(o *Options) { o.KubernetesVersion = "latest" }, []string{`kubernetes-version: "latest" is not a version`}},
		{"bad node image", func(o *Options) { o.NodeImage = "kindest/node:" }, []string{`node-image "kindest/node:"`}},
		{"missing kind config", func(o *Options) { o.ConfigFile = filepath.Join(dir, "missing.yaml") }, []string{"kind-config: open "}},
		{"bad kind config", func(o *Options) { o.ConfigFile = badConfig }, []string{"kind-config " + badConfig + `: nodes[0].role "master"`}},
		{"bad name", func(o *Options) { o.Name = "PR_12" }, []string{`cluster name "PR_12"`}},
		{"name too long", func(o *Options) { o.Name = strings.Repeat("a", 51) }, []string{"at most 50"}},
		{"archive missing", func(o *Options) { o.ArchivePath = filepath.Join(dir, "none.tar") }, []string{"image archive: open "}},
		{"archive not a tar", func(o *Options) { o.ArchivePath = notTar }, []string{"image archive " + notTar + " is not a tar archive"}},
		{"archive without manifest", func(o *Options) { o.ArchivePath = emptyTar }, []string{"has no manifest.json; write it with docker save"}},
		{"no workspace", func(o *Options) { o.Workspace = "" }, []string{"workspace is empty"}},
		{"workspace is a file", func(o *Options) { o.Workspace = notTar }, []string{"workspace " + notTar + " is not a directory"}},
		{"timeout not above the wait", func(o *Options) { o.Timeout, o.WaitForReady = time.Minute, 2*time.Minute }, []string{"timeout 1m0s and wait-for-ready 2m0s"}},
		{"negative wait", func(o *Options) { o.WaitForReady = -time.Second }, []string{"wait-for-ready -1s"}},
		{"all reported at once", func(o *Options) { o.KubernetesVersion, o.ConfigFile, o.Name = "v1.20.0", badConfig, "-x" }, []string{"kubernetes-version v1.20.0", "kind-config", "cluster name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &FakeProvider{T: t} // any call fails the test
			r := &FakeRunner{T: t}
			o := Options{KubernetesVersion: "v1.34.0", Name: "ok", Workspace: t.TempDir(), ReportDir: t.TempDir(), Provider: p, Runner: r, Logf: t.Logf}
			ws := o.Workspace
			tc.edit(&o)
			c, err := Create(t.Context(), o)
			if err == nil {
				t.Fatalf("got cluster %+v, want an error", c)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if len(p.Calls())+len(r.Calls()) > 0 {
				t.Errorf("calls before validation ended: %q %q", p.Calls(), r.Calls())
			}
			if entries, _ := os.ReadDir(ws); len(entries) > 0 {
				t.Errorf("workspace written: %v", entries)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	p, err := Options{Workspace: t.TempDir()}.plan()
	if err != nil {
		t.Fatal(err)
	}
	if p.WaitForReady != DefaultWaitForReady || p.Timeout != DefaultTimeout {
		t.Errorf("wait %s, timeout %s", p.WaitForReady, p.Timeout)
	}
	if err := checkName(p.Name); err != nil || !strings.HasPrefix(p.Name, "shipgate-") {
		t.Errorf("name %q: %v", p.Name, err)
	}
	if _, ok := p.Provider.(*KindProvider); !ok {
		t.Errorf("provider %T, want *KindProvider", p.Provider)
	}
	if _, ok := p.Runner.(ExecRunner); !ok {
		t.Errorf("runner %T, want ExecRunner", p.Runner)
	}
	want := []string{defaultImage}
	var got []string
	for _, n := range p.config.Nodes {
		got = append(got, n.Image)
	}
	if d := cmp.Diff(want, got); d != "" || p.config.Nodes[0].Role != "control-plane" {
		t.Errorf("default config nodes %+v (-want +got images):\n%s", p.config.Nodes, d)
	}
}
