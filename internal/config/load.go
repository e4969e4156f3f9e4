package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The bounds of a load section: a load beyond them is refused before
// anything runs.
const (
	// MaxLoadRate is the highest rate, in requests per second.
	MaxLoadRate = 1000
	// MaxLoadDuration is the longest a load may last.
	MaxLoadDuration = 10 * time.Minute
	// MaxLoadRequests is the most requests one load may send.
	MaxLoadRequests = 100000
	// MaxLoadTimeout is the longest one request may wait for its answer.
	MaxLoadTimeout = time.Minute
	// MaxLoadPaths is how many paths one load may spread its requests over.
	MaxLoadPaths = 100
	// MaxLoadBody is the largest request body, in bytes.
	MaxLoadBody = 1 << 20
)

// LoadSpec is production-like traffic generated at a declared rate while a
// stage's checks run (the sandbox's service tier, smoke's rollout under
// watch, promote's steps); its results are checks with limits. The zero
// value is off. Requests go only to Target: paths are joined to it and
// redirects are not followed.
type LoadSpec struct {
	// Target is where every request goes: a URL, or a Service reached
	// through the API server's service proxy. Its path is the prefix of
	// every request path.
	Target Endpoint `yaml:"target"`
	// Rate is requests per second, from 0.1 to MaxLoadRate.
	Rate float64 `yaml:"rate"`
	// Duration bounds the load; 30s when zero, at most MaxLoadDuration. A
	// stage may stop it sooner, when what it runs during ends.
	Duration time.Duration `yaml:"duration"`
	// MaxRequests bounds how many requests are sent; rate × duration when
	// zero, at most MaxLoadRequests either way.
	MaxRequests int `yaml:"max-requests"`
	// Timeout bounds one request; 5s when zero.
	Timeout time.Duration `yaml:"timeout"`
	// Headers are sent with every request.
	Headers map[string]string `yaml:"headers"`
	// Paths spread the requests by weight; one GET of the target's path
	// when empty.
	Paths []LoadPath `yaml:"paths"`
	// Limits turn the results into checks.
	Limits LoadLimits `yaml:"limits"`
}

// LoadPath is one kind of request of a load.
type LoadPath struct {
	// Path is joined to the target's path; it starts with / and may carry
	// a query.
	Path string `yaml:"path"`
	// Weight is the path's share of the requests against the others'; 1
	// when zero.
	Weight int `yaml:"weight"`
	// Method is GET when empty.
	Method string `yaml:"method"`
	// Headers are sent with this path's requests, over the load's own.
	Headers map[string]string `yaml:"headers"`
	// Body is this path's request body.
	Body string `yaml:"body"`
}

// LoadLimits bound a load's results; each one set is a check. A request
// succeeds when it is answered with a 2xx status.
type LoadLimits struct {
	// MinSuccess is the least fraction of requests that succeed; 99% when
	// not set.
	MinSuccess *Percent `yaml:"min-success"`
	// P50, P95 and P99 bound the latency percentiles, when set.
	P50 time.Duration `yaml:"p50"`
	P95 time.Duration `yaml:"p95"`
	P99 time.Duration `yaml:"p99"`
	// RateWithin is how far the rate of requests sent may be from the
	// declared rate, as a fraction of it (e.g. 5%), when set.
	RateWithin *Percent `yaml:"rate-within"`
	// MinThroughput is the least rate of successful requests, as a
	// fraction of the declared rate (e.g. 95%), when set.
	MinThroughput *Percent `yaml:"min-throughput"`
}

// Enabled reports whether the load is configured (any field set).
func (l LoadSpec) Enabled() bool {
	return l.Target != (Endpoint{}) || l.Rate != 0 || l.Duration != 0 || l.MaxRequests != 0 ||
		l.Timeout != 0 || len(l.Headers) > 0 || len(l.Paths) > 0 || l.Limits != (LoadLimits{})
}

// For returns Duration or 30s.
func (l LoadSpec) For() time.Duration { return cmpOr(l.Duration, 30*time.Second) }

// RequestTimeout returns Timeout or 5s.
func (l LoadSpec) RequestTimeout() time.Duration { return cmpOr(l.Timeout, 5*time.Second) }

// RequestBound is how many requests the load may send: MaxRequests, or
// rate × duration (rounded up) when that is fewer or MaxRequests is zero.
func (l LoadSpec) RequestBound() int {
	n := int(math.Ceil(l.Rate * l.For().Seconds()))
	if l.MaxRequests > 0 && l.MaxRequests < n {
		return l.MaxRequests
	}
	return n
}

// PathList returns Paths, or one GET of the target's path.
func (l LoadSpec) PathList() []LoadPath {
	if len(l.Paths) == 0 {
		return []LoadPath{{}}
	}
	return l.Paths
}

// MethodOrGet returns Method in capitals, or GET.
func (p LoadPath) MethodOrGet() string { return cmpOr(strings.ToUpper(p.Method), http.MethodGet) }

// WeightOr1 returns Weight, or 1.
func (p LoadPath) WeightOr1() int { return cmpOr(p.Weight, 1) }

// Success returns MinSuccess or 99%.
func (l LoadLimits) Success() Percent {
	if l.MinSuccess == nil {
		return 0.99
	}
	return *l.MinSuccess
}

// validate checks a load section at field (e.g. sandbox.load); the zero
// value is valid (off).
func (l LoadSpec) validate(field string) error {
	if !l.Enabled() {
		return nil
	}
	var errs []error
	if l.Target == (Endpoint{}) {
		errs = append(errs, fmt.Errorf("%s.target is not set: name where the load goes, e.g. target: {service: web, port: http}; requests go nowhere else", field))
	} else {
		errs = append(errs, l.Target.validate(field+".target"))
	}
	switch {
	case l.Rate == 0:
		errs = append(errs, fmt.Errorf("%s.rate is not set: give requests per second, e.g. 50", field))
	case math.IsNaN(l.Rate) || l.Rate < 0.1 || l.Rate > MaxLoadRate:
		errs = append(errs, fmt.Errorf("%s.rate %v: use requests per second from 0.1 to %d", field, l.Rate, MaxLoadRate))
	}
	if l.Duration < 0 || l.Duration > MaxLoadDuration || (l.Duration > 0 && l.Duration < 100*time.Millisecond) {
		errs = append(errs, fmt.Errorf("%s.duration %v: use 100ms to %v (or leave it out for 30s)", field, l.Duration, MaxLoadDuration))
	}
	if l.MaxRequests < 0 || l.MaxRequests > MaxLoadRequests {
		errs = append(errs, fmt.Errorf("%s.max-requests %d: use 1 to %d (or leave it out for rate × duration)", field, l.MaxRequests, MaxLoadRequests))
	}
	if l.Rate > 0 && l.MaxRequests == 0 && l.RequestBound() > MaxLoadRequests {
		errs = append(errs, fmt.Errorf("%s: rate %v for %v is %d requests, more than the %d one load may send; lower rate or duration, or set max-requests", field, l.Rate, l.For(), l.RequestBound(), MaxLoadRequests))
	}
	if l.Timeout < 0 || l.Timeout > MaxLoadTimeout {
		errs = append(errs, fmt.Errorf("%s.timeout %v: use a duration above 0 up to %v (or leave it out for 5s)", field, l.Timeout, MaxLoadTimeout))
	}
	errs = append(errs, validateHeaders(field+".headers", l.Headers))
	if len(l.Paths) > MaxLoadPaths {
		errs = append(errs, fmt.Errorf("%s.paths has %d paths; use at most %d", field, len(l.Paths), MaxLoadPaths))
	}
	for i, p := range l.Paths {
		errs = append(errs, p.validate(fmt.Sprintf("%s.paths[%d]", field, i)))
	}
	errs = append(errs, l.Limits.validate(field+".limits"))
	return errors.Join(errs...)
}

func (p LoadPath) validate(field string) error {
	var errs []error
	errs = append(errs, validateLoadPath(field+".path", p.Path))
	if p.Weight < 0 || p.Weight > 1000 {
		errs = append(errs, fmt.Errorf("%s.weight %d: use 1 to 1000 (or leave it out for 1)", field, p.Weight))
	}
	if p.Method != "" && !validMethod[strings.ToUpper(p.Method)] {
		errs = append(errs, fmt.Errorf("%s.method %q: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS", field, p.Method))
	}
	errs = append(errs, validateHeaders(field+".headers", p.Headers))
	if len(p.Body) > MaxLoadBody {
		errs = append(errs, fmt.Errorf("%s.body is %d bytes; use at most %d", field, len(p.Body), MaxLoadBody))
	}
	return errors.Join(errs...)
}

// validateLoadPath refuses a path that could leave the target: it must
// start with a single /, and hold no dot segment, backslash, fragment or
// encoded slash or dot (the API server's service proxy must not be
// walked out of).
func validateLoadPath(field, p string) error {
	if p == "" {
		return fmt.Errorf("%s is empty: give a path such as /api/orders (it is joined to the target)", field)
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return fmt.Errorf("%s %q: start it with a single /, e.g. /api/orders; it is joined to the target, and a load goes nowhere else", field, p)
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return fmt.Errorf("%s %q: want a path such as /api/orders?page=2, not a URL", field, p)
	}
	lower := strings.ToLower(u.RawPath + u.Path)
	if strings.ContainsAny(p, "\\#") || strings.Contains(strings.ToLower(p), "%2f") || strings.Contains(strings.ToLower(p), "%2e") || strings.Contains(strings.ToLower(p), "%5c") {
		return fmt.Errorf("%s %q: no backslash, fragment or encoded / . or \\: the path must stay under the target", field, p)
	}
	for _, seg := range strings.Split(lower, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%s %q: no . or .. segments: the path must stay under the target", field, p)
		}
	}
	return nil
}

// validateHeaders checks header names and refuses Host, which would send
// the load to another site than the target.
func validateHeaders(field string, h map[string]string) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v := h[k]
		switch {
		case !headerName.MatchString(k):
			errs = append(errs, fmt.Errorf("%s %q: want an HTTP header name such as X-Load-Test", field, k))
		case strings.EqualFold(k, "Host"):
			errs = append(errs, fmt.Errorf("%s: Host is not allowed: it would send the load somewhere the target does not name; put the address in target", field))
		case strings.ContainsAny(v, "\r\n"):
			errs = append(errs, fmt.Errorf("%s.%s: the value holds a line break; give it on one line", field, k))
		}
	}
	return errors.Join(errs...)
}

func (l LoadLimits) validate(field string) error {
	var errs []error
	for _, f := range []struct {
		name string
		p    *Percent
	}{{"min-success", l.MinSuccess}, {"rate-within", l.RateWithin}, {"min-throughput", l.MinThroughput}} {
		if f.p != nil && (*f.p < 0 || *f.p > 1) {
			errs = append(errs, fmt.Errorf("%s.%s %s: want 0%% to 100%%", field, f.name, *f.p))
		}
	}
	if l.P50 < 0 || l.P95 < 0 || l.P99 < 0 {
		errs = append(errs, fmt.Errorf("%s: p50, p95 and p99 must be durations above 0, e.g. 200ms", field))
	}
	return errors.Join(errs...)
}
