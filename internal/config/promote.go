package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The promote strategies.
const (
	BlueGreen = "blue-green"
	Rolling   = "rolling"
	Weighted  = "weighted"
)

// The no-data policies of a rule.
const (
	NoDataFail   = "fail"
	NoDataIgnore = "ignore"
)

// Promote configures the promote stage: how a change reaches production,
// how long it is watched, and what takes it back. The zero value is the
// default: blue-green, a 30-minute window evaluated every 10 s, rollback
// after 5 failed evaluations of the checks or on the default thresholds.
type Promote struct {
	// App names the application: the Lease and the revision history are
	// per app and environment. The base name of the manifests path when
	// empty.
	App string `yaml:"app"`
	// Strategy is blue-green, rolling or weighted; blue-green when empty.
	Strategy string `yaml:"strategy"`
	// Weighted configures strategy weighted (Gateway API route weights).
	Weighted Shift `yaml:"weighted"`
	// Watch is the watched window after the switch; 30m when not set, 0
	// for none (the revision is marked good at once).
	Watch *time.Duration `yaml:"watch"`
	// Interval is how often the checks and rules are evaluated; 10s when
	// zero. Sub-second intervals are allowed.
	Interval time.Duration `yaml:"interval"`
	// ScaleDownDelay is how long the old revision keeps running after the
	// window passed (rules are still evaluated meanwhile); 5m when not set.
	ScaleDownDelay *time.Duration `yaml:"scale-down-delay"`
	// LockTimeout is how long a promote waits for another run's Lease; 0
	// refuses at once, naming the holder.
	LockTimeout time.Duration `yaml:"lock-timeout"`
	// LockDuration is how long the Lease lasts without renewal (it is
	// renewed every third of it while the stage runs): a crashed run's
	// lock can be taken after it; 60s when zero.
	LockDuration time.Duration `yaml:"lock-duration"`
	// KeepRevisions is how many revisions the history keeps; 10 when zero.
	KeepRevisions int `yaml:"keep-revisions"`
	// EnvironmentURL is the environment's URL on the GitHub deployment.
	EnvironmentURL string `yaml:"environment-url"`
	// VersionHeader is a response header the app sets that differs between
	// revisions (e.g. X-Version): with it, a rollback proves the restored
	// revision answers the sampled traffic.
	VersionHeader string `yaml:"version-header"`
	// PrePromote is a command run before any change (e.g. a Velero backup);
	// its failure stops the promote.
	PrePromote string `yaml:"pre-promote"`
	// RollbackOnCancel rolls back a promotion still inside its window when
	// the job is cancelled; true when not set.
	RollbackOnCancel *bool `yaml:"rollback-on-cancel"`
	// Checks are evaluated against the preview before the switch and
	// against production every interval after it.
	Checks Checks `yaml:"checks"`
	// Traffic is production traffic sampled during the window: the
	// disruption record and the data of the error-rate and p95 thresholds.
	Traffic Disruption `yaml:"traffic"`
	// Rollback says what takes the change back.
	Rollback Rollback `yaml:"rollback"`
	// Load is generated during the steps and the watched window.
	Load LoadSpec `yaml:"load"`
}

// Checks are the service and business tiers, aimed at production.
type Checks struct {
	Service  []ServiceCheck `yaml:"service"`
	Business Business       `yaml:"business"`
}

// Count is how many checks are configured.
func (c Checks) Count() int {
	n := len(c.Service) + len(c.Business.JSON)
	if c.Business.Prometheus.Configured() {
		n += len(c.Business.Prometheus.Queries)
	}
	return n
}

// Rollback holds the rules that roll a promotion back.
type Rollback struct {
	// ConsecutiveFailures fires after this many evaluations of the checks
	// failed in a row; 5 when zero.
	ConsecutiveFailures int `yaml:"consecutive-failures"`
	// Thresholds are bounds on production traffic and pods.
	Thresholds Thresholds `yaml:"thresholds"`
	// NoData is the default policy of a rule without data: fail (the
	// evaluation counts as failed) or ignore (recorded, not counted); fail
	// when empty.
	NoData string `yaml:"no-data"`
	// Prometheus is where the metric rules (Sustained, Drop, CPU) query:
	// its base URL, or its Service.
	Prometheus Endpoint `yaml:"prometheus"`
	// Sustained and Drop are metric rules on Prometheus.
	Sustained []SustainedRule `yaml:"sustained"`
	Drop      []DropRule      `yaml:"drop"`
	// CPU are built-in rules on a container's CPU use against its limit.
	CPU []CPURule `yaml:"cpu"`
}

// Failures returns ConsecutiveFailures or 5.
func (r Rollback) Failures() int { return cmpOr(r.ConsecutiveFailures, 5) }

// NoDataPolicy returns NoData or fail.
func (r Rollback) NoDataPolicy() string { return cmpOr(r.NoData, NoDataFail) }

// Thresholds bound production's traffic and pods during the window.
type Thresholds struct {
	// ErrorRate bounds the fraction of sampled requests that failed; 1%
	// when not set.
	ErrorRate *Percent `yaml:"error-rate"`
	// P95 bounds the 95th percentile latency of the sampled requests;
	// 500ms when zero.
	P95 time.Duration `yaml:"p95"`
	// Window is how far back the traffic thresholds look; 1m when zero.
	Window time.Duration `yaml:"window"`
	// Restarts bounds container restarts of the new revision's pods.
	Restarts Restarts `yaml:"restarts"`
	// NoData overrides the rollback's no-data policy for these rules.
	NoData string `yaml:"no-data"`
}

// ErrorRateLimit returns ErrorRate or 1%.
func (t Thresholds) ErrorRateLimit() Percent {
	if t.ErrorRate == nil {
		return 0.01
	}
	return *t.ErrorRate
}

// P95Limit returns P95 or 500ms.
func (t Thresholds) P95Limit() time.Duration { return cmpOr(t.P95, 500*time.Millisecond) }

// TrafficWindow returns Window or 1m.
func (t Thresholds) TrafficWindow() time.Duration { return cmpOr(t.Window, time.Minute) }

// Restarts fires when the new revision's containers restarted more than
// Max times within Within.
type Restarts struct {
	// Max is 3 when not set.
	Max *int `yaml:"max"`
	// Within is 5m when zero.
	Within time.Duration `yaml:"within"`
}

// MaxRestarts returns Max or 3.
func (r Restarts) MaxRestarts() int {
	if r.Max == nil {
		return 3
	}
	return *r.Max
}

// Span returns Within or 5m.
func (r Restarts) Span() time.Duration { return cmpOr(r.Within, 5*time.Minute) }

// SustainedRule fires when a PromQL query's value stays beyond a bound for
// a duration.
type SustainedRule struct {
	Name       string        `yaml:"name"`
	Prometheus string        `yaml:"prometheus"`
	Above      *float64      `yaml:"above"`
	Below      *float64      `yaml:"below"`
	For        time.Duration `yaml:"for"`
	NoData     string        `yaml:"no-data"`
}

// DropRule fires when a PromQL query's value drops by a fraction against
// the live revision's baseline measured before the switch.
type DropRule struct {
	Name       string        `yaml:"name"`
	Prometheus string        `yaml:"prometheus"`
	By         *Percent      `yaml:"by"`
	Baseline   time.Duration `yaml:"baseline"`
	// For is how long the value stays below; 0 fires at the first
	// evaluation below.
	For    time.Duration `yaml:"for"`
	NoData string        `yaml:"no-data"`
}

// Percent is a fraction written as "1%" or "0.01" in the file.
type Percent float64

// String writes the percentage, e.g. "1%".
func (p Percent) String() string {
	return strconv.FormatFloat(float64(p)*100, 'f', -1, 64) + "%"
}

var percentText = regexp.MustCompile(`^\s*([0-9]*\.?[0-9]+)\s*%\s*$`)

// UnmarshalYAML reads "30%" or a fraction such as 0.3.
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	if m := percentText.FindStringSubmatch(n.Value); m != nil {
		f, _ := strconv.ParseFloat(m[1], 64)
		*p = Percent(f / 100)
		return nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a percentage; write it as 1%% or as a fraction such as 0.01", n.Line, n.Value)
	}
	*p = Percent(f)
	return nil
}

// StrategyName returns Strategy or blue-green.
func (p Promote) StrategyName() string { return cmpOr(p.Strategy, BlueGreen) }

// WatchWindow returns Watch or 30m.
func (p Promote) WatchWindow() time.Duration {
	if p.Watch == nil {
		return 30 * time.Minute
	}
	return *p.Watch
}

// EvalInterval returns Interval or 10s.
func (p Promote) EvalInterval() time.Duration { return cmpOr(p.Interval, 10*time.Second) }

// ScaleDown returns ScaleDownDelay or 5m.
func (p Promote) ScaleDown() time.Duration {
	if p.ScaleDownDelay == nil {
		return 5 * time.Minute
	}
	return *p.ScaleDownDelay
}

// Keep returns KeepRevisions or 10.
func (p Promote) Keep() int { return cmpOr(p.KeepRevisions, 10) }

// RollbackWhenCancelled returns RollbackOnCancel or true.
func (p Promote) RollbackWhenCancelled() bool {
	return p.RollbackOnCancel == nil || *p.RollbackOnCancel
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

func (p Promote) validate() error {
	var errs []error
	switch p.Strategy {
	case "", BlueGreen, Rolling, Weighted:
	default:
		errs = append(errs, fmt.Errorf("promote.strategy %q: use blue-green, rolling or weighted", p.Strategy))
	}
	errs = append(errs, p.validateWeighted())
	if p.App != "" && !dnsLabel.MatchString(p.App) {
		errs = append(errs, fmt.Errorf("promote.app %q: want a DNS label such as shop-web (lowercase letters, digits and dashes)", p.App))
	}
	if p.Watch != nil && *p.Watch < 0 {
		errs = append(errs, fmt.Errorf("promote.watch %v: want 0 (no window) or more, e.g. 30m", *p.Watch))
	}
	if p.Interval < 0 || (p.Interval > 0 && p.Interval < 10*time.Millisecond) {
		errs = append(errs, fmt.Errorf("promote.interval %v: want 10ms or more, e.g. 10s", p.Interval))
	}
	if w := p.WatchWindow(); w > 0 && w < p.EvalInterval() {
		errs = append(errs, fmt.Errorf("promote.watch %v is shorter than promote.interval %v: the window would end before its first evaluation; make watch longer or interval shorter", w, p.EvalInterval()))
	}
	if p.ScaleDownDelay != nil && *p.ScaleDownDelay < 0 {
		errs = append(errs, fmt.Errorf("promote.scale-down-delay %v: want 0 or more, e.g. 5m", *p.ScaleDownDelay))
	}
	if p.LockTimeout < 0 {
		errs = append(errs, fmt.Errorf("promote.lock-timeout %v: want 0 (refuse at once) or more, e.g. 10m", p.LockTimeout))
	}
	if p.LockDuration != 0 && (p.LockDuration < 2*time.Second || p.LockDuration > time.Hour) {
		errs = append(errs, fmt.Errorf("promote.lock-duration %v: want 2s to 1h (or leave it out for 60s)", p.LockDuration))
	}
	if p.KeepRevisions < 0 || p.KeepRevisions == 1 || p.KeepRevisions > 100 {
		errs = append(errs, fmt.Errorf("promote.keep-revisions %d: use a number from 2 to 100 (or leave it out for 10): the live revision and one to roll back to", p.KeepRevisions))
	}
	if p.VersionHeader != "" && !headerName.MatchString(p.VersionHeader) {
		errs = append(errs, fmt.Errorf("promote.version-header %q: want an HTTP header name such as X-Version", p.VersionHeader))
	}
	if p.EnvironmentURL != "" {
		errs = append(errs, Endpoint{URL: p.EnvironmentURL}.validate("promote.environment-url"))
	}
	errs = append(errs, validateTiers("promote.checks", p.Checks.Service, p.Checks.Business))
	errs = append(errs, validateTraffic("promote.traffic", p.Traffic), p.Load.validate("promote.load"))
	errs = append(errs, p.Rollback.validate())
	errs = append(errs, p.Rollback.validateMetricRules(p.EvalInterval()))
	return errors.Join(errs...)
}

func (r Rollback) validate() error {
	var errs []error
	if r.ConsecutiveFailures < 0 || r.ConsecutiveFailures > 1000 {
		errs = append(errs, fmt.Errorf("promote.rollback.consecutive-failures %d: use a number from 1 to 1000 (or leave it out for 5)", r.ConsecutiveFailures))
	}
	errs = append(errs, validNoData("promote.rollback.no-data", r.NoData), validNoData("promote.rollback.thresholds.no-data", r.Thresholds.NoData))
	t := r.Thresholds
	if e := t.ErrorRate; e != nil && (*e < 0 || *e > 1) {
		errs = append(errs, fmt.Errorf("promote.rollback.thresholds.error-rate %s: want 0%% to 100%%", *e))
	}
	if t.P95 < 0 || t.Window < 0 || t.Restarts.Within < 0 {
		errs = append(errs, errors.New("promote.rollback.thresholds: p95, window and restarts.within must be durations above 0, e.g. 500ms"))
	}
	if m := t.Restarts.Max; m != nil && *m < 0 {
		errs = append(errs, fmt.Errorf("promote.rollback.thresholds.restarts.max %d: use 0 or more", *m))
	}
	return errors.Join(errs...)
}

func validNoData(field, v string) error {
	switch v {
	case "", NoDataFail, NoDataIgnore:
		return nil
	}
	return fmt.Errorf("%s %q: use fail (a rule without data counts as failing) or ignore", field, v)
}

// validateTraffic checks sampled endpoints under field.
func validateTraffic(field string, d Disruption) error {
	var errs []error
	if d.Rate < 0 || d.Rate > 100 {
		errs = append(errs, fmt.Errorf("%s.rate %v: use samples per second from 1 to 100 (or leave it out for 10)", field, d.Rate))
	}
	if d.Timeout < 0 || d.MaxDisruption < 0 {
		errs = append(errs, fmt.Errorf("%s: timeout and max-disruption must be durations of 0 or more, e.g. 1s", field))
	}
	var names []string
	for i, e := range d.Endpoints {
		f := fmt.Sprintf("%s.endpoints[%d]", field, i)
		errs = append(errs, e.Endpoint.validate(f))
		if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
			errs = append(errs, fmt.Errorf("%s.status %d: want an HTTP status from 100 to 599", f, e.Status))
		}
		names = append(names, e.DisplayName())
	}
	errs = append(errs, uniqueNames(field+".endpoints", names))
	return errors.Join(errs...)
}
