package config

import (
	"errors"
	"fmt"
	"time"
)

// Smoke configures the smoke stage: declared HTTP checks, and the
// disruption monitor of a rollout under watch.
type Smoke struct {
	Checks     []HTTPCheck `yaml:"checks"`
	Disruption Disruption  `yaml:"disruption"`
}

// Disruption is what the monitor samples while the rollout runs.
type Disruption struct {
	// Endpoints are sampled with new and with reused connections.
	Endpoints []DisruptionEndpoint `yaml:"endpoints"`
	// Rate is samples per second per backend; 10 when zero.
	Rate float64 `yaml:"rate"`
	// Timeout bounds one sample; 1s when zero.
	Timeout time.Duration `yaml:"timeout"`
	// MaxDisruption is the total outage a backend may have; 0 when not set.
	MaxDisruption time.Duration `yaml:"max-disruption"`
}

// SampleRate returns Rate or 10.
func (d Disruption) SampleRate() float64 { return cmpOr(d.Rate, 10) }

// SampleTimeout returns Timeout or 1s.
func (d Disruption) SampleTimeout() time.Duration { return cmpOr(d.Timeout, time.Second) }

// DisruptionEndpoint is one endpoint the monitor samples.
type DisruptionEndpoint struct {
	// Name is the backend's stable name; the endpoint when empty.
	Name     string `yaml:"name"`
	Endpoint `yaml:",inline"`
	// Status is the expected status; 200 when zero.
	Status int `yaml:"status"`
	// BodyContains must occur in the body, when set.
	BodyContains string `yaml:"body-contains"`
}

// DisplayName returns Name, or the endpoint.
func (e DisruptionEndpoint) DisplayName() string { return cmpOr(e.Name, e.Endpoint.String()) }

// ExpectedStatus returns Status or 200.
func (e DisruptionEndpoint) ExpectedStatus() int { return cmpOr(e.Status, 200) }

func (s Smoke) validate() error {
	var errs []error
	var names []string
	for i, c := range s.Checks {
		errs = append(errs, c.validate(fmt.Sprintf("smoke.checks[%d]", i)))
		names = append(names, c.DisplayName())
	}
	errs = append(errs, uniqueNames("smoke.checks", names))
	errs = append(errs, validateTraffic("smoke.disruption", s.Disruption))
	return errors.Join(errs...)
}
