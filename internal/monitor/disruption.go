package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// SourceDisruption is the Source of a Disruption sampler's intervals.
const SourceDisruption = "disruption"

// Connection is how a Disruption sampler connects: the two fail
// differently while pods come and go.
type Connection string

// The connection backends.
const (
	// NewConnections opens a new connection for every sample (keep-alives
	// off): it sees refused connections and missing endpoints.
	NewConnections Connection = "new-connections"
	// ReusedConnections keeps connections alive and reuses them: it sees
	// connections dropped by a terminating backend.
	ReusedConnections Connection = "reused-connections"
)

// Connections are both backends, in the order checks list them.
var Connections = []Connection{NewConnections, ReusedConnections}

// maxBody is how much of an answer a sample reads.
const maxBody = 1 << 20

// Target is one endpoint a Disruption sampler sends requests to.
type Target struct {
	// Name is the endpoint's stable name (config's DisplayName).
	Name string
	// Object names what is behind the URL as locator keys, e.g. "ns/shop
	// service/web"; empty for a plain URL.
	Object string
	// URL is what every sample GETs.
	URL string
	// Transport returns a round tripper that opens a new connection for
	// every request when fresh is set, and reuses connections otherwise.
	// Through the API server's service proxy (ServiceTransport) "new
	// connections" are new connections to the API server; the proxy's own
	// connections to the pods are its business.
	Transport func(fresh bool) (http.RoundTripper, error)
	// Status is the expected status; redirects are not followed.
	Status int
	// BodyContains must occur in the body, when set.
	BodyContains string
	// VersionHeader, when set, is an answer's header whose value names the
	// revision that answered; each sample keeps it.
	VersionHeader string
}

// Sample is one request a Disruption sampler sent.
type Sample struct {
	// Sent is when the request was sent.
	Sent time.Time
	// Duration is how long the answer (or the failure) took.
	Duration time.Duration
	// Status is the answer's status; 0 when there was none.
	Status int
	// Err says why the sample failed; empty when it succeeded.
	Err string
	// Version is the answer's VersionHeader value, when the target has one.
	Version string `json:",omitempty"`
}

// OK reports whether the sample succeeded.
func (s Sample) OK() bool { return s.Err == "" }

// Disruption samples one Target over one Connection backend at a fixed
// rate. Each sample runs on its own, so a slow answer does not delay the
// next sample.
type Disruption struct {
	target  Target
	conn    Connection
	rate    float64
	timeout time.Duration

	mu      sync.Mutex
	samples []Sample // in the order they were answered
	// reach[i] is the latest Sent of samples[:i+1]; it only grows, so the
	// first sample that can have been sent at or after a time is found by
	// binary search, not by reading a long window from its start.
	reach []time.Time
	from  time.Time // first sample sent
	to    time.Time // stop; zero while running
}

// NewDisruption returns a sampler of target over conn at rate samples per
// second, each bounded by timeout.
func NewDisruption(target Target, conn Connection, rate float64, timeout time.Duration) (*Disruption, error) {
	switch {
	case target.URL == "" || target.Transport == nil:
		return nil, fmt.Errorf("disruption sampler %q: the target needs a URL and a Transport", target.Name)
	case conn != NewConnections && conn != ReusedConnections:
		return nil, fmt.Errorf("disruption sampler %q: connection %q: use %s or %s", target.Name, conn, NewConnections, ReusedConnections)
	case rate <= 0 || rate > 1000:
		return nil, fmt.Errorf("disruption sampler %q: rate %v: use samples per second from 1 to 1000", target.Name, rate)
	case timeout <= 0:
		return nil, fmt.Errorf("disruption sampler %q: timeout %v: use a duration above 0, e.g. 1s", target.Name, timeout)
	}
	if target.Status == 0 {
		target.Status = http.StatusOK
	}
	return &Disruption{target: target, conn: conn, rate: rate, timeout: timeout}, nil
}

// Locator names the backend: the target's object keys, then
// endpoint/<name> and backend/<connection>, e.g. "ns/shop service/web
// endpoint/web backend/new-connections".
func (d *Disruption) Locator() string {
	return DisruptionLocator(d.target.Object, d.target.Name, d.conn)
}

// DisruptionLocator is the Locator of a Disruption sampler's intervals.
func DisruptionLocator(object, endpoint string, conn Connection) string {
	loc := "endpoint/" + endpoint + " backend/" + string(conn)
	if object != "" {
		loc = object + " " + loc
	}
	return loc
}

// Name names the sampler in errors.
func (d *Disruption) Name() string { return "disruption " + d.Locator() }

// Run sends a sample every 1/rate seconds until ctx ends, waits for the
// samples in flight (each bounded by the timeout), then records the
// outages and the sampling window.
func (d *Disruption) Run(ctx context.Context, rec *Recorder, started func()) error {
	rt, err := d.target.Transport(d.conn == NewConnections)
	if err != nil {
		return fmt.Errorf("transport for %s: %w", d.target.URL, err)
	}
	defer utilnet.CloseIdleConnectionsFor(rt)
	client := noRedirects(rt)
	reqCtx := context.WithoutCancel(ctx) // samples in flight finish on their own timeout
	var wg sync.WaitGroup
	send := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := d.sample(reqCtx, client)
			d.mu.Lock()
			d.add(s)
			d.mu.Unlock()
		}()
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / d.rate))
	defer tick.Stop()
	d.mu.Lock()
	d.from = time.Now()
	d.mu.Unlock()
	send()
	started()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			send()
		}
	}
	stop := rec.StopTime()
	wg.Wait()
	d.mu.Lock()
	d.to = stop
	d.mu.Unlock()
	rec.Record(d.intervals()...)
	return nil
}

// noRedirects is a client that returns redirects as answers.
func noRedirects(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// sample sends one request and judges the answer.
func (d *Disruption) sample(ctx context.Context, client *http.Client) Sample {
	s := Sample{Sent: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	s.Status, s.Version, s.Err = d.try(ctx, client)
	s.Duration = time.Since(s.Sent)
	return s
}

// add records an answered sample; call with mu held.
func (d *Disruption) add(s Sample) {
	r := s.Sent
	if n := len(d.reach); n > 0 && d.reach[n-1].After(r) {
		r = d.reach[n-1]
	}
	d.samples, d.reach = append(d.samples, s), append(d.reach, r)
}

// Samples returns the samples sent at or after since whose answers are in,
// in the order they were answered; the sampler may still be running.
func (d *Disruption) Samples(since time.Time) []Sample {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Every sample before the first whose reach is since was sent before it.
	first, _ := slices.BinarySearchFunc(d.reach, since, func(r, t time.Time) int { return r.Compare(t) })
	var out []Sample
	for _, s := range d.samples[first:] {
		if !s.Sent.Before(since) {
			out = append(out, s)
		}
	}
	return out
}

// Timeout bounds one sample.
func (d *Disruption) Timeout() time.Duration { return d.timeout }

// Target is the endpoint the sampler sends requests to.
func (d *Disruption) Target() Target { return d.target }

// try returns the status, the answer's version and why the answer is not
// what was expected, if it is not.
func (d *Disruption) try(ctx context.Context, client *http.Client) (status int, version, problem string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.target.URL, nil)
	if err != nil {
		return 0, "", err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, "", fmt.Sprintf("no answer within %v", d.timeout)
		}
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	if d.target.VersionHeader != "" {
		version = resp.Header.Get(d.target.VersionHeader)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	switch {
	case resp.StatusCode != d.target.Status:
		return resp.StatusCode, version, fmt.Sprintf("status %d, want %d: %s", resp.StatusCode, d.target.Status, snippet(body))
	case err != nil:
		return resp.StatusCode, version, fmt.Sprintf("read body: %v", err)
	case d.target.BodyContains != "" && !strings.Contains(string(body), d.target.BodyContains):
		return resp.StatusCode, version, fmt.Sprintf("body lacks %q: %s", d.target.BodyContains, snippet(body))
	}
	return resp.StatusCode, version, ""
}

// snippet is the start of a body on one line, quoted; of a Kubernetes
// Status (the API server's service proxy answers with one) its message.
func snippet(body []byte) string {
	var status struct{ Kind, Message string }
	if json.Unmarshal(body, &status) == nil && status.Kind == "Status" && status.Message != "" {
		body = []byte(status.Message)
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return fmt.Sprintf("%q", s)
}
