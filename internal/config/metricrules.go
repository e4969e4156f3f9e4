package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// CPURule fires when a container's CPU use stays at or above a share of
// its CPU limit for a duration, from cAdvisor's
// container_cpu_usage_seconds_total against kube-state-metrics'
// kube_pod_container_resource_limits.
type CPURule struct {
	// Container is the container's name in the pod template.
	Container string `yaml:"container"`
	// Above is the share of the limit, e.g. 90%; 90% when not set.
	Above *Percent `yaml:"above"`
	// For is how long the use stays there; 3m when zero.
	For time.Duration `yaml:"for"`
	// Rate is the rate() window of the usage counter; 1m when zero.
	Rate time.Duration `yaml:"rate"`
	// NoData overrides the rollback's no-data policy.
	NoData string `yaml:"no-data"`
}

// Limit returns Above or 90%.
func (c CPURule) Limit() Percent {
	if c.Above == nil {
		return 0.9
	}
	return *c.Above
}

// Duration returns For or 3m.
func (c CPURule) Duration() time.Duration { return cmpOr(c.For, 3*time.Minute) }

// RateWindow returns Rate or 1m.
func (c CPURule) RateWindow() time.Duration { return cmpOr(c.Rate, time.Minute) }

// BaselineWindow returns Baseline or 10m.
func (d DropRule) BaselineWindow() time.Duration { return cmpOr(d.Baseline, 10*time.Minute) }

// MetricRules is how many Prometheus rules are configured.
func (r Rollback) MetricRules() int { return len(r.Sustained) + len(r.Drop) + len(r.CPU) }

// validateMetricRules checks the Prometheus rules: an http(s) address,
// named rules with a query, one bound, a duration of at least one
// evaluation interval and a drop between 0% and 100%.
func (r Rollback) validateMetricRules(interval time.Duration) error {
	const f = "promote.rollback"
	var errs []error
	if r.Prometheus != (Endpoint{}) {
		errs = append(errs, r.Prometheus.validate(f+".prometheus"))
		if s := r.Prometheus.Scheme; s != "" && s != "http" && s != "https" {
			errs = append(errs, fmt.Errorf("%s.prometheus.scheme %q: use http or https", f, s))
		}
	} else if r.MetricRules() > 0 {
		errs = append(errs, fmt.Errorf("%s.prometheus is not set: the sustained, drop and cpu rules need a Prometheus to query; set url (e.g. http://prometheus.monitoring:9090) or service (e.g. monitoring/prometheus-k8s, port web)", f))
	}
	names := map[string]string{}
	name := func(field, n string) {
		switch {
		case n == "":
			errs = append(errs, fmt.Errorf("%s.name is empty: name the rule (e.g. orders), it names the JUnit case and the CSV rows", field))
		case strings.ContainsAny(n, " \t\n/,"):
			errs = append(errs, fmt.Errorf("%s.name %q: use letters, digits, '-' and '_' (no spaces, slashes or commas)", field, n))
		case names[n] != "":
			errs = append(errs, fmt.Errorf("%s.name %q is the name of %s too; names must be unique, they name JUnit test cases", field, n, names[n]))
		default:
			names[n] = field
		}
	}
	atLeastInterval := func(field string, d time.Duration, example string) {
		if d < interval {
			errs = append(errs, fmt.Errorf("%s %v is shorter than promote.interval %v: the rule is evaluated once an interval; make it %v or more (e.g. %s)", field, d, interval, interval, example))
		}
	}
	for i, s := range r.Sustained {
		field := fmt.Sprintf("%s.sustained[%d]", f, i)
		name(field, s.Name)
		if strings.TrimSpace(s.Prometheus) == "" {
			errs = append(errs, fmt.Errorf("%s.prometheus is empty: write the PromQL query whose value is watched, e.g. max(rate(http_requests_total{code=\"500\"}[1m]))", field))
		}
		if (s.Above == nil) == (s.Below == nil) {
			errs = append(errs, fmt.Errorf("%s: set one of above and below (the bound the value must not stay beyond)", field))
		}
		atLeastInterval(field+".for", s.For, "3m")
		errs = append(errs, validNoData(field+".no-data", s.NoData))
	}
	for i, d := range r.Drop {
		field := fmt.Sprintf("%s.drop[%d]", f, i)
		name(field, d.Name)
		if strings.TrimSpace(d.Prometheus) == "" {
			errs = append(errs, fmt.Errorf("%s.prometheus is empty: write the PromQL query of the metric, e.g. sum(rate(orders_total[5m]))", field))
		}
		switch {
		case d.By == nil:
			errs = append(errs, fmt.Errorf("%s.by is not set: how far below the baseline fires the rule, e.g. 30%%", field))
		case *d.By <= 0 || *d.By >= 1:
			errs = append(errs, fmt.Errorf("%s.by %s: want more than 0%% and less than 100%%, e.g. 30%%", field, *d.By))
		}
		if d.Baseline < 0 {
			errs = append(errs, fmt.Errorf("%s.baseline %v: want a duration above 0 (how far back the live revision is measured), e.g. 10m", field, d.Baseline))
		}
		if d.For != 0 {
			atLeastInterval(field+".for", d.For, "1m")
		}
		errs = append(errs, validNoData(field+".no-data", d.NoData))
	}
	for i, c := range r.CPU {
		field := fmt.Sprintf("%s.cpu[%d]", f, i)
		if !dnsLabel.MatchString(c.Container) {
			errs = append(errs, fmt.Errorf("%s.container %q: name a container of the pod template, e.g. web", field, c.Container))
		} else {
			name(field, "cpu-"+c.Container)
		}
		if a := c.Above; a != nil && (*a <= 0 || *a > 10) {
			errs = append(errs, fmt.Errorf("%s.above %s: want a share of the CPU limit above 0%%, e.g. 90%%", field, *a))
		}
		atLeastInterval(field+".for", c.Duration(), "3m")
		if c.Rate < 0 || (c.Rate > 0 && c.Rate < time.Second) {
			errs = append(errs, fmt.Errorf("%s.rate %v: want a rate() window of 1s or more (at least two scrapes), e.g. 1m", field, c.Rate))
		}
		errs = append(errs, validNoData(field+".no-data", c.NoData))
	}
	return errors.Join(errs...)
}
