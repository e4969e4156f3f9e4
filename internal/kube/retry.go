package kube

import (
	"context"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
)

// transientBackoff bounds the retries of transient errors: about 30 s in
// all, long enough for an API server to restart.
var transientBackoff = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 9, Cap: 5 * time.Second}

// retryTransient runs fn until it succeeds, fails with an error that is not
// transient, the backoff is used up or ctx is done. It returns fn's last
// error.
func retryTransient(ctx context.Context, fn func(context.Context) error) error {
	return retryWith(ctx, transientBackoff, fn)
}

func retryWith(ctx context.Context, b wait.Backoff, fn func(context.Context) error) error {
	var last error
	err := wait.ExponentialBackoffWithContext(ctx, b, func(ctx context.Context) (bool, error) {
		last = fn(ctx)
		switch {
		case last == nil:
			return true, nil
		case IsTransient(last):
			return false, nil
		}
		return false, last
	})
	if last != nil && (err == nil || wait.Interrupted(err)) {
		// The backoff ran out or ctx ended: the error of the last attempt
		// says more than "timed out waiting for the condition".
		if ctx.Err() != nil && !errors.Is(last, ctx.Err()) {
			return errors.Join(last, ctx.Err())
		}
		return last
	}
	return err
}

// IsTransient reports whether an error is worth retrying: a server error
// (5xx), too many requests (429), a server-side timeout, or a connection
// refused, reset or cut short, as while an API server restarts.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Code >= 500 {
		return true
	}
	return utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) ||
		utilnet.IsHTTP2ConnectionLost(err)
}
