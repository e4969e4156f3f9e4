package podnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// ServerConfig says where a Server listens and how it answers.
type ServerConfig struct {
	// Addr is the pod IP and port to listen on, inside the namespace. The
	// IP must already be on the namespace (AddAddress).
	Addr netip.AddrPort
	// Pod is echoed as "pod" in every answer.
	Pod string
	// Namespace is the pod's, a label of the exported metrics.
	Namespace string
	// Container, when set, is the container whose CPU use and resources
	// the Server exports (one Server per container does).
	Container string
	// Resources are Container's requests and limits.
	Resources Resources
	// Behavior shapes the answers.
	Behavior Behavior
}

// Response is the JSON body of every answer.
type Response struct {
	Version string `json:"version"`
	Pod     string `json:"pod"`
	Path    string `json:"path"`
	// Error says why the answer is a 500; empty otherwise.
	Error string `json:"error,omitempty"`
}

// Stats counts a Server's answers.
type Stats struct {
	// Requests is how many requests were answered (200 or 500).
	Requests int64
	// Failures is how many of them were injected 500s.
	Failures int64
}

// Server is an HTTP server listening on a pod IP inside the namespace.
// Every path, /healthz included, answers 200 with a Response unless the
// request is picked to fail (Behavior.FailRate), after Behavior.Latency;
// MetricsPath answers with the pod's Prometheus metrics (see metrics).
type Server struct {
	cfg      ServerConfig
	net      *Network
	srv      *http.Server
	done     chan struct{} // closed by Close; ends injected latency
	served   chan struct{} // closed when srv.Serve returns
	once     sync.Once
	closeErr error
	requests atomic.Int64
	failures atomic.Int64
	// override, when set, replaces cfg.Behavior (SetBehavior).
	override atomic.Pointer[Behavior]
	metrics  *metrics
}

// Serve checks the route to cfg.Addr (CheckRoute), listens on it inside the
// namespace and serves until Close or the Network's Close.
func (n *Network) Serve(ctx context.Context, cfg ServerConfig) (*Server, error) {
	if err := cfg.Behavior.Validate(); err != nil {
		return nil, fmt.Errorf("serve %s: %w", cfg.Addr, err)
	}
	if cfg.Addr.Port() == 0 {
		return nil, fmt.Errorf("serve %s: want a port from 1 to 65535", cfg.Addr)
	}
	if err := n.CheckRoute(ctx, cfg.Addr.Addr()); err != nil {
		return nil, fmt.Errorf("serve %s: %w", cfg.Addr, err)
	}
	ln, err := listenInNamespace(n.nsPath(), n.nsID, cfg.Addr.String())
	if err != nil {
		return nil, fmt.Errorf("serve %s in namespace %s: %w", cfg.Addr, n.name, err)
	}
	s := &Server{cfg: cfg, net: n, done: make(chan struct{}), served: make(chan struct{}), metrics: newMetrics(cfg, time.Now())}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}

	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		ln.Close()
		return nil, fmt.Errorf("serve %s: %w: network %s is closed", cfg.Addr, ErrRefused, n.name)
	}
	n.servers[s] = struct{}{}
	n.mu.Unlock()

	go func() {
		defer close(s.served)
		s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// listenInNamespace opens a TCP listener on addr inside the namespace
// mounted at nsPath. A network namespace belongs to a thread, not a
// process, so on a fresh goroutine locked to its OS thread it:
//
//  1. opens the thread's own namespace (/proc/thread-self/ns/net) and the
//     target, checking the target is still the namespace with identity id;
//  2. unix.Setns into the target and creates the socket, which belongs to
//     the namespace it was made in for its whole life (accepted
//     connections too, whichever thread runs them later);
//  3. unix.Setns back, and unlocks the thread only when that worked; a
//     thread that could not switch back stays locked, and Go ends it when
//     the goroutine returns, so no other goroutine ever runs in the wrong
//     namespace.
func listenInNamespace(nsPath string, id fileID, addr string) (net.Listener, error) {
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ln, restored, err := listenLocked(nsPath, id, addr)
		if restored {
			runtime.UnlockOSThread()
		}
		ch <- result{ln, err}
	}()
	r := <-ch
	return r.ln, r.err
}

// listenLocked does the work of listenInNamespace on a locked thread and
// reports whether the thread is back in its own namespace.
func listenLocked(nsPath string, id fileID, addr string) (ln net.Listener, restored bool, err error) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, fmt.Errorf("open own network namespace: %w", err)
	}
	defer self.Close()
	target, err := os.Open(nsPath)
	if err != nil {
		return nil, true, fmt.Errorf("%w: open namespace: %w", ErrRefused, err)
	}
	defer target.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(target.Fd()), &st); err != nil {
		return nil, true, fmt.Errorf("stat namespace: %w", err)
	}
	if (fileID{dev: uint64(st.Dev), ino: st.Ino}) != id {
		return nil, true, fmt.Errorf("%w: %s is not the namespace this Network made", ErrRefused, nsPath)
	}
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("setns %s: %w", nsPath, err)
	}
	ln, lerr := net.Listen("tcp4", addr)
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, false, fmt.Errorf("setns back to own namespace: %w", err)
	}
	if lerr != nil {
		return nil, true, lerr
	}
	return ln, true, nil
}

// Addr is the pod IP and port the Server listens on.
func (s *Server) Addr() netip.AddrPort { return s.cfg.Addr }

// Stats returns the Server's counters so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Failures: s.failures.Load()}
}

// Close stops listening and drops open connections; requests waiting out
// their latency end unanswered. Calling Close again does nothing.
func (s *Server) Close() error {
	s.once.Do(func() {
		close(s.done)
		err := s.srv.Close()
		<-s.served
		s.net.mu.Lock()
		delete(s.net.servers, s)
		s.net.mu.Unlock()
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.closeErr = fmt.Errorf("close server %s: %w", s.cfg.Addr, err)
		}
	})
	return s.closeErr
}

// ServeHTTP answers every path alike (see Server), but MetricsPath.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == MetricsPath {
		s.metrics.handler.ServeHTTP(w, r)
		return
	}
	began := time.Now()
	b := s.cfg.Behavior
	if o := s.override.Load(); o != nil {
		b = *o
	}
	if b.Latency > 0 {
		t := time.NewTimer(b.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
	resp := Response{Version: b.Version, Pod: s.cfg.Pod, Path: r.URL.Path}
	status := http.StatusOK
	if fail(b.FailRate) {
		status = http.StatusInternalServerError
		resp.Error = fmt.Sprintf("injected failure (%s=%v)", EnvFailRate, b.FailRate)
		s.failures.Add(1)
	}
	s.requests.Add(1)
	s.metrics.served(r.Method, status, time.Since(began), time.Now())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Version", b.Version)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}

// fail picks whether one request fails at the given rate.
func fail(rate float64) bool {
	switch {
	case rate <= 0:
		return false
	case rate >= 1:
		return true
	}
	return rand.Float64() < rate
}
