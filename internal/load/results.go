package load

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shipgate/shipgate/internal/config"
)

// Results are what a load measured.
type Results struct {
	// Target names where the load went.
	Target string
	// Object is Service/namespace/name for a Service target.
	Object string
	// Declared is the configured rate, per second.
	Declared float64
	// Limits are the configured limits the checks apply.
	Limits config.LoadLimits
	// NotRun, when set, says why the load did not run; its checks fail
	// with it.
	NotRun string
	// Started and Ended span the load: its first request sent to its last
	// answer.
	Started, Ended time.Time
	// Requests were sent; Succeeded were answered with a 2xx status.
	Requests, Succeeded int
	// Rate is the rate requests were sent at: the requests after the
	// first over the time from the first to the last.
	Rate float64
	// Throughput is successful requests a second over the load's span:
	// from its first request to its last answer, plus one request's share
	// of time at the declared rate (so n requests at rate r that all
	// succeed at once measure r).
	Throughput float64
	// P50, P95, P99 and Max are latency percentiles over all requests.
	P50, P95, P99, Max time.Duration
	// Codes counts answers by status; 0 counts requests with no answer.
	Codes map[int]int
	// Errors counts the reasons of failed requests: a status, a redirect
	// not followed, or a transport error.
	Errors map[string]int
	// Paths counts requests per configured path, in config order.
	Paths []PathCount
	// Seconds are the load's seconds from Started, each with its counts,
	// for the timeline.
	Seconds []Second
}

// PathCount is how many requests one configured path got.
type PathCount struct {
	// Label is the method and path, e.g. "POST /api/orders".
	Label    string
	Weight   int
	Requests int
	Failed   int
}

// Second is one second of the load.
type Second struct {
	// At is the second's start.
	At       time.Time
	Requests int
	Failed   int
	// Errors counts the failed requests' reasons.
	Errors map[string]int
}

// SuccessRatio is Succeeded over Requests; 0 when none were sent.
func (r Results) SuccessRatio() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Succeeded) / float64(r.Requests)
}

// NotRunResults are the results of a load that could not run (its target
// did not resolve, say): every check of it fails with why.
func NotRunResults(cfg config.LoadSpec, target, why string) Results {
	return Results{Target: target, Declared: cfg.Rate, Limits: cfg.Limits, NotRun: why}
}

// accumulator gathers results as they arrive.
type accumulator struct {
	mu      sync.Mutex
	base    string // the target's URL, replaced by its name in errors
	res     Results
	byKey   map[string]int // method and URL → index in res.Paths
	metrics vegeta.Metrics
	first   time.Time
	last    time.Time
	end     time.Time
	events  []event
}

// event is one request's start and, when it failed, why.
type event struct {
	at  time.Time
	why string
}

func newAccumulator(cfg config.LoadSpec, t Target, targets []target) *accumulator {
	a := &accumulator{
		base:  strings.TrimSuffix(t.URL, "/"),
		res:   Results{Target: t.Name, Object: t.Object, Declared: cfg.Rate, Limits: cfg.Limits, Codes: map[int]int{}, Errors: map[string]int{}},
		byKey: map[string]int{},
	}
	for i, tg := range targets {
		key := tg.vt.Method + " " + tg.vt.URL
		if _, seen := a.byKey[key]; !seen {
			a.byKey[key] = i
		}
		a.res.Paths = append(a.res.Paths, PathCount{Label: tg.label, Weight: tg.weight})
	}
	return a
}

// add counts one result.
func (a *accumulator) add(r *vegeta.Result) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.metrics.Add(r)
	res := &a.res
	res.Requests++
	code := int(r.Code)
	res.Codes[code]++
	why := ""
	switch {
	case code >= 200 && code < 300:
		res.Succeeded++
	case code >= 300 && code < 400:
		why = fmt.Sprintf("%d redirect to %s not followed (a load goes only to its target)", code, cmpOr(r.Headers.Get("Location"), "nowhere"))
	case code != 0:
		why = fmt.Sprintf("status %d", code)
	default:
		why = strings.ReplaceAll(cmpOr(r.Error, "no answer"), a.base, a.res.Target)
	}
	if why != "" {
		res.Errors[why]++
	}
	if i, ok := a.byKey[r.Method+" "+r.URL]; ok {
		res.Paths[i].Requests++
		if why != "" {
			res.Paths[i].Failed++
		}
	}
	if a.first.IsZero() || r.Timestamp.Before(a.first) {
		a.first = r.Timestamp
	}
	if r.Timestamp.After(a.last) {
		a.last = r.Timestamp
	}
	if e := r.Timestamp.Add(r.Latency); e.After(a.end) {
		a.end = e
	}
	a.events = append(a.events, event{at: r.Timestamp, why: why})
}

// finish computes what needs every result.
func (a *accumulator) finish() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.metrics.Close()
	res := &a.res
	res.Started, res.Ended = a.first, a.end
	if res.Requests > 1 {
		if d := a.last.Sub(a.first).Seconds(); d > 0 {
			res.Rate = float64(res.Requests-1) / d
		}
	}
	// A load of n requests at rate r spans n/r: the time from the first
	// request to the last answer, plus the last request's share.
	if d := a.end.Sub(a.first).Seconds() + 1/res.Declared; res.Requests > 0 {
		res.Throughput = float64(res.Succeeded) / d
	}
	l := a.metrics.Latencies
	res.P50, res.P95, res.P99, res.Max = l.P50, l.P95, l.P99, l.Max
	for _, e := range a.events {
		i := int(e.at.Sub(a.first) / time.Second)
		for len(res.Seconds) <= i {
			res.Seconds = append(res.Seconds, Second{At: a.first.Add(time.Duration(len(res.Seconds)) * time.Second)})
		}
		sec := &res.Seconds[i]
		sec.Requests++
		if e.why != "" {
			sec.Failed++
			if sec.Errors == nil {
				sec.Errors = map[string]int{}
			}
			sec.Errors[e.why]++
		}
	}
	a.events = nil
}

// results returns a copy of the results.
func (a *accumulator) results() Results {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.res
	r.Codes = maps.Clone(r.Codes)
	r.Errors = maps.Clone(r.Errors)
	r.Paths = slices.Clone(r.Paths)
	r.Seconds = slices.Clone(r.Seconds)
	return r
}

// mix writes counts as "status 500×3, status 503×1", most first, at
// most n of them.
func mix(counts map[string]int, n int) string {
	keys := slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for i, k := range keys {
		if i == n {
			parts = append(parts, fmt.Sprintf("%d more", len(keys)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}
