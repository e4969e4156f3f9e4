package ghapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// retryTransport retries what GitHub asks to be retried: server errors,
// network errors, and primary and secondary rate limits. Waits follow
// Retry-After and X-RateLimit-Reset when GitHub sends them, and an
// exponential backoff otherwise; attempts and each wait are bounded, so a
// request never hangs.
type retryTransport struct {
	base        http.RoundTripper
	maxAttempts int
	maxWait     time.Duration
	backoff     time.Duration
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
	logf        func(string, ...any)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	attempts, _ := req.Context().Value(attemptsKey{}).(*atomic.Int32)
	for attempt := 1; ; attempt++ {
		if attempts != nil {
			attempts.Add(1)
		}
		if attempt > 1 && req.Body != nil {
			if req.GetBody == nil {
				return nil, fmt.Errorf("%s %s: cannot retry a request whose body cannot be replayed", req.Method, req.URL.Path)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("%s %s: replay body: %w", req.Method, req.URL.Path, err)
			}
			req.Body = body
		}
		resp, err := t.base.RoundTrip(req)
		wait, why := t.classify(req.Context(), resp, err, attempt)
		if why == "" || attempt >= t.maxAttempts {
			return resp, err
		}
		if wait > t.maxWait {
			t.logf("GitHub API %s %s: %s; the wait of %s is longer than the %s shipgate allows, giving up", req.Method, req.URL.Path, why, wait.Round(time.Second), t.maxWait)
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
		t.logf("GitHub API %s %s: %s; retrying in %s (attempt %d of %d)", req.Method, req.URL.Path, why, wait.Round(time.Millisecond), attempt+1, t.maxAttempts)
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, fmt.Errorf("%s %s: waiting to retry after %s: %w", req.Method, req.URL.Path, why, err)
		}
	}
}

// classify says how long to wait before the next attempt and why; an empty
// reason means the response is final.
func (t *retryTransport) classify(ctx context.Context, resp *http.Response, err error, attempt int) (time.Duration, string) {
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return 0, ""
		}
		return t.exp(attempt), "network error: " + err.Error()
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return t.exp(attempt), resp.Status
	case http.StatusForbidden, http.StatusTooManyRequests:
	default:
		return 0, ""
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, "rate limited (Retry-After " + s + "s)"
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			wait := time.Unix(reset, 0).Sub(t.now()) + time.Second
			return max(wait, time.Second), "primary rate limit exhausted"
		}
	}
	// A secondary rate limit without Retry-After: GitHub asks for at least a
	// minute, then exponential backoff.
	if body := peekBody(resp); strings.Contains(strings.ToLower(body), "secondary rate limit") {
		return max(time.Minute, t.exp(attempt)), "secondary rate limit"
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return t.exp(attempt), resp.Status
	}
	return 0, "" // a plain 403 is a permission answer, final
}

func (t *retryTransport) exp(attempt int) time.Duration {
	return t.backoff << (attempt - 1)
}

// peekBody reads up to 64 KiB of the body and puts it back.
func peekBody(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	return string(b)
}

// attemptsKey marks a context whose requests count their attempts.
type attemptsKey struct{}

// countAttempts returns a context under which the retry transport counts
// every attempt it sends, so a caller can tell whether a write was sent more
// than once.
func countAttempts(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, attemptsKey{}, n), n
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
