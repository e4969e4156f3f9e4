package localcluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeBinDir makes a directory with an executable file for every component.
func fakeBinDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range components {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestResolveBinDir(t *testing.T) {
	t.Parallel()
	bins := fakeBinDir(t)
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, "shipgate", "k8s", "v1.32.1"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range components {
		if err := os.Symlink(filepath.Join(bins, name), filepath.Join(cache, "shipgate", "k8s", "v1.32.1", name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		opts    Options
		env     map[string]string
		wantDir string
	}{
		{"option wins", Options{BinDir: bins}, map[string]string{EnvBinDir: "/nowhere"}, bins},
		{"env", Options{}, map[string]string{EnvBinDir: bins, "XDG_CACHE_HOME": "/nowhere"}, bins},
		{"XDG cache by version", Options{Version: "v1.32.1"}, map[string]string{"XDG_CACHE_HOME": cache}, filepath.Join(cache, "shipgate", "k8s", "v1.32.1")},
		{"HOME cache", Options{Version: "v1.32.1"}, map[string]string{"HOME": filepath.Dir(cache)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := tc.opts.resolve(func(k string) string { return tc.env[k] })
			if tc.wantDir == "" {
				// $HOME/.cache does not exist here: the error names it.
				var mb *MissingBinariesError
				if !errors.As(err, &mb) || mb.Dir != filepath.Join(filepath.Dir(cache), ".cache", "shipgate", "k8s", "v1.32.1") {
					t.Fatalf("resolve: got %v, want MissingBinariesError for $HOME/.cache", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.BinDir != tc.wantDir {
				t.Errorf("BinDir = %s, want %s", s.BinDir, tc.wantDir)
			}
			if s.bins[KubeAPIServer] != filepath.Join(tc.wantDir, KubeAPIServer) {
				t.Errorf("kube-apiserver = %s", s.bins[KubeAPIServer])
			}
		})
	}
}

func TestResolveDefaults(t *testing.T) {
	t.Parallel()
	s, err := Options{BinDir: fakeBinDir(t)}.resolve(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	got := []string{s.Version, s.PodCIDR}
	if diff := cmp.Diff([]string{DefaultVersion, DefaultPodCIDR}, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if s.Logf == nil {
		t.Error("Logf is nil")
	}
	if n := strings.Count(string(s.stages), "kind: Stage"); n != 10 {
		t.Errorf("kwok config has %d Stages, want 5 defaults, a readiness delay and 4 faults", n)
	}
}

func TestMissingBinariesMessage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := Options{BinDir: dir}.resolve(func(string) string { return "" })
	var mb *MissingBinariesError
	if !errors.As(err, &mb) {
		t.Fatalf("got %v, want *MissingBinariesError", err)
	}
	for _, want := range []string{"run `bash .ci/build-k8s.sh`", dir, "Options.BinDir", "kube-apiserver", "kwok", "etcd"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	_, err = Options{BinDir: dir, Version: "v1.32.1"}.resolve(func(string) string { return "" })
	if want := "K8S_VERSION=v1.32.1 bash .ci/build-k8s.sh"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v does not say %q", err, want)
	}
}

func TestResolveRejects(t *testing.T) {
	t.Parallel()
	bins := fakeBinDir(t)
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"version", Options{Version: "1.33"}, "Options.Version"},
		{"cidr syntax", Options{PodCIDR: "10.244.0.0"}, "Options.PodCIDR"},
		{"cidr host bits", Options{PodCIDR: "10.244.1.0/16"}, "did you mean 10.244.0.0/16"},
		{"cidr loopback", Options{PodCIDR: "127.1.0.0/16"}, "loopback"},
		{"stage kind", Options{KwokStages: []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n")}, "want kwok.x-k8s.io/v1alpha1 Stage"},
		{"stage name taken", Options{KwokStages: []byte("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: pod-ready\nspec:\n  resourceRef: {apiGroup: v1, kind: Pod}\n")}, `"pod-ready" is already defined`},
		{"stage unnamed", Options{KwokStages: []byte("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nspec: {}\n")}, "no metadata.name"},
		{"stage yaml", Options{KwokStages: []byte("apiVersion: [\n")}, "Options.KwokStages: document 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.BinDir = bins
			_, err := tc.opts.resolve(func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestKwokConfigAppendsExtraStages(t *testing.T) {
	t.Parallel()
	extra := []byte(`---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: my-slow-start
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  weight: 1
---
`)
	cfg, err := kwokConfig(extra)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	if err := checkStages(cfg, seen); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	for _, want := range []string{"node-initialize", "node-heartbeat-with-lease", "pod-running", "pod-ready", "pod-complete", "pod-delete",
		"shipgate-pod-never-ready", "shipgate-pod-crashloop", "shipgate-pod-fail", "shipgate-node-not-ready", "my-slow-start"} {
		if !seen[want] {
			t.Errorf("Stage %s missing from %v", want, names)
		}
	}
	if len(seen) != 11 {
		t.Errorf("got %d Stages %v, want 11", len(seen), names)
	}
}

// The fault Stages are YAML; the constants callers use must match it.
func TestFaultStagesUseTheConstants(t *testing.T) {
	t.Parallel()
	y := string(faultStages)
	for _, want := range []string{
		`.metadata.labels["` + FaultLabel + `"]`,
		"- '" + FaultNeverReady + "'", "- '" + FaultCrashLoop + "'", "- '" + FaultFail + "'", "- '" + FaultNodeNotReady + "'",
		`message: "` + NeverReadyMessage + `"`, "reason: " + CrashLoopReason, "reason: " + NodeNotReadyReason,
	} {
		if !strings.Contains(y, want) {
			t.Errorf("stages/faults.yaml lacks %q", want)
		}
	}
}
