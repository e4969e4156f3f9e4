// Package load generates production-like traffic at a declared rate while
// a stage's checks run, with vegeta (github.com/tsenart/vegeta/v12) as the
// generator: a constant pacer at the configured rate, bounded by the
// configured duration, by a count of requests and by the caller's context,
// and a weighted choice of paths, methods, headers and bodies. Requests go
// only to the configured target: every URL is checked to stay under it
// before the first request, and redirects are not followed (a 3xx answer
// counts as failed and names where it pointed).
//
// The results (success ratio, latency percentiles, the rate reached,
// throughput, status codes, errors, requests per path) become checks with
// the configured limits, intervals for the timeline and lines for the
// summary.
//
// A stage starts a load with Launch (or Resolve, then Start), does its
// own work meanwhile, and calls Stop (or Wait, to let the load's own
// bounds end it); the Results give Checks(prefix), Lines and Intervals.
// Promote may run one load per step and name each step's checks with a
// prefix such as "[load] step 10%".
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/result"
)

// Target is where a load's requests go, resolved from the configured
// endpoint.
type Target struct {
	// URL is the base every configured path is joined to: the configured
	// URL, or the Service's proxy URL on the API server.
	URL string
	// Name names the target in checks, intervals and summary lines: the
	// URL, or the Service as service/namespace/name:port/path (never the
	// API server's address).
	Name string
	// Object is Service/namespace/name for a Service, for findings.
	Object string
	// Transport carries the requests (authenticated to the API server for
	// a Service); a clone of http.DefaultTransport when nil.
	Transport http.RoundTripper
}

// Resolve turns cfg.Target into a Target with r: a Service is looked up
// (its port checked or picked) and reached through the API server's
// service proxy; a URL is used as it is.
func Resolve(ctx context.Context, r *httpcheck.Resolver, cfg config.LoadSpec) (Target, error) {
	t, err := r.Resolve(ctx, cfg.Target)
	if err != nil {
		return Target{Name: t.Name, Object: t.Object}, fmt.Errorf("load target: %w", err)
	}
	return Target{URL: t.URL, Name: t.Name, Object: t.Object, Transport: t.Client(false).Transport}, nil
}

// Run is a load in progress. Its methods are safe for concurrent use.
type Run struct {
	atk      *vegeta.Attacker
	acc      *accumulator
	done     chan struct{}
	stopOnce sync.Once
}

// Start checks every request of cfg stays under target, then sends them at
// cfg.Rate until cfg.For() has passed, cfg.RequestBound() requests were
// sent, ctx ends or Stop is called, whichever comes first. It returns once
// the load is under way; an error means no request was sent.
func Start(ctx context.Context, cfg config.LoadSpec, target Target) (*Run, error) {
	if !cfg.Enabled() {
		return nil, errors.New("start load: no load configured")
	}
	if cfg.Rate <= 0 || cfg.Rate > config.MaxLoadRate || cfg.RequestBound() > config.MaxLoadRequests || cfg.For() > config.MaxLoadDuration {
		return nil, fmt.Errorf("start load on %s: rate %v for %v is beyond the bounds (%d/s, %v, %d requests); validate the config first", target.Name, cfg.Rate, cfg.For(), config.MaxLoadRate, config.MaxLoadDuration, config.MaxLoadRequests)
	}
	targets, err := buildTargets(cfg, target)
	if err != nil {
		return nil, fmt.Errorf("start load on %s: %w", target.Name, err)
	}
	rt := target.Transport
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
	}
	client := &http.Client{
		Transport: rt,
		Timeout:   cfg.RequestTimeout(),
		// The load goes only where the config says: a redirect is an
		// answer, never followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.MaxBody(0),
		vegeta.Workers(initialWorkers(cfg.Rate)),
		vegeta.MaxWorkers(maxWorkers(cfg.Rate, cfg.RequestTimeout())),
	)
	acc := newAccumulator(cfg, target, targets)
	pacer := boundedPacer{Pacer: constantPacer(cfg.Rate), max: uint64(cfg.RequestBound())}
	results := atk.Attack(weighted(targets), pacer, cfg.For(), "")
	r := &Run{atk: atk, acc: acc, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for res := range results {
			acc.add(res)
		}
		acc.finish()
	}()
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-r.done:
		}
	}()
	return r, nil
}

// Launch resolves cfg.Target with r and starts the load. When the target
// does not resolve or the load cannot start, the Run returned has already
// ended and its results say why (NotRun), so every check of it fails: a
// stage reports a load that could not run as a finding, not as an error
// that stops it.
func Launch(ctx context.Context, r *httpcheck.Resolver, cfg config.LoadSpec) *Run {
	t, err := Resolve(ctx, r, cfg)
	if err == nil {
		var run *Run
		if run, err = Start(ctx, cfg, t); err == nil {
			return run
		}
	}
	name := cmpOr(t.Name, cfg.Target.String())
	acc := &accumulator{res: NotRunResults(cfg, name, err.Error())}
	done := make(chan struct{})
	close(done)
	return &Run{acc: acc, done: done}
}

// Done is closed when the load has ended: by its own bounds, by ctx or by
// Stop, with every request answered or timed out.
func (r *Run) Done() <-chan struct{} { return r.done }

// Wait waits for the load to end by its own bounds (duration, count) or
// its context, and returns the results.
func (r *Run) Wait() Results {
	<-r.done
	return r.acc.results()
}

// Stop ends the load now: no request is sent after it, the ones in flight
// are waited for (each bounded by the request timeout), and the results
// are returned. Calling it again returns the same results.
func (r *Run) Stop() Results {
	r.stopOnce.Do(func() {
		if r.atk != nil {
			r.atk.Stop()
		}
	})
	return r.Wait()
}

// Checks stops the load and returns its checks, named with prefix (see
// Results.Checks).
func (r *Run) Checks(prefix string) []result.Check { return r.Stop().Checks(prefix) }

// constantPacer paces rate requests a second; a fractional rate is kept to
// a thousandth.
func constantPacer(rate float64) vegeta.ConstantPacer {
	if rate == math.Trunc(rate) {
		return vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}
	}
	return vegeta.ConstantPacer{Freq: int(math.Round(rate * 1000)), Per: 1000 * time.Second}
}

// boundedPacer stops the attack after max requests.
type boundedPacer struct {
	vegeta.Pacer
	max uint64
}

// Pace stops once max requests were sent, else paces as the inner pacer.
func (p boundedPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.max {
		return 0, true
	}
	return p.Pacer.Pace(elapsed, hits)
}

// initialWorkers starts enough workers for a tenth of a second's requests.
func initialWorkers(rate float64) uint64 {
	return uint64(min(max(math.Ceil(rate/10), 2), 50))
}

// maxWorkers bounds the requests in flight: enough for every request of
// one timeout's span at the rate, at most 1000.
func maxWorkers(rate float64, timeout time.Duration) uint64 {
	return uint64(min(max(math.Ceil(rate*timeout.Seconds()), 10), 1000))
}
