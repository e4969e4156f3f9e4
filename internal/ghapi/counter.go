package ghapi

import (
	"context"
	"net/http"
	"sync/atomic"
)

// contextLike is context.Context; the alias keeps option signatures short.
type contextLike = context.Context

// counter counts requests that reach the wire.
type counter struct {
	base  http.RoundTripper
	count atomic.Int64
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.count.Add(1)
	return c.base.RoundTrip(req)
}

func (c *counter) n() int { return int(c.count.Load()) }
