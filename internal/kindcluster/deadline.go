package kindcluster

import (
	"context"
	"fmt"
	"time"
)

// Timeouts of the calls into kind after Create, used when the caller's
// context has no sooner deadline.
const (
	loadTimeout   = 5 * time.Minute
	logsTimeout   = 3 * time.Minute
	deleteTimeout = 2 * time.Minute
)

// await runs fn, which takes no context (kind's API), in its own goroutine
// and waits until it returns or ctx ends. what says what is waited for, as
// in "kind to create cluster x". When ctx ends first, await returns an error
// saying what it waited for and for how long, with ctx's cause; fn goes on
// running and, if abandoned is not nil, abandoned gets fn's result once fn
// returns, to clean up after it.
func await[T any](ctx context.Context, what string, fn func() (T, error), abandoned func(T, error)) (T, error) {
	var zero T
	if err := context.Cause(ctx); err != nil {
		return zero, fmt.Errorf("did not start waiting for %s: %w", what, err)
	}
	type result struct {
		v   T
		err error
	}
	start := time.Now()
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		if abandoned != nil {
			go func() {
				r := <-done
				abandoned(r.v, r.err)
			}()
		}
		return zero, fmt.Errorf("gave up waiting for %s after %s: %w", what, time.Since(start).Round(time.Millisecond), context.Cause(ctx))
	}
}

// awaitErr is await for a function that returns only an error.
func awaitErr(ctx context.Context, what string, fn func() error, abandoned func(error)) error {
	var ab func(struct{}, error)
	if abandoned != nil {
		ab = func(_ struct{}, err error) { abandoned(err) }
	}
	_, err := await(ctx, what, func() (struct{}, error) { return struct{}{}, fn() }, ab)
	return err
}

// bounded returns ctx bounded by d, with a cause that names the operation
// and the timeout; a sooner deadline of ctx stays in force.
func bounded(ctx context.Context, d time.Duration, op string) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("the %s timeout to %s ran out", d, op))
}
