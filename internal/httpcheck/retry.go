package httpcheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/internal/config"
)

// Outcome is the end of a retried check.
type Outcome struct {
	// Last is the last attempt's observation.
	Last Observation
	// Problems are Last's problems; none when the check passed.
	Problems []string
	// Attempts is how many requests were sent, at least 1.
	Attempts int
	// Elapsed is the time from the first attempt to the end of the last.
	Elapsed time.Duration
}

// Passed reports whether the last attempt met the expectations.
func (o Outcome) Passed() bool { return len(o.Problems) == 0 }

// Summary says in one line how the check ended, e.g. "passed on attempt
// 3 after 1.2s" or "failed 5 attempts in 10s".
func (o Outcome) Summary() string {
	if o.Passed() {
		return fmt.Sprintf("passed on attempt %d after %s", o.Attempts, FormatLatency(o.Elapsed))
	}
	return fmt.Sprintf("failed %d attempt%s in %s", o.Attempts, plural(o.Attempts), FormatLatency(o.Elapsed))
}

// Retry sends check until it passes or its retry deadline
// (check.RetryDeadline) has passed, pausing 250ms after the first failure
// and doubling the pause up to 5s. A passing attempt ends it at once; so do
// a cancelled ctx and a Service endpoint without a cluster (ErrNoCluster).
// No attempt starts after the deadline, but the last one may run for its
// request timeout beyond it.
func (r *Resolver) Retry(ctx context.Context, check config.HTTPCheck) Outcome {
	start := time.Now()
	deadline := start.Add(check.RetryDeadline())
	pause := r.backoff
	var out Outcome
	for {
		out.Last = r.Do(ctx, check)
		out.Attempts++
		out.Problems = Evaluate(out.Last, check.Expect)
		out.Elapsed = time.Since(start)
		if out.Passed() || ctx.Err() != nil || errors.Is(out.Last.Err, ErrNoCluster) {
			return out
		}
		left := time.Until(deadline)
		if left <= 0 {
			return out
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return out
		case <-t.C:
		}
		pause = min(2*pause, r.backoffCap)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
