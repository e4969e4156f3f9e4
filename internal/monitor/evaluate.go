package monitor

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/result"
)

// Names of the checks Evaluate returns; stable across runs.
const (
	CheckPodRestarts = "[pods] should not restart during rollout"
	CheckNodesReady  = "[nodes] should stay ready during rollout"
)

// DisruptionCheck names the check of one endpoint's backend, e.g.
// "[disruption] web new-connections should be available during rollout".
func DisruptionCheck(endpoint string, conn Connection) string {
	return fmt.Sprintf("[disruption] %s %s should be available during rollout", endpoint, conn)
}

// DeploymentCheck names the check of one Deployment, e.g. "[deployment]
// web should not become unavailable".
func DeploymentCheck(name string) string {
	return fmt.Sprintf("[deployment] %s should not become unavailable", name)
}

// Evaluate turns intervals into checks: per endpoint of cfg (then per
// other sampled endpoint) and connection, whether its total disruption
// stayed within cfg.MaxDisruption; per Deployment seen, whether it stayed
// Available; and, when the pods and nodes were watched, whether no
// container restarted and every node stayed Ready.
func Evaluate(intervals []Interval, cfg config.Disruption) []result.Check {
	intervals = slices.Clone(intervals)
	Sort(intervals)
	checks := evaluateDisruption(intervals, cfg)
	checks = append(checks, evaluateDeployments(intervals)...)
	checks = append(checks, evaluatePods(intervals), evaluateNodes(intervals))
	return checks
}

// backendKey is one endpoint's backend, as the locators name it.
type backendKey struct {
	endpoint string
	conn     Connection
}

func evaluateDisruption(intervals []Interval, cfg config.Disruption) []result.Check {
	byBackend := map[backendKey][]Interval{}
	var order []backendKey
	for _, e := range cfg.Endpoints {
		for _, c := range Connections {
			order = append(order, backendKey{e.DisplayName(), c})
		}
	}
	for _, iv := range intervals {
		if iv.Source != SourceDisruption {
			continue
		}
		k := backendKey{locatorValue(iv.Locator, "endpoint"), Connection(locatorValue(iv.Locator, "backend"))}
		if _, seen := byBackend[k]; !seen && !slices.Contains(order, k) {
			order = append(order, k)
		}
		byBackend[k] = append(byBackend[k], iv)
	}
	var checks []result.Check
	for _, k := range order {
		checks = append(checks, disruptionCheck(k, byBackend[k], cfg.MaxDisruption))
	}
	return checks
}

// disruptionCheck judges one backend from its intervals.
func disruptionCheck(k backendKey, intervals []Interval, maxDisruption time.Duration) result.Check {
	c := result.Check{
		Name:        DisruptionCheck(k.endpoint, k.conn),
		Description: fmt.Sprintf("total outage of %s sampled over %s stays within %v", k.endpoint, k.conn, maxDisruption),
	}
	var outages []Interval
	var total time.Duration
	object := ""
	for _, iv := range intervals {
		object = objectOf(iv.Locator)
		if iv.Level == Info {
			c.Duration += iv.Duration()
			continue
		}
		outages = append(outages, iv)
		total += iv.Duration()
	}
	if len(intervals) == 0 {
		c.Skipped = "not sampled: the monitor recorded nothing for this backend"
		return c
	}
	if total == 0 {
		return c
	}
	f := result.Finding{Check: c.Name, Level: result.Failure, Object: object,
		Title: fmt.Sprintf("%s %s: %v of disruption, %v allowed", k.endpoint, k.conn, total.Round(time.Millisecond), maxDisruption)}
	what := "exceeds"
	if total <= maxDisruption {
		f.Level, what = result.Warning, "is within"
	}
	f.Message = fmt.Sprintf("total disruption %v %s max-disruption %v over %v sampled, in %d %s:\n%s",
		total.Round(time.Millisecond), what, maxDisruption, c.Duration.Round(time.Millisecond),
		len(outages), plural(len(outages), "outage"), listIntervals(outages))
	c.Findings = append(c.Findings, f)
	return c
}

// listIntervals is one line per interval: from, to, duration, message.
func listIntervals(intervals []Interval) string {
	var b strings.Builder
	for i, iv := range intervals {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "- %s to %s (%v): %s", clock(iv.From), clock(iv.To), iv.Duration().Round(time.Millisecond), iv.Message)
	}
	return b.String()
}

// clock is a time of day in UTC to the millisecond.
func clock(t time.Time) string { return t.UTC().Format("15:04:05.000") }
