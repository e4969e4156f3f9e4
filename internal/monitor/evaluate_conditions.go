package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/result"
)

// evaluateDeployments returns a check per Deployment with recorded
// conditions, in locator order: it fails while Available was False.
func evaluateDeployments(intervals []Interval) []result.Check {
	type deployment struct {
		name, object string
		unavailable  []Interval
	}
	var deps []*deployment
	byObject := map[string]*deployment{}
	names := map[string]int{}
	for _, iv := range intervals {
		if iv.Source != SourceDeployment {
			continue
		}
		object, _, _ := strings.Cut(iv.Locator, " condition/")
		d := byObject[object]
		if d == nil {
			d = &deployment{name: locatorValue(iv.Locator, "deployment"), object: object}
			byObject[object] = d
			deps = append(deps, d)
			names[d.name]++
		}
		if locatorValue(iv.Locator, "condition") == "Available" && iv.Level == Error {
			d.unavailable = append(d.unavailable, iv)
		}
	}
	window, _ := watchWindow(intervals, "deployments")
	var checks []result.Check
	for _, d := range deps {
		name := d.name
		if names[name] > 1 { // the same name in two namespaces
			name = locatorValue(d.object, "ns") + "/" + name
		}
		c := result.Check{Name: DeploymentCheck(name), Duration: window,
			Description: fmt.Sprintf("deployment %s keeps its Available condition True", name)}
		if len(d.unavailable) > 0 {
			var total time.Duration
			for _, iv := range d.unavailable {
				total += iv.Duration()
			}
			c.Findings = append(c.Findings, result.Finding{Check: c.Name, Level: result.Failure, Object: objectOf(d.object),
				Title:   fmt.Sprintf("deployment %s unavailable for %v", name, total.Round(time.Millisecond)),
				Message: listIntervals(d.unavailable)})
		}
		checks = append(checks, c)
	}
	return checks
}

// evaluatePods fails on every container restart.
func evaluatePods(intervals []Interval) result.Check {
	window, watched := watchWindow(intervals, "pods")
	c := result.Check{Name: CheckPodRestarts, Description: "no container of the namespace's pods restarts while the monitor runs",
		Duration: window}
	if !watched {
		c.Skipped = "pods were not watched"
	}
	for _, iv := range intervals {
		if iv.Source == SourcePodRestart {
			c.Findings = append(c.Findings, result.Finding{Check: c.Name, Level: result.Failure, Object: objectOf(iv.Locator),
				Title:   fmt.Sprintf("pod %s container %s restarted", locatorValue(iv.Locator, "pod"), locatorValue(iv.Locator, "container")),
				Message: fmt.Sprintf("%s at %s", iv.Message, clock(iv.From))})
		}
	}
	return c
}

// evaluateNodes fails on a node not Ready and warns of pressure.
func evaluateNodes(intervals []Interval) result.Check {
	window, watched := watchWindow(intervals, "nodes")
	c := result.Check{Name: CheckNodesReady, Description: "every node stays Ready without pressure while the monitor runs",
		Duration: window}
	if !watched {
		c.Skipped = "nodes were not watched"
	}
	for _, iv := range intervals {
		if iv.Source != SourceNode {
			continue
		}
		level := result.Warning
		if iv.Level == Error {
			level = result.Failure
		}
		c.Findings = append(c.Findings, result.Finding{Check: c.Name, Level: level, Object: objectOf(iv.Locator),
			Title:   fmt.Sprintf("node %s %s for %v", locatorValue(iv.Locator, "node"), condition(iv), iv.Duration().Round(time.Millisecond)),
			Message: listIntervals([]Interval{iv})})
	}
	return c
}

// condition is the "Type=Status" of a condition interval's message.
func condition(iv Interval) string {
	_, rest, _ := strings.Cut(iv.Message, " ")
	cond, _, _ := strings.Cut(rest, ":")
	return cond
}

// watchWindow is the longest window of the watch of what, and whether one
// was recorded.
func watchWindow(intervals []Interval, what string) (time.Duration, bool) {
	var d time.Duration
	watched := false
	for _, iv := range intervals {
		if iv.Source == SourceConditions && iv.Level == Info && locatorValue(iv.Locator, "watch") == what {
			d, watched = max(d, iv.Duration()), true
		}
	}
	return d, watched
}
