package risk

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Source gives the history of earlier runs, e.g. their JUnit artifacts
// through GitHub's API (ghapi).
type Source interface {
	History(ctx context.Context) (History, error)
}

// DefaultTimeout bounds the history lookup of one run.
const DefaultTimeout = 2 * time.Minute

// Ranker ranks a run's failures: it looks the history up once, the first
// time a failure asks, within its timeout, and renders the ranking. A
// lookup that fails becomes a warning and a note in the section, never an
// error: ranking is advice, not a gate.
type Ranker struct {
	src     Source
	timeout time.Duration
	warnf   func(string, ...any)

	mu     sync.Mutex
	looked bool
	h      History
	err    error
}

// NewRanker returns a Ranker over src; timeout ≤ 0 means DefaultTimeout;
// warnf (may be nil) hears of a failed lookup once.
func NewRanker(src Source, timeout time.Duration, warnf func(string, ...any)) *Ranker {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if warnf == nil {
		warnf = func(string, ...any) {}
	}
	return &Ranker{src: src, timeout: timeout, warnf: warnf}
}

// Section is the markdown section ranking failed in at most limit bytes,
// empty when nothing failed. It is safe for concurrent use.
func (r *Ranker) Section(ctx context.Context, failed []Case, limit int) string {
	if len(failed) == 0 || limit <= 0 {
		return ""
	}
	h, err := r.history(ctx)
	if err != nil {
		return cut(fmt.Sprintf("\n%s\n\n> ⚠️ The failures are not ranked: their history could not be read (%s).\n", Heading, escape(err.Error())), limit)
	}
	return Markdown(Rank(failed, h), h, limit)
}

func (r *Ranker) history(ctx context.Context) (History, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.looked {
		r.looked = true
		ctx, cancel := context.WithTimeout(ctx, r.timeout)
		r.h, r.err = r.src.History(ctx)
		cancel()
		if r.err != nil {
			r.err = fmt.Errorf("history of earlier runs: %w", r.err)
			r.warnf("The failures are not ranked by risk: %v", r.err)
		}
	}
	return r.h, r.err
}
