package monitor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Default bounds of Monitor's waits.
const (
	DefaultStartTimeout = 30 * time.Second
	DefaultStopTimeout  = 15 * time.Second
)

// Sampler records intervals while it runs.
type Sampler interface {
	// Name names the sampler in errors, e.g. "disruption ns/shop service/web
	// backend/new-connections".
	Name() string
	// Run samples until ctx ends, recording through rec. It calls started
	// once it is sampling (first request sent, watches synced), records
	// what is still open as ending at rec.StopTime() when ctx ends, and
	// returns within a bounded time after that. An error means it could
	// not sample.
	Run(ctx context.Context, rec *Recorder, started func()) error
}

// Options bounds a Monitor's waits; the zero value is the default.
type Options struct {
	// StartTimeout bounds Start's wait for every sampler to be sampling;
	// DefaultStartTimeout when zero.
	StartTimeout time.Duration
	// StopTimeout bounds Stop's wait for every sampler to return;
	// DefaultStopTimeout when zero. It must exceed the samplers' own
	// bounds (a sample's timeout).
	StopTimeout time.Duration
}

// Monitor runs samplers from Start to Stop. Its methods are safe for
// concurrent use.
type Monitor struct {
	opts     Options
	samplers []Sampler
	rec      *Recorder

	mu      sync.Mutex
	started bool
	stopped bool
	cancel  context.CancelFunc
	done    []chan error // one per sampler, buffered
	stopErr error
}

// New returns a Monitor of the samplers; Start runs them.
func New(opts Options, samplers ...Sampler) *Monitor {
	opts.StartTimeout = cmp.Or(opts.StartTimeout, DefaultStartTimeout)
	opts.StopTimeout = cmp.Or(opts.StopTimeout, DefaultStopTimeout)
	return &Monitor{opts: opts, samplers: samplers, rec: &Recorder{}}
}

// Start runs every sampler and returns once all of them are sampling.
// Sampling goes on until Stop or until ctx ends. When a sampler fails to
// start, or not all are sampling within StartTimeout, Start stops the
// others and returns an error naming the ones that were not sampling.
func (m *Monitor) Start(ctx context.Context) error {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return errors.New("start monitor: already started")
	}
	m.started = true
	runCtx, cancel := context.WithCancel(ctx)
	m.cancel = cancel
	ready := make([]chan struct{}, len(m.samplers))
	for i, s := range m.samplers {
		ready[i] = make(chan struct{})
		done := make(chan error, 1)
		m.done = append(m.done, done)
		once := sync.OnceFunc(func() { close(ready[i]) })
		go func() { done <- s.Run(runCtx, m.rec, once) }()
	}
	m.mu.Unlock()

	timer := time.NewTimer(m.opts.StartTimeout)
	defer timer.Stop()
	for i, s := range m.samplers {
		select {
		case <-ready[i]:
			continue
		case err := <-m.done[i]:
			m.done[i] <- nil // reported here; Stop reads this instead
			_, stopErr := m.Stop()
			return errors.Join(fmt.Errorf("start monitor: %s: %w", s.Name(), cmp.Or(err, errors.New("returned before sampling"))), stopErr)
		case <-timer.C:
		case <-ctx.Done():
		}
		var waiting []string
		for j := i; j < len(m.samplers); j++ {
			select {
			case <-ready[j]:
			default:
				waiting = append(waiting, m.samplers[j].Name())
			}
		}
		why := cmp.Or(ctx.Err(), fmt.Errorf("not sampling within %v", m.opts.StartTimeout))
		_, stopErr := m.Stop()
		return errors.Join(fmt.Errorf("start monitor: waiting for %s to sample: %w", strings.Join(waiting, ", "), why), stopErr)
	}
	return nil
}

// Stop ends every sampler at one instant, waits up to StopTimeout for them
// to return, and returns every interval recorded. The error joins what the
// samplers returned and names those that did not return in time; the
// intervals are returned either way. Calling Stop again returns the same.
func (m *Monitor) Stop() ([]Interval, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped || !m.started {
		return m.rec.Intervals(), m.stopErr
	}
	m.stopped = true
	m.rec.stop(time.Now())
	m.cancel()
	timer := time.NewTimer(m.opts.StopTimeout)
	defer timer.Stop()
	var errs []error
	var late []string
	expired := timer.C
	for i, s := range m.samplers {
		var err error
		select {
		case err = <-m.done[i]:
		case <-expired:
			expired = closedChan // the others get no more time
			select {
			case err = <-m.done[i]:
			default:
				late = append(late, s.Name())
				continue
			}
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
		}
	}
	if len(late) > 0 {
		errs = append(errs, fmt.Errorf("%s did not stop within %v", strings.Join(late, ", "), m.opts.StopTimeout))
	}
	if len(errs) > 0 {
		m.stopErr = fmt.Errorf("monitor: %w", errors.Join(errs...))
	}
	return m.rec.Intervals(), m.stopErr
}

// Intervals returns the intervals recorded so far, sorted; before Stop it
// lacks those still open.
func (m *Monitor) Intervals() []Interval { return m.rec.Intervals() }

// Summaries returns a DisruptionSummary for every Disruption sampler, in
// the order they were given; complete after Stop.
func (m *Monitor) Summaries() []DisruptionSummary {
	var out []DisruptionSummary
	for _, s := range m.samplers {
		if d, ok := s.(*Disruption); ok {
			out = append(out, d.Summary())
		}
	}
	return out
}

var closedChan = func() chan time.Time { c := make(chan time.Time); close(c); return c }()

// Recorder collects intervals from samplers; safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	intervals []Interval
	stopAt    time.Time
}

// Record adds intervals.
func (r *Recorder) Record(intervals ...Interval) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.intervals = append(r.intervals, intervals...)
}

// StopTime is the instant the monitor stopped, where open intervals end;
// the current time when the monitor was not stopped (its context ended).
func (r *Recorder) StopTime() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopAt.IsZero() {
		return time.Now()
	}
	return r.stopAt
}

func (r *Recorder) stop(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopAt = at
}

// Intervals returns a sorted copy of what was recorded.
func (r *Recorder) Intervals() []Interval {
	r.mu.Lock()
	out := slices.Clone(r.intervals)
	r.mu.Unlock()
	Sort(out)
	return out
}

// Sort orders intervals by From, then To, Source, Locator and Message.
func Sort(intervals []Interval) {
	SortStable(intervals, func(a, b *Interval) int {
		// In turn, not through cmp.Or: it would compare every field, and
		// its arguments escape to the heap through a func value.
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		if c := a.To.Compare(b.To); c != 0 {
			return c
		}
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		if c := strings.Compare(a.Locator, b.Locator); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
}

// SortStable orders intervals by compare, keeping the order of those it
// finds equal, in O(n log n): it sorts their positions and moves each
// interval once (slices.SortStableFunc moves them O(n log² n) times, most
// of the time of a long window's evaluation).
func SortStable(intervals []Interval, compare func(a, b *Interval) int) {
	sorted := true
	for i := 1; i < len(intervals) && sorted; i++ {
		sorted = compare(&intervals[i-1], &intervals[i]) <= 0
	}
	if sorted {
		return // a recorder's intervals, evaluated again
	}
	order := make([]int, len(intervals))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		if c := compare(&intervals[i], &intervals[j]); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	moved := make([]Interval, len(intervals))
	for k, i := range order {
		moved[k] = intervals[i]
	}
	copy(intervals, moved)
}
