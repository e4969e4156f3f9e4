// Package promtest runs a real Prometheus (Debian's prometheus package)
// for tests: on loopback at a free port, with a configuration the test
// writes, its storage in a temporary directory, scraping every second. A
// test can stop it and start it again on the same port and storage.
//
// Without the prometheus binary a test fails under CI (CI set) and is
// skipped elsewhere, naming the package to install.
package promtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// readyTimeout bounds the wait for a started Prometheus to be ready.
const readyTimeout = 60 * time.Second

// Server is a running (or stopped) Prometheus.
type Server struct {
	// URL is its base URL, http://127.0.0.1:port.
	URL string
	// API is its HTTP API.
	API promv1.API

	t    testing.TB
	bin  string
	dir  string
	addr string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *strings.Builder
}

// Binary returns the prometheus binary's path; a test without one fails
// under CI and is skipped elsewhere.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err == nil {
		return bin
	}
	msg := "the prometheus binary is not on PATH: install the Debian package prometheus (apt-get install prometheus; bash hack/test.sh does)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// StartT starts Prometheus with scrapeConfigs (the YAML list under
// scrape_configs:, each item starting "- job_name:"; see FileScrape and
// StaticScrape) and stops it at the test's end. The global scrape and
// evaluation interval is 1s.
func StartT(t testing.TB, scrapeConfigs string) *Server {
	t.Helper()
	s := &Server{t: t, bin: Binary(t), dir: t.TempDir()}
	scrapeConfigs = strings.ReplaceAll(scrapeConfigs, targetsFile, strconv.Quote(filepath.Join(s.dir, "targets.json")))
	cfg := "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\nscrape_configs:\n" + indent(scrapeConfigs, "  ")
	if err := os.WriteFile(filepath.Join(s.dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTargets(nil); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.URL = "http://" + s.addr
	c, err := api.NewClient(api.Config{Address: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	s.API = promv1.NewAPI(c)
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop prometheus: %v", err)
		}
	})
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// Start starts the stopped Prometheus again on the same port and storage
// and waits until it is ready.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return errors.New("prometheus is running")
	}
	var log strings.Builder
	cmd := exec.Command(s.bin,
		"--config.file="+filepath.Join(s.dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(s.dir, "data"),
		"--web.listen-address="+s.addr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &syncWriter{b: &log, mu: &s.mu}, &syncWriter{b: &log, mu: &s.mu}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("start prometheus: %w", err)
	}
	done := make(chan struct{})
	s.cmd, s.done, s.log = cmd, done, &log
	s.mu.Unlock()
	go func() { cmd.Wait(); close(done) }()

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/-/ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("prometheus exited before it was ready:\n%s", s.Log())
		case <-ctx.Done():
			return fmt.Errorf("prometheus at %s not ready within %s: %w\n%s", s.URL, readyTimeout, ctx.Err(), s.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops Prometheus (SIGTERM, then SIGKILL after 10s) and waits for
// it to exit; a stopped one stays stopped.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal prometheus: %w", err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	return nil
}

// Log is what Prometheus printed so far (warnings and errors).
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

// WaitFor runs query until cond holds for its samples, for at most
// timeout; it fails the test saying what it waited for.
func (s *Server) WaitFor(t testing.TB, what, query string, timeout time.Duration, cond func(model.Vector) bool) model.Vector {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var last string
	for {
		val, _, err := s.API.Query(ctx, query, time.Now())
		if vec, ok := val.(model.Vector); err == nil && ok && cond(vec) {
			return vec
		}
		last = fmt.Sprintf("%v (error %v)", val, err)
		select {
		case <-ctx.Done():
			t.Fatalf("waited %s for %s (%s); last answer %s\nprometheus log:\n%s", timeout, what, query, last, s.Log())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// FileScrape is a scrape config of the targets SetTargets writes (file
// service discovery: Debian's Prometheus has no Kubernetes discovery),
// keeping the labels the targets export (honor_labels).
func FileScrape(job string) string {
	return fmt.Sprintf("- job_name: %s\n  honor_labels: true\n  file_sd_configs:\n    - files: [%s]\n", job, targetsFile)
}

// targetsFile stands for the targets file's path in a scrape config.
const targetsFile = "$TARGETS"

// Target is a host:port Prometheus scrapes, with its labels.
type Target struct {
	Addr   string
	Labels map[string]string
}

// SetTargets replaces the targets of FileScrape (at once, by rename);
// Prometheus picks them up on its file watch.
func (s *Server) SetTargets(targets []Target) error {
	type group struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels,omitempty"`
	}
	groups := make([]group, 0, len(targets))
	for _, t := range targets {
		groups = append(groups, group{Targets: []string{t.Addr}, Labels: t.Labels})
	}
	data, err := json.Marshal(groups)
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, "targets.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write targets: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "targets.json")); err != nil {
		return fmt.Errorf("write targets: %w", err)
	}
	return nil
}

// StaticScrape is a scrape config of fixed targets (host:port).
func StaticScrape(job string, targets ...string) string {
	return fmt.Sprintf("- job_name: %s\n  honor_labels: true\n  static_configs:\n    - targets: [%s]\n", job, strings.Join(targets, ", "))
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

type syncWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
