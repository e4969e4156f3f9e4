package main_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeK8sVersion names the fake binaries' version, so the tests never touch
// the real cache's.
const fakeK8sVersion = "v1.99.0"

// fakeK8sCache makes an XDG cache holding binaries .ci/build-k8s.sh accepts
// as built, and returns the script's environment and the binaries'
// directory. While the FIFO kube-apiserver.hold exists, the fake
// kube-apiserver's --version blocks until it is written to: the script then
// holds its lock for as long as the test wants.
func fakeK8sCache(t *testing.T) (env []string, dir string) {
	t.Helper()
	xdg := t.TempDir()
	dir = filepath.Join(xdg, "shipgate", "k8s", fakeK8sVersion)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"kube-apiserver":          "#!/bin/sh\nif [ -p \"$0.hold\" ]; then cat \"$0.hold\" >/dev/null; fi\necho Kubernetes " + fakeK8sVersion + "\n",
		"kube-controller-manager": "#!/bin/sh\n",
		"kube-scheduler":          "#!/bin/sh\n",
		"etcd":                    "#!/bin/sh\n",
		"kwok":                    "#!/bin/sh\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	versions := "k8s=" + fakeK8sVersion + " etcd=v3.6.5 kwok=v0.8.0\n"
	if err := os.WriteFile(filepath.Join(dir, "VERSIONS"), []byte(versions), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), "XDG_CACHE_HOME="+xdg, "K8S_VERSION="+fakeK8sVersion, "ETCD_VERSION=v3.6.5", "KWOK_VERSION=v0.8.0")
	return env, dir
}

// script is a running .ci/build-k8s.sh: its stderr comes line by line.
type script struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	lines  chan string
	log    []string
}

func startBuildK8s(t *testing.T, env []string) *script {
	t.Helper()
	s := &script{cmd: exec.CommandContext(t.Context(), "bash", ".ci/build-k8s.sh"), lines: make(chan string)}
	s.cmd.Env = env
	s.cmd.Stdout = &s.stdout
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// waitLine returns the first stderr line matching re; it fails the test
// after 30s or when the script ends first.
func (s *script) waitLine(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatalf("build-k8s.sh ended without a line matching %s; it wrote:\n%s", re, strings.Join(s.log, "\n"))
			}
			s.log = append(s.log, line)
			if re.MatchString(line) {
				return line
			}
		case <-timeout:
			t.Fatalf("waited 30s for build-k8s.sh to write a line matching %s; it wrote:\n%s", re, strings.Join(s.log, "\n"))
		}
	}
}

// finish waits for the script's end and checks it printed dir last.
func (s *script) finish(t *testing.T, dir string) {
	t.Helper()
	for line := range s.lines {
		s.log = append(s.log, line)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("build-k8s.sh: %v; it wrote:\n%s", err, strings.Join(s.log, "\n"))
	}
	if got := strings.TrimSpace(s.stdout.String()); got != dir {
		t.Errorf("build-k8s.sh printed %q, want only the binaries' directory %q", got, dir)
	}
}

// TestBuildK8sSaysWhatItWaitsFor runs .ci/build-k8s.sh while another
// holder has its lock: it must say whose build it waits for, then go on
// once the lock is free.
func TestBuildK8sSaysWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	checking := regexp.MustCompile(`^build-k8s: checking .* for k8s=` + regexp.QuoteMeta(fakeK8sVersion) + ` `)
	verified := regexp.MustCompile(`^build-k8s: cached and verified in \d+s$`)

	t.Run("another run of the script", func(t *testing.T) {
		t.Parallel()
		env, dir := fakeK8sCache(t)
		hold := filepath.Join(dir, "kube-apiserver.hold")
		if err := syscall.Mkfifo(hold, 0o600); err != nil {
			t.Fatal(err)
		}
		// release lets a blocked --version go on and no later one block:
		// opened read-write, the FIFO's open never blocks; once its name is
		// gone and it is closed, a reader gets end of file.
		release := func() {
			w, err := os.OpenFile(hold, os.O_RDWR, 0)
			if err != nil {
				return // released already
			}
			os.Remove(hold)
			w.Close()
		}
		t.Cleanup(release)
		before := time.Now().UTC().Truncate(time.Second)
		first := startBuildK8s(t, env)
		first.waitLine(t, checking) // it holds the lock and is verifying
		second := startBuildK8s(t, env)
		want := regexp.MustCompile(fmt.Sprintf(`^build-k8s: waiting for the build started by PID %d at (\S+ \S+) UTC \(\d+s ago\); lock: %s$`,
			first.cmd.Process.Pid, regexp.QuoteMeta(dir+".lock")))
		line := second.waitLine(t, want)
		at, err := time.Parse("2006-01-02 15:04:05", want.FindStringSubmatch(line)[1])
		if err != nil || at.Before(before) || at.After(time.Now()) {
			t.Errorf("start time in %q is not when the first run started (after %v): %v", line, before, err)
		}

		// Let the first run's verification go on: it ends and lets go of
		// the lock; the second takes it and finds the cache verified.
		release()
		first.finish(t, dir)
		second.waitLine(t, regexp.MustCompile(`^build-k8s: lock taken after waiting \d+s$`))
		second.waitLine(t, verified)
		second.finish(t, dir)
		if _, err := os.Stat(dir + ".lock.holder"); !os.IsNotExist(err) {
			t.Errorf("the holder file is left after both runs: %v", err)
		}
	})

	t.Run("a holder that recorded nothing", func(t *testing.T) {
		t.Parallel()
		env, dir := fakeK8sCache(t)
		lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Close()
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		s := startBuildK8s(t, env)
		s.waitLine(t, regexp.MustCompile(`^build-k8s: waiting for another build that recorded no PID in `+regexp.QuoteMeta(dir+".lock.holder")+`; lock: `))
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); err != nil {
			t.Fatal(err)
		}
		s.waitLine(t, verified)
		s.finish(t, dir)
	})

	t.Run("nobody holds the lock", func(t *testing.T) {
		t.Parallel()
		env, dir := fakeK8sCache(t)
		s := startBuildK8s(t, env)
		s.waitLine(t, verified)
		s.finish(t, dir)
		for _, line := range s.log {
			if strings.Contains(line, "waiting") {
				t.Errorf("it says it waits with nobody holding the lock: %q", line)
			}
		}
	})
}
