package config

import (
	"errors"
	"fmt"
	"time"
)

// Sandbox configures the sandbox stage's health tiers. With no
// configuration the basic tier still runs; the service and business tiers
// say in the summary that nothing is configured.
type Sandbox struct {
	// MaxRestarts is how often the containers of a pod may have restarted
	// in all; 0 when not set.
	MaxRestarts *int32 `yaml:"max-restarts"`
	// Selector is a label selector for the pods the basic tier checks; all
	// pods of the namespace when empty.
	Selector string `yaml:"selector"`
	// Service are the service tier's checks.
	Service []ServiceCheck `yaml:"service"`
	// Business is the business tier.
	Business Business `yaml:"business"`
	// Load is generated while the service and business tiers run.
	Load LoadSpec `yaml:"load"`
	// Parity is how close to production the sandbox must be.
	Parity Parity `yaml:"parity"`
}

// Restarts returns MaxRestarts or its default of 0.
func (s Sandbox) Restarts() int32 {
	if s.MaxRestarts == nil {
		return 0
	}
	return *s.MaxRestarts
}

// ServiceCheck sends Requests requests to an endpoint and measures them.
type ServiceCheck struct {
	// Name is the check's stable name; the endpoint when empty.
	Name     string `yaml:"name"`
	Endpoint `yaml:",inline"`
	// Status is the expected status; 200 when zero.
	Status int `yaml:"status"`
	// Requests is how many requests are sent; 20 when zero.
	Requests int `yaml:"requests"`
	// P95 bounds the 95th percentile of latency; 500ms when zero.
	P95 time.Duration `yaml:"p95"`
	// MaxErrorRate is the fraction of requests (0 to 1) that may fail; 0.01
	// when not set.
	MaxErrorRate *float64 `yaml:"max-error-rate"`
	// Timeout bounds one request; 5s when zero.
	Timeout time.Duration `yaml:"timeout"`
}

// DisplayName returns Name, or the endpoint.
func (c ServiceCheck) DisplayName() string { return cmpOr(c.Name, c.Endpoint.String()) }

// ExpectedStatus returns Status or 200.
func (c ServiceCheck) ExpectedStatus() int { return cmpOr(c.Status, 200) }

// RequestCount returns Requests or 20.
func (c ServiceCheck) RequestCount() int { return cmpOr(c.Requests, 20) }

// P95Limit returns P95 or 500ms.
func (c ServiceCheck) P95Limit() time.Duration { return cmpOr(c.P95, 500*time.Millisecond) }

// ErrorRateLimit returns MaxErrorRate or 0.01.
func (c ServiceCheck) ErrorRateLimit() float64 {
	if c.MaxErrorRate == nil {
		return 0.01
	}
	return *c.MaxErrorRate
}

// RequestTimeout returns Timeout or 5s.
func (c ServiceCheck) RequestTimeout() time.Duration { return cmpOr(c.Timeout, 5*time.Second) }

// Business is the business tier: JSON checks and Prometheus queries.
type Business struct {
	// JSON are HTTP checks, typically with expect.json conditions.
	JSON []HTTPCheck `yaml:"json"`
	// Prometheus, when its url or service is set, answers Queries.
	Prometheus Prometheus `yaml:"prometheus"`
}

// Prometheus is where business metrics are queried.
type Prometheus struct {
	// Endpoint is Prometheus's base URL, or its Service.
	Endpoint `yaml:",inline"`
	// Queries are instant PromQL queries compared with thresholds.
	Queries []PromQuery `yaml:"queries"`
}

// Configured reports whether a Prometheus endpoint is set.
func (p Prometheus) Configured() bool { return p.URL != "" || p.Service != "" }

// PromQuery is an instant query whose every sample must lie within Min and Max.
type PromQuery struct {
	Name  string   `yaml:"name"`
	Query string   `yaml:"query"`
	Min   *float64 `yaml:"min"`
	Max   *float64 `yaml:"max"`
}

func (s Sandbox) validate() error {
	var errs []error
	if s.MaxRestarts != nil && *s.MaxRestarts < 0 {
		errs = append(errs, fmt.Errorf("sandbox.max-restarts is %d; use 0 or more", *s.MaxRestarts))
	}
	errs = append(errs, validateTiers("sandbox", s.Service, s.Business), s.Load.validate("sandbox.load"), s.Parity.validate("sandbox.parity"))
	return errors.Join(errs...)
}

// validateTiers checks service and business tiers whose fields sit under
// prefix (sandbox, promote.checks).
func validateTiers(prefix string, service []ServiceCheck, business Business) error {
	var errs []error
	var names []string
	for i, c := range service {
		f := fmt.Sprintf("%s.service[%d]", prefix, i)
		errs = append(errs, c.Endpoint.validate(f))
		if c.Status != 0 && (c.Status < 100 || c.Status > 599) {
			errs = append(errs, fmt.Errorf("%s.status %d: want an HTTP status from 100 to 599", f, c.Status))
		}
		if c.Requests < 0 || c.Requests > 10000 {
			errs = append(errs, fmt.Errorf("%s.requests %d: use a number from 1 to 10000 (or leave it out for 20)", f, c.Requests))
		}
		if c.P95 < 0 || c.Timeout < 0 {
			errs = append(errs, fmt.Errorf("%s: p95 and timeout must be durations above 0, e.g. 500ms", f))
		}
		if r := c.MaxErrorRate; r != nil && (*r < 0 || *r > 1) {
			errs = append(errs, fmt.Errorf("%s.max-error-rate %v: want a fraction from 0 to 1, e.g. 0.01", f, *r))
		}
		names = append(names, c.DisplayName())
	}
	errs = append(errs, uniqueNames(prefix+".service", names))
	names = nil
	for i, c := range business.JSON {
		errs = append(errs, c.validate(fmt.Sprintf("%s.business.json[%d]", prefix, i)))
		names = append(names, c.DisplayName())
	}
	errs = append(errs, uniqueNames(prefix+".business.json", names))
	p := business.Prometheus
	switch {
	case p.Configured():
		errs = append(errs, p.Endpoint.validate(prefix+".business.prometheus"))
	case len(p.Queries) > 0:
		errs = append(errs, fmt.Errorf("%s.business.prometheus has queries but no url or service; set where Prometheus answers", prefix))
	}
	names = nil
	for i, q := range p.Queries {
		f := fmt.Sprintf("%s.business.prometheus.queries[%d]", prefix, i)
		if q.Name == "" || q.Query == "" {
			errs = append(errs, fmt.Errorf("%s: set name and query", f))
		}
		if q.Min == nil && q.Max == nil {
			errs = append(errs, fmt.Errorf("%s (%s): set min, max or both", f, q.Name))
		}
		names = append(names, q.Name)
	}
	errs = append(errs, uniqueNames(prefix+".business.prometheus.queries", names))
	return errors.Join(errs...)
}
