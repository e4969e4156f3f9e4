package promrule

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/shipgate/shipgate/internal/rules"
)

// Sustained fires when its query's value stays above Above (or below
// Below) for For: every evaluation beyond the bound extends the streak,
// one within it resets the clock. With several series, the one furthest
// beyond the bound is judged.
type Sustained struct {
	RuleName string
	Query    string
	// Exactly one of Above and Below is set.
	Above, Below *float64
	For          time.Duration
	Source       *Source
}

// Name implements rules.Rule.
func (r *Sustained) Name() string { return r.RuleName }

// Threshold implements rules.Rule.
func (r *Sustained) Threshold() string {
	if r.Above != nil {
		return fmt.Sprintf("> %s for %s", num(*r.Above), r.For)
	}
	return fmt.Sprintf("< %s for %s", num(*r.Below), r.For)
}

// Measure implements rules.Rule.
func (r *Sustained) Measure(ctx context.Context, now time.Time) rules.Measurement {
	vec, err := r.Source.Instant(ctx, r.Query, now)
	if err != nil {
		return rules.Measurement{Evidence: err.Error()}
	}
	worst := pick(vec, r.Above != nil)
	v := float64(worst.Value)
	failing := r.Above != nil && v > *r.Above || r.Below != nil && v < *r.Below
	return rules.Measurement{Value: v, HasData: true, Failing: failing, Evidence: sampleText(worst, len(vec))}
}

// Fires implements rules.Rule: the value has been beyond the bound since
// the streak began, for at least For.
func (r *Sustained) Fires(s rules.Streak, now time.Time) bool {
	return s.Count > 0 && now.Sub(s.Since) >= r.For
}

// Drop fires when its query's value falls By or more below a baseline:
// the median of the query over the Window before the switch, measured on
// the live revision by MeasureBaseline; for For when set, else at the
// first evaluation below. Without a baseline it has no data.
type Drop struct {
	RuleName string
	Query    string
	// By is the fraction, e.g. 0.3 for 30 %.
	By float64
	// Window is how far back the baseline looks.
	Window time.Duration
	For    time.Duration
	Source *Source

	mu       sync.Mutex
	baseline *Baseline
	noBase   string
}

// Baseline is what a Drop compares with.
type Baseline struct {
	// Value is the median of the samples.
	Value float64
	// Samples is how many values of the query it is the median of.
	Samples int
	// From and To are the range measured.
	From, To time.Time
}

// String says what the baseline is, e.g. "20 (median of 61 samples over 1m)".
func (b Baseline) String() string {
	return fmt.Sprintf("%s (median of %d samples over %s)", num(b.Value), b.Samples, b.To.Sub(b.From).Round(time.Millisecond))
}

// MeasureBaseline measures the baseline over the Window before now, with
// a sample every Window/60 (100ms at least); without one, every
// evaluation has no data, saying why.
func (r *Drop) MeasureBaseline(ctx context.Context, now time.Time) (Baseline, error) {
	from := now.Add(-r.Window)
	step := max(r.Window/60, 100*time.Millisecond)
	vals, err := r.Source.Range(ctx, r.Query, from, now, step)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.noBase = "no baseline: " + err.Error()
		return Baseline{}, err
	}
	b := Baseline{Value: median(vals), Samples: len(vals), From: from, To: now}
	r.baseline = &b
	return b, nil
}

func (r *Drop) base() (*Baseline, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.baseline == nil && r.noBase == "" {
		return nil, "no baseline: it is measured on the live revision before the switch"
	}
	return r.baseline, r.noBase
}

// Name implements rules.Rule.
func (r *Drop) Name() string { return r.RuleName }

// Threshold implements rules.Rule.
func (r *Drop) Threshold() string {
	t := fmt.Sprintf("%s%% or more below the baseline", num(r.By*100))
	if b, _ := r.base(); b != nil {
		t = fmt.Sprintf("< %s (%s%% below the baseline %s)", num(b.Value*(1-r.By)), num(r.By*100), b)
	}
	if r.For > 0 {
		t += fmt.Sprintf(" for %s", r.For)
	}
	return t
}

// Measure implements rules.Rule.
func (r *Drop) Measure(ctx context.Context, now time.Time) rules.Measurement {
	b, why := r.base()
	if b == nil {
		return rules.Measurement{Evidence: why}
	}
	vec, err := r.Source.Instant(ctx, r.Query, now)
	if err != nil {
		return rules.Measurement{Evidence: err.Error()}
	}
	if len(vec) > 1 {
		return rules.Measurement{Evidence: fmt.Sprintf("the query %s on %s returned %d series; aggregate it to one, e.g. sum(...)", r.Query, r.Source.Where, len(vec))}
	}
	v := float64(vec[0].Value)
	change := "no change"
	if b.Value != 0 {
		change = fmt.Sprintf("%+.1f%%", (v/b.Value-1)*100)
	}
	return rules.Measurement{Value: v, HasData: true, Failing: v < b.Value*(1-r.By),
		Evidence: fmt.Sprintf("%s against the baseline %s: %s", num(v), num(b.Value), change)}
}

// Fires implements rules.Rule.
func (r *Drop) Fires(s rules.Streak, now time.Time) bool {
	return s.Count > 0 && now.Sub(s.Since) >= r.For
}

// CPU fires when a container of the selected pods uses at least Above
// (a fraction) of its CPU limit for For: the rate of cAdvisor's
// container_cpu_usage_seconds_total over Rate divided by kube-state-
// metrics' kube_pod_container_resource_limits{resource="cpu"}, per pod;
// the busiest pod is judged.
type CPU struct {
	Namespace, Container string
	Above                float64
	For, Rate            time.Duration
	// Pods lists the names of the pods to watch (the new revision's).
	Pods   func(ctx context.Context) ([]string, error)
	Source *Source
}

// Name implements rules.Rule.
func (r *CPU) Name() string { return "cpu/" + r.Container }

// Threshold implements rules.Rule.
func (r *CPU) Threshold() string {
	return fmt.Sprintf(">= %s%% of the CPU limit for %s", num(r.Above*100), r.For)
}

// Query is the PromQL of the rule for pods: per pod, the container's CPU
// use as a fraction of its limit.
func (r *CPU) Query(pods []string) string {
	quoted := make([]string, len(pods))
	for i, p := range pods {
		quoted[i] = regexp.QuoteMeta(p)
	}
	sel := fmt.Sprintf(`namespace=%q, pod=~%q, container=%q`, r.Namespace, strings.Join(quoted, "|"), r.Container)
	by := "sum by (namespace, pod, container)"
	return fmt.Sprintf(`%s (rate(container_cpu_usage_seconds_total{%s}[%s])) / on (namespace, pod, container) %s (kube_pod_container_resource_limits{%s, resource="cpu", unit="core"})`,
		by, sel, model.Duration(r.Rate), by, sel)
}

// Measure implements rules.Rule.
func (r *CPU) Measure(ctx context.Context, now time.Time) rules.Measurement {
	pods, err := r.Pods(ctx)
	if err != nil {
		return rules.Measurement{Evidence: "list the pods: " + err.Error()}
	}
	if len(pods) == 0 {
		return rules.Measurement{Evidence: "no pods of the new revision to watch"}
	}
	slices.Sort(pods)
	vec, err := r.Source.Instant(ctx, r.Query(pods), now)
	if err != nil {
		return rules.Measurement{Evidence: fmt.Sprintf("%v (is resources.limits.cpu set on container %s, and are cAdvisor and kube-state-metrics scraped?)", err, r.Container)}
	}
	worst := pick(vec, true)
	v := float64(worst.Value)
	return rules.Measurement{Value: v, HasData: true, Failing: v >= r.Above,
		Evidence: fmt.Sprintf("%s/%s at %s%% of its CPU limit (busiest of %d pod(s))", worst.Metric["pod"], r.Container, num(v*100), len(vec))}
}

// Fires implements rules.Rule.
func (r *CPU) Fires(s rules.Streak, now time.Time) bool {
	return s.Count > 0 && now.Sub(s.Since) >= r.For
}

// pick returns the highest sample (or the lowest).
func pick(vec model.Vector, highest bool) *model.Sample {
	best := vec[0]
	for _, s := range vec[1:] {
		if highest == (s.Value > best.Value) && s.Value != best.Value {
			best = s
		}
	}
	return best
}

func sampleText(s *model.Sample, n int) string {
	t := num(float64(s.Value))
	if len(s.Metric) > 0 {
		t = s.Metric.String() + " = " + t
	}
	if n > 1 {
		t += fmt.Sprintf(" (the furthest of %d series)", n)
	}
	return t
}

// median of vals (sorted in place).
func median(vals []float64) float64 {
	slices.Sort(vals)
	n := len(vals)
	if n%2 == 1 {
		return vals[n/2]
	}
	return (vals[n/2-1] + vals[n/2]) / 2
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }
