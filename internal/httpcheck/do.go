package httpcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/config"
)

// MaxBody is how much of a response body an Observation keeps.
const MaxBody = 64 << 10

// Observation is what one request saw.
type Observation struct {
	// Method and Target name the request as evidence shows it; Target is
	// the URL, or the service target for a Service endpoint.
	Method, Target string
	// Object is "Service/namespace/name" for a Service endpoint; empty otherwise.
	Object string
	// Status is the response's status code; 0 when there was no response.
	Status int
	// Latency is the time from sending the request to reading the body.
	Latency time.Duration
	// Header is the response's header; nil when there was no response.
	Header http.Header
	// Body is the response body, at most MaxBody bytes of it.
	Body []byte
	// Truncated says the body was longer than MaxBody.
	Truncated bool
	// Err says why there was no (complete) response: the endpoint could not
	// be resolved, the connection failed, or no answer came in time.
	Err error
}

// Do sends one request of check and returns what it saw, within the
// check's request timeout. It never returns an error: a failed request is
// an observation with Err set.
func (r *Resolver) Do(ctx context.Context, check config.HTTPCheck) Observation {
	t, err := r.Resolve(ctx, check.Endpoint)
	obs := Observation{Method: check.MethodOrGet(), Target: t.Name, Object: t.Object, Err: err}
	if err != nil {
		return obs
	}
	follow := check.Expect.StatusOr200()/100 != 3
	r.send(ctx, t.Client(follow), t.URL, check, &obs)
	return obs
}

// send fills obs with the answer to one request to url.
func (r *Resolver) send(ctx context.Context, c *http.Client, url string, check config.HTTPCheck, obs *Observation) {
	timeout := check.RequestTimeout()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errRequestTimeout)
	defer cancel()
	var body io.Reader
	if check.Body != "" {
		body = strings.NewReader(check.Body)
	}
	req, err := http.NewRequestWithContext(ctx, obs.Method, url, body)
	if err != nil {
		obs.Err = fmt.Errorf("request %s %s: %w", obs.Method, obs.Target, err)
		return
	}
	for k, v := range check.Headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		obs.Latency = time.Since(start)
		obs.Err = requestError(ctx, timeout, err)
		return
	}
	defer resp.Body.Close()
	obs.Status, obs.Header = resp.StatusCode, resp.Header
	obs.Body, err = io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	obs.Latency = time.Since(start)
	if len(obs.Body) > MaxBody {
		obs.Body, obs.Truncated = obs.Body[:MaxBody], true
	}
	if err != nil {
		obs.Err = fmt.Errorf("read body: %w", requestError(ctx, timeout, err))
	}
}

// errRequestTimeout is the cause of a request's own timeout.
var errRequestTimeout = errors.New("request timeout")

// requestError says "no answer within" for a request's own timeout, which
// the bare "context deadline exceeded" does not, and drops the method and
// URL a *url.Error repeats: evidence shows them, and for a Service the URL
// is the API server's.
func requestError(ctx context.Context, timeout time.Duration, err error) error {
	if errors.Is(context.Cause(ctx), errRequestTimeout) {
		return fmt.Errorf("no answer within the request timeout of %v: %w", timeout, context.DeadlineExceeded)
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
