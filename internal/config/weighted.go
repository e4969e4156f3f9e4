package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"
)

// Shift configures promote.strategy weighted: production traffic moves
// to the new revision through a Gateway API HTTPRoute's backendRefs
// weights, a step at a time, and the split the gateway makes is measured
// after every change. The zero value is the default: steps 10, 50 and
// 100, each watched for a minute, the only HTTPRoute of the manifests.
type Shift struct {
	// Steps are the new revision's percentages of the route's traffic, in
	// order, ending at 100; [10, 50, 100] when empty. [100] switches the
	// route in one change (blue-green through a route).
	Steps []int `yaml:"steps"`
	// StepWatch is how long each step before the last is watched with the
	// rollback rules evaluated; 1m when not set. The watched window
	// (promote.watch) follows the last step.
	StepWatch *time.Duration `yaml:"step-watch"`
	// Route names the HTTPRoute of the manifests whose weights move; the
	// manifests' only HTTPRoute when empty.
	Route string `yaml:"route"`
	// GatewayTimeout bounds each wait for the gateway: the route's status
	// accepting a change, and the observed split following it; 30s when
	// zero.
	GatewayTimeout time.Duration `yaml:"gateway-timeout"`
	// Split is how the split is measured.
	Split Split `yaml:"split"`
	// By is what carries the weights: "route" (a Gateway API HTTPRoute's
	// backendRefs weights, per request) or "replicas" (pod counts of the
	// two revisions behind the production Services, per pod, for clusters
	// without a Gateway). When empty: route if the manifests hold an
	// HTTPRoute, replicas if they hold none.
	By string `yaml:"by"`
}

// What carries a weighted promotion's weights (promote.weighted.by).
const (
	ByRoute    = "route"
	ByReplicas = "replicas"
)

// Split is where the route's traffic is measured and how an answer names
// the revision that gave it.
type Split struct {
	// Endpoint is where the requests go: url, the route's public address
	// (requests sent there pass the gateway; required with a route), or,
	// when the weights are replica counts, a production Service reached
	// through the API server's service proxy (service, port, path,
	// scheme) or the address in front of it (url).
	Endpoint `yaml:",inline"`
	// Header is the response header naming the revision (e.g.
	// X-Version); promote.version-header when empty.
	Header string `yaml:"header"`
	// JSON is a top-level field of a JSON answer naming the revision
	// (e.g. version), instead of a header.
	JSON string `yaml:"json"`
	// Requests is how many answers one measurement counts; 200 when zero.
	Requests int `yaml:"requests"`
	// Tolerance is how far the new revision's observed share may be from
	// its weight, in percentage points (e.g. 5%); when not set, four
	// standard deviations of the binomial distribution at the weight and
	// the number of requests. Either way the larger share must exceed the
	// smaller by at least half the weights' ratio (at 90:10, 5 to 1), and
	// a weight of 0 or 100 allows no answer from the other revision.
	Tolerance *Percent `yaml:"tolerance"`
}

// DefaultSteps are the weights of a weighted promotion without steps.
var DefaultSteps = []int{10, 50, 100}

// StepList returns Steps or [10, 50, 100].
func (w Shift) StepList() []int {
	if len(w.Steps) == 0 {
		return DefaultSteps
	}
	return w.Steps
}

// StepWatchFor returns StepWatch or 1m.
func (w Shift) StepWatchFor() time.Duration {
	if w.StepWatch == nil {
		return time.Minute
	}
	return *w.StepWatch
}

// GatewayWait returns GatewayTimeout or 30s.
func (w Shift) GatewayWait() time.Duration { return cmpOr(w.GatewayTimeout, 30*time.Second) }

// SplitRequests returns Split.Requests or 200.
func (w Shift) SplitRequests() int { return cmpOr(w.Split.Requests, 200) }

// configured reports whether any field of w is set.
func (w Shift) configured() bool {
	return len(w.Steps) > 0 || w.StepWatch != nil || w.Route != "" || w.GatewayTimeout != 0 || w.Split != (Split{}) || w.By != ""
}

var jsonField = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// validateWeighted checks promote.weighted: it is set only with strategy
// weighted, and then says how to measure the split.
func (p Promote) validateWeighted() error {
	w := p.Weighted
	if p.StrategyName() != Weighted {
		if w.configured() {
			return fmt.Errorf("promote.weighted is set but promote.strategy is %s: set strategy: weighted, or remove the weighted section", p.StrategyName())
		}
		return nil
	}
	var errs []error
	prev := 0
	for i, s := range w.Steps {
		switch {
		case s < 1 || s > 100:
			errs = append(errs, fmt.Errorf("promote.weighted.steps[%d] %d: want a percentage of traffic from 1 to 100, e.g. steps: [10, 50, 100]", i, s))
		case s <= prev:
			errs = append(errs, fmt.Errorf("promote.weighted.steps[%d] %d: steps must go up (the previous is %d), e.g. steps: [10, 50, 100]", i, s, prev))
		}
		prev = max(prev, s)
	}
	if n := len(w.Steps); n > 0 && w.Steps[n-1] != 100 {
		errs = append(errs, fmt.Errorf("promote.weighted.steps %v: the last step must be 100 (all traffic on the new revision); add 100 at the end", w.Steps))
	}
	if n := len(w.Steps); n > 20 {
		errs = append(errs, fmt.Errorf("promote.weighted.steps: %d steps; use at most 20", n))
	}
	if d := w.StepWatch; d != nil && (*d < 0 || (*d > 0 && *d < p.EvalInterval())) {
		errs = append(errs, fmt.Errorf("promote.weighted.step-watch %v: want 0 (no watch between steps) or at least promote.interval (%v), e.g. 1m", *d, p.EvalInterval()))
	}
	if w.Route != "" && !dnsLabel.MatchString(w.Route) && !dnsSubdomain.MatchString(w.Route) {
		errs = append(errs, fmt.Errorf("promote.weighted.route %q: want the name of an HTTPRoute of the manifests, e.g. web", w.Route))
	}
	switch w.By {
	case "", ByRoute, ByReplicas:
	default:
		errs = append(errs, fmt.Errorf("promote.weighted.by %q: use route (a Gateway API HTTPRoute's weights) or replicas (pod counts behind the Service), or leave it out to choose by whether the manifests hold an HTTPRoute", w.By))
	}
	if w.By == ByReplicas && w.Route != "" {
		errs = append(errs, fmt.Errorf("promote.weighted.route %q is set but promote.weighted.by is replicas: replica counts move no route; remove one of them", w.Route))
	}
	if w.GatewayTimeout < 0 || (w.GatewayTimeout > 0 && w.GatewayTimeout < 100*time.Millisecond) {
		errs = append(errs, fmt.Errorf("promote.weighted.gateway-timeout %v: want 100ms or more, e.g. 30s", w.GatewayTimeout))
	}
	errs = append(errs, p.validateSplit())
	return errors.Join(errs...)
}

var dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func (p Promote) validateSplit() error {
	s := p.Weighted.Split
	var errs []error
	switch {
	case s.URL == "" && s.Service == "" && p.Weighted.By == ByReplicas:
		errs = append(errs, errors.New("promote.weighted.split: set url (the address in front of the production Service) or service (a production Service, measured through the API server's service proxy), where shipgate measures the split the replica counts make"))
	case s.URL == "" && s.Service == "":
		errs = append(errs, errors.New("promote.weighted.split.url is empty: set the route's public address (e.g. https://shop.example.com/), where shipgate measures the split the gateway makes"))
	case s.Service != "" && p.Weighted.By == ByRoute:
		errs = append(errs, fmt.Errorf("promote.weighted.split.service %q: a Service measured directly bypasses the gateway; with weights on a route set split.url to the route's public address", s.Service))
	default:
		errs = append(errs, s.Endpoint.validate("promote.weighted.split"))
	}
	switch {
	case s.Header != "" && s.JSON != "":
		errs = append(errs, errors.New("promote.weighted.split: set header or json, not both"))
	case s.Header == "" && s.JSON == "" && p.VersionHeader == "":
		errs = append(errs, errors.New("promote.weighted.split: say how an answer names its revision: header (e.g. X-Version), json (a field such as version), or promote.version-header"))
	case s.Header != "" && !headerName.MatchString(s.Header):
		errs = append(errs, fmt.Errorf("promote.weighted.split.header %q: want an HTTP header name such as X-Version", s.Header))
	case s.JSON != "" && !jsonField.MatchString(s.JSON):
		errs = append(errs, fmt.Errorf("promote.weighted.split.json %q: want a top-level field name of the answer, such as version", s.JSON))
	}
	if s.Requests < 0 || (s.Requests > 0 && s.Requests < 20) || s.Requests > 10000 {
		errs = append(errs, fmt.Errorf("promote.weighted.split.requests %d: use 20 to 10000 (or leave it out for 200)", s.Requests))
	}
	if t := s.Tolerance; t != nil && (math.IsNaN(float64(*t)) || *t < 0 || *t > 0.5) {
		errs = append(errs, fmt.Errorf("promote.weighted.split.tolerance %s: want 0%% to 50%% (percentage points of traffic), or leave it out for the binomial bound", *t))
	}
	return errors.Join(errs...)
}

// SplitHeader returns Split.Header, or promote.version-header when the
// split names no header and no JSON field.
func (p Promote) SplitHeader() string {
	if p.Weighted.Split.Header == "" && p.Weighted.Split.JSON == "" {
		return p.VersionHeader
	}
	return p.Weighted.Split.Header
}
