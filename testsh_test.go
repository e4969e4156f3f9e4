package main_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testShEnv is a machine for hack/test.sh made of fakes: a PATH of one
// directory holding the commands the case has, with go, id and apt-get
// that record how they were called.
type testShEnv struct {
	bin, log string
}

// fakeMachine returns a machine with tools on PATH; "real:name" links the
// real command, other names are empty commands. uid is what id -u says.
// Its apt-get installs a package by making the commands of installable.
func fakeMachine(t *testing.T, uid string, tools []string, installable map[string][]string) testShEnv {
	t.Helper()
	m := testShEnv{bin: t.TempDir(), log: filepath.Join(t.TempDir(), "calls")}
	chmod, err := exec.LookPath("chmod")
	if err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{
		"go": `echo "go $*" >>"$CALLS"`,
		"id": `[ "$1" = -u ] && echo ` + uid,
	}
	var install strings.Builder
	for pkg, cmds := range installable {
		install.WriteString(pkg + ") ")
		for _, c := range cmds {
			install.WriteString(`printf '#!/bin/sh\n' >"$BIN/` + c + `"; ` + chmod + ` +x "$BIN/` + c + `"; `)
		}
		install.WriteString(";;\n")
	}
	scripts["apt-get"] = `echo "apt-get $*" >>"$CALLS"
[ "$1" = install ] || exit 0
for p in "$@"; do case $p in
` + install.String() + `esac; done`
	for _, tool := range tools {
		if name, ok := strings.CutPrefix(tool, "real:"); ok {
			path, err := exec.LookPath(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(path, filepath.Join(m.bin, name)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, ok := scripts[tool]; !ok {
			scripts[tool] = ""
		}
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(m.bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// run runs hack/test.sh with args and returns its exit code, its stderr
// and the calls of the fake go and apt-get.
func (m testShEnv) run(t *testing.T, env []string, args ...string) (code int, stderr string, calls []string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "/bin/bash", append([]string{"hack/test.sh"}, args...)...)
	cmd.Env = append([]string{"PATH=" + m.bin, "CALLS=" + m.log, "BIN=" + m.bin, "SHIPGATE_K8S_BIN_DIR=/opt/k8s", "SHIPGATE_TRAEFIK_DIR=/opt/traefik", "SHIPGATE_SKIP_KIND=1"}, env...)
	var errb strings.Builder
	cmd.Stderr = &errb
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(m.log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(string(data)); s != "" {
		calls = strings.Split(s, "\n")
	}
	return code, errb.String(), calls
}

// TestTestScript runs the README's test command, hack/test.sh, on fake
// machines: what it installs, what it says when it cannot, and how it
// calls go test.
func TestTestScript(t *testing.T) {
	t.Parallel()
	all := []string{"real:dirname", "real:git", "ip", "flock", "chromium", "prometheus"}
	without := func(drop ...string) []string {
		var out []string
		for _, tool := range all {
			if !strings.Contains(" "+strings.Join(drop, " ")+" ", " "+tool+" ") {
				out = append(out, tool)
			}
		}
		return out
	}
	debian := map[string][]string{"iproute2": {"ip"}, "util-linux": {"flock"}, "chromium": {"chromium"}}
	const goTest = "go test -race -shuffle=on -timeout 40m "
	tests := []struct {
		name        string
		uid         string
		tools       []string
		installable map[string][]string
		args        []string
		wantCode    int
		wantCalls   []string
		wantSaid    []string
	}{
		{
			name: "root with everything runs every package", uid: "0", tools: all,
			wantCalls: []string{goTest + "./..."},
			wantSaid:  []string{"SHIPGATE_K8S_BIN_DIR=/opt/k8s: the tests use the control plane binaries there"},
		},
		{
			name: "arguments replace ./...", uid: "0", tools: all, args: []string{"-run", "TestX", "./internal/podnet"},
			wantCalls: []string{goTest + "-run TestX ./internal/podnet"},
		},
		{
			name: "chromium-browser is chromium", uid: "0", tools: append(without("chromium"), "chromium-browser"),
			wantCalls: []string{goTest + "./..."},
		},
		{
			name: "root installs what is missing", uid: "0", tools: without("ip", "chromium"), installable: debian,
			wantCalls: []string{"apt-get update -qq", "apt-get install -y -qq iproute2 chromium", goTest + "./..."},
			wantSaid:  []string{"installing iproute2 chromium"},
		},
		{
			name: "root stops when apt-get did not install it", uid: "0", tools: without("flock"),
			wantCode:  1,
			wantCalls: []string{"apt-get update -qq", "apt-get install -y -qq util-linux"},
			wantSaid:  []string{"still missing after apt-get install: util-linux"},
		},
		{
			name: "not root names what is missing and how to install it", uid: "1000", tools: without("flock", "chromium"),
			wantCode: 1,
			wantSaid: []string{
				"missing: util-linux chromium; install them with:",
				"  sudo apt-get update && sudo apt-get install -y util-linux chromium",
				"the tests need root: the pod network makes network namespaces and veth pairs; run:",
			},
		},
		{
			name: "not root says how to run as root", uid: "1000", tools: all, args: []string{"-run", "TestX"},
			wantCode: 1,
			wantSaid: []string{`  sudo env "PATH=$PATH" bash hack/test.sh -run TestX`},
		},
		{
			name: "git older than 2.38", uid: "0", tools: append(without("real:git"), "git=git version 2.37.1"),
			wantCode: 1,
			wantSaid: []string{"git 2.37.1 is older than 2.38: merge-check needs git merge-tree --write-tree; install git 2.38 or newer"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var tools []string
			var fakeGit string
			for _, tool := range tc.tools {
				if v, ok := strings.CutPrefix(tool, "git="); ok {
					fakeGit = v
					continue
				}
				tools = append(tools, tool)
			}
			m := fakeMachine(t, tc.uid, tools, tc.installable)
			if fakeGit != "" {
				if err := os.WriteFile(filepath.Join(m.bin, "git"), []byte("#!/bin/sh\necho '"+fakeGit+"'\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			code, said, calls := m.run(t, nil, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d; it said:\n%s", code, tc.wantCode, said)
			}
			if diff := cmp.Diff(tc.wantCalls, calls); diff != "" {
				t.Errorf("calls of go and apt-get (-want +got):\n%s", diff)
			}
			for _, want := range tc.wantSaid {
				if !strings.Contains(said, "test.sh: "+want+"\n") {
					t.Errorf("it did not say %q; it said:\n%s", want, said)
				}
			}
		})
	}
}

// TestTestScriptBuildsControlPlane runs hack/test.sh without
// SHIPGATE_K8S_BIN_DIR: it must run .ci/build-k8s.sh (here on a fake cache
// it verifies) before go test.
func TestTestScriptBuildsControlPlane(t *testing.T) {
	t.Parallel()
	m := fakeMachine(t, "0", []string{"ip", "chromium"}, nil)
	env, _ := fakeK8sCache(t)
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + m.bin + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	env = append(env, "CALLS="+m.log, "BIN="+m.bin, "SHIPGATE_K8S_BIN_DIR=", "SHIPGATE_TRAEFIK_DIR=/opt/traefik", "SHIPGATE_SKIP_KIND=1")
	cmd := exec.CommandContext(t.Context(), "/bin/bash", "hack/test.sh")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hack/test.sh: %v:\n%s", err, out)
	}
	if !strings.Contains(string(out), "build-k8s: cached and verified in ") {
		t.Errorf("it did not verify the control plane's binaries:\n%s", out)
	}
	calls, err := os.ReadFile(m.log)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(calls), "go test -race -shuffle=on -timeout 40m ./...\n"; got != want {
		t.Errorf("calls = %q, want %q", got, want)
	}
}
