package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Smoke configures the smoke stage: declared HTTP checks, and the
// disruption monitor of a rollout under watch.
type Smoke struct {
	Checks     []HTTPCheck `yaml:"checks"`
	Disruption Disruption  `yaml:"disruption"`
	// Load is generated while the rollout runs under watch.
	Load LoadSpec `yaml:"load"`
	// RehearseRollback, when set, proves the way back before production:
	// the base version promoted as the live revision, the pull request's
	// promoted over it with the promote config, aborted inside its
	// window, and the rollback verified.
	RehearseRollback *Rehearsal `yaml:"rehearse-rollback"`
}

// Rehearsal says where a rehearsed promotion is aborted.
type Rehearsal struct {
	// At is the point of the watched window the promotion is aborted at:
	// a percentage ("50%") or "random" (seeded by Seed, printed so a
	// failure can be replayed); 50% when empty.
	At string `yaml:"at"`
	// Seed seeds random; the run's time when zero (and printed).
	Seed int64 `yaml:"seed"`
	// Watch is the rehearsed promotion's window; 10s when zero.
	Watch time.Duration `yaml:"watch"`
}

// Window returns Watch or 10s.
func (r Rehearsal) Window() time.Duration { return cmpOr(r.Watch, 10*time.Second) }

// Fraction parses At: the fraction of the window (0 to 1), or -1 for random.
func (r Rehearsal) Fraction() (float64, error) {
	switch a := strings.TrimSpace(r.At); {
	case a == "":
		return 0.5, nil
	case a == "random":
		return -1, nil
	case strings.HasSuffix(a, "%"):
		f, err := strconv.ParseFloat(strings.TrimSuffix(a, "%"), 64)
		if err == nil && f >= 0 && f <= 100 {
			return f / 100, nil
		}
	}
	return 0, fmt.Errorf("smoke.rehearse-rollback.at %q: want a percentage of the watched window such as 50%%, or random", r.At)
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
	errs = append(errs, validateTraffic("smoke.disruption", s.Disruption), s.Load.validate("smoke.load"))
	if r := s.RehearseRollback; r != nil {
		_, err := r.Fraction()
		errs = append(errs, err)
		if r.Watch < 0 {
			errs = append(errs, fmt.Errorf("smoke.rehearse-rollback.watch %v: want a duration above 0, e.g. 10s", r.Watch))
		}
	}
	return errors.Join(errs...)
}
