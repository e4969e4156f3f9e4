package localcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestTwoClustersInParallel(t *testing.T) {
	t.Parallel()
	var clusters [2]*Cluster
	var errs [2]error
	var wg sync.WaitGroup
	began := time.Now()
	for i := range clusters {
		wg.Go(func() {
			clusters[i], errs[i] = Start(t.Context(), Options{Logf: t.Logf})
		})
	}
	wg.Wait()
	for i, c := range clusters {
		if c != nil {
			t.Cleanup(func() { _ = c.Stop() })
		}
		if errs[i] != nil {
			t.Fatalf("cluster %d: %v", i, errs[i])
		}
	}
	t.Logf("two clusters started side by side in %s", time.Since(began).Round(time.Millisecond))
	a, b := clusters[0], clusters[1]
	if a.Config.Host == b.Config.Host || a.Dir == b.Dir {
		t.Fatalf("clusters share an address or a directory: %s %s, %s %s", a.Config.Host, a.Dir, b.Config.Host, b.Dir)
	}

	// Each sees only its own data.
	for i, c := range clusters {
		cs, err := kubernetes.NewForConfig(c.Config)
		if err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}, Data: map[string]string{"cluster": strconv.Itoa(i)}}
		if _, err := cs.CoreV1().ConfigMaps("default").Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("cluster %d: %v", i, err)
		}
	}
	for i, c := range clusters {
		cs, _ := kubernetes.NewForConfig(c.Config)
		cm, err := cs.CoreV1().ConfigMaps("default").Get(t.Context(), "owner", metav1.GetOptions{})
		if err != nil || cm.Data["cluster"] != strconv.Itoa(i) {
			t.Errorf("cluster %d reads %v, %v", i, cm.Data, err)
		}
	}

	// Stop ends every process and removes the directory; a second Stop
	// returns the same result.
	for _, c := range clusters {
		var pids []int
		c.mu.Lock()
		for _, p := range c.procs {
			pids = append(pids, p.cmd.Process.Pid)
		}
		c.mu.Unlock()
		if len(pids) != len(components) {
			t.Errorf("%d processes running, want %d", len(pids), len(components))
		}
		began := time.Now()
		if err := c.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		t.Logf("Stop took %s", time.Since(began).Round(time.Millisecond))
		for _, pid := range pids {
			if alive(pid) {
				t.Errorf("pid %d still running after Stop", pid)
			}
		}
		if _, err := os.Stat(c.Dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Dir %s after Stop: %v, want it removed", c.Dir, err)
		}
		if err := c.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	}
}

func TestStartFailureNamesTheComponent(t *testing.T) {
	t.Parallel()
	// An etcd that prints a complaint and exits: Start reports it with
	// the log's tail and leaves no directory behind.
	bins := fakeBinDir(t)
	if err := os.WriteFile(filepath.Join(bins, Etcd), []byte("#!/bin/sh\necho 'etcd: simulated misconfiguration' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cluster")
	_, err := Start(t.Context(), Options{BinDir: bins, Dir: dir})
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != Etcd {
		t.Fatalf("got %v, want a ComponentError for etcd", err)
	}
	for _, want := range []string{"etcd exited", "exit status 3", "etcd: simulated misconfiguration", filepath.Join(dir, "logs", "etcd.log")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// A Dir the caller gave is left for them to read.
	if _, err := os.Stat(filepath.Join(dir, "logs", "etcd.log")); err != nil {
		t.Errorf("log of the failed start: %v", err)
	}
}

func TestStartRetriesTakenPorts(t *testing.T) {
	t.Parallel()
	// An etcd that always finds its port taken: Start tries new ports
	// portAttempts times, then gives up with etcd's complaint.
	bins := fakeBinDir(t)
	script := "#!/bin/sh\necho 'listen tcp 127.0.0.1:2379: bind: address already in use' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bins, Etcd), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cluster")
	_, err := Start(t.Context(), Options{BinDir: bins, Dir: dir})
	if !addrInUse(err) {
		t.Fatalf("got %v, want etcd's address already in use", err)
	}
	log, err := os.ReadFile(filepath.Join(dir, "logs", "etcd.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "\n=== "); n+1 != portAttempts { // the first header starts the file
		t.Errorf("etcd started %d times, want %d:\n%s", n+1, portAttempts, log)
	}
}

func TestStartMissingBinariesFails(t *testing.T) {
	t.Parallel()
	_, err := Start(t.Context(), Options{BinDir: t.TempDir()})
	var mb *MissingBinariesError
	if !errors.As(err, &mb) || !strings.Contains(err.Error(), "bash .ci/build-k8s.sh") {
		t.Fatalf("got %v, want MissingBinariesError telling to run the build script", err)
	}
}

// helperEnv makes the test binary act as helperSpawn's parent process.
const helperEnv = "LOCALCLUSTER_TEST_SPAWN_HELPER"

// TestComponentsDieWithTheirParent runs this test binary as a parent that
// starts a child through spawn, kills threads the way netns code does, and
// exits without stopping the child: the child must die with it.
func TestComponentsDieWithTheirParent(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux-only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpawnHelper$")
	cmd.Env = append(os.Environ(), helperEnv+"="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var pid int
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "child pid "); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid == 0 {
		t.Fatalf("helper printed no child pid:\n%s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d still alive 10s after its parent exited", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func init() {
	if os.Getenv(helperEnv) != "" {
		// Pin the main goroutine to the main thread, so that the helper's
		// goroutines run on other threads, which can end (a locked
		// goroutine returning on the main thread wedges it instead).
		runtime.LockOSThread()
	}
}

// TestSpawnHelper is the parent process of TestComponentsDieWithTheirParent;
// it does nothing in a normal run.
func TestSpawnHelper(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		return
	}
	// Start the child from a goroutine locked to its thread that then
	// returns without unlocking, which ends the thread (as netns code
	// does). Had the child been forked on that thread, Pdeathsig would
	// kill it now.
	var p *process
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		runtime.LockOSThread()
		p, err = startProcess("sleep", "/bin/sleep", []string{"300"}, nil, filepath.Join(dir, "sleep.log"), nil)
	})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if !alive(p.cmd.Process.Pid) {
		t.Fatal("child died with the thread of the goroutine that started it")
	}
	fmt.Printf("child pid %d\n", p.cmd.Process.Pid)
	os.Exit(0) // no Stop, no cleanup: as a crashed test binary
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

func BenchmarkStart(b *testing.B) {
	var total time.Duration
	for b.Loop() {
		began := time.Now()
		c, err := Start(context.Background(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(began)
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/start")
}
