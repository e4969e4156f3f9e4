package load

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/result"
)

// Source is the source of a load's intervals on the timeline.
const Source = "load"

// DefaultPrefix starts the names of a stage's load checks.
const DefaultPrefix = "[load]"

// successName names the success check; like every check name it is
// stable across runs and names a JUnit case (e.g. "[load] success ratio
// should be at least 99%").
func successName(prefix string, min config.Percent) string {
	return fmt.Sprintf("%s success ratio should be at least %s", prefix, min)
}

// Checks turns the results into one check per limit, each named with
// prefix (DefaultPrefix in the stages; promote may name its step): the
// success ratio always (99% when not configured), then p50, p95 and p99
// latency, the rate within its tolerance of the declared rate and the
// throughput, each when configured. A load that did not run, or sent
// nothing, fails every check.
func (r Results) Checks(prefix string) []result.Check {
	l := r.Limits
	took := r.Ended.Sub(r.Started)
	var checks []result.Check
	add := func(name, desc string, bad bool, title, msg string) {
		c := result.Check{Name: name, Description: desc, Duration: took}
		switch {
		case r.NotRun != "":
			c.Findings = []result.Finding{r.finding(name, "The load did not run", "The load on "+r.Target+" did not run: "+r.NotRun)}
		case r.Requests == 0:
			c.Findings = []result.Finding{r.finding(name, "The load sent no request", "The load on "+r.Target+" ended before it sent a request.")}
		case bad:
			c.Findings = []result.Finding{r.finding(name, title, msg)}
		}
		checks = append(checks, c)
	}
	ratio := r.SuccessRatio()
	add(successName(prefix, l.Success()),
		fmt.Sprintf("%d requests to %s at %s/s: %s answered 2xx.", r.Requests, r.Target, rate(r.Declared), pct(ratio)),
		ratio < float64(l.Success()),
		fmt.Sprintf("%s of requests succeeded, below %s", pct(ratio), l.Success()),
		fmt.Sprintf("%d of %d requests to %s failed (%s succeeded, at least %s wanted): %s.", r.Requests-r.Succeeded, r.Requests, r.Target, pct(ratio), l.Success(), mix(r.Errors, 5)))
	for _, q := range []struct {
		name      string
		limit, at time.Duration
	}{{"p50", l.P50, r.P50}, {"p95", l.P95, r.P95}, {"p99", l.P99, r.P99}} {
		if q.limit == 0 {
			continue
		}
		add(fmt.Sprintf("%s %s latency should be at most %s", prefix, q.name, q.limit),
			fmt.Sprintf("The %s latency of %d requests to %s was %s.", q.name, r.Requests, r.Target, ms(q.at)),
			q.at > q.limit,
			fmt.Sprintf("%s latency %s above %s", q.name, ms(q.at), q.limit),
			fmt.Sprintf("The %s latency of %d requests to %s at %s/s was %s, above the limit %s (p50 %s, p95 %s, p99 %s, max %s).",
				q.name, r.Requests, r.Target, rate(r.Declared), ms(q.at), q.limit, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max)))
	}
	if w := l.RateWithin; w != nil && r.NotRun == "" && r.Requests == 1 {
		// One request has no rate: a load cut short (a short step) is not
		// a generator that could not keep up.
		checks = append(checks, result.Check{Name: fmt.Sprintf("%s rate should be within %s of %s/s", prefix, *w, rate(r.Declared)), Duration: took,
			Skipped: "one request was sent: a rate needs two"})
	} else if w != nil {
		off := math.Abs(r.Rate-r.Declared) / r.Declared
		add(fmt.Sprintf("%s rate should be within %s of %s/s", prefix, *w, rate(r.Declared)),
			fmt.Sprintf("Requests were sent at %s/s, %s from the declared %s/s.", rate(r.Rate), pct(off), rate(r.Declared)),
			off > float64(*w),
			fmt.Sprintf("rate %s/s, %s from %s/s", rate(r.Rate), pct(off), rate(r.Declared)),
			fmt.Sprintf("The load on %s sent %d requests at %s/s, %s from the declared %s/s (allowed: %s): the generator could not keep the rate, so the load was not what was declared.",
				r.Target, r.Requests, rate(r.Rate), pct(off), rate(r.Declared), *w))
	}
	if m := l.MinThroughput; m != nil {
		frac := r.Throughput / r.Declared
		add(fmt.Sprintf("%s throughput should be at least %s of %s/s", prefix, *m, rate(r.Declared)),
			fmt.Sprintf("%s successful requests a second, %s of the declared %s/s.", rate(r.Throughput), pct(frac), rate(r.Declared)),
			frac < float64(*m),
			fmt.Sprintf("throughput %s/s, %s of %s/s", rate(r.Throughput), pct(frac), rate(r.Declared)),
			fmt.Sprintf("%s answered %s successful requests a second under a load of %s/s: %s of it, below %s (%s).",
				r.Target, rate(r.Throughput), rate(r.Declared), pct(frac), *m, cmpOr(mix(r.Errors, 5), "no request failed; answers were too slow")))
	}
	return checks
}

func (r Results) finding(check, title, msg string) result.Finding {
	return result.Finding{Check: check, Level: result.Failure, Title: title, Message: msg, Object: r.Object}
}

// Lines are the summary's lines about the load.
func (r Results) Lines() []string {
	if r.NotRun != "" {
		return []string{fmt.Sprintf("Load on %s at %s/s did not run: %s.", r.Target, rate(r.Declared), r.NotRun)}
	}
	lines := []string{fmt.Sprintf("Load on %s: %d requests in %s, sent at %s/s (declared %s/s, %s of it), throughput %s/s, %s succeeded; latency p50 %s, p95 %s, p99 %s, max %s.",
		r.Target, r.Requests, r.Ended.Sub(r.Started).Round(100*time.Millisecond), rate(r.Rate), rate(r.Declared), pct(r.Rate/r.Declared),
		rate(r.Throughput), pct(r.SuccessRatio()), ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))}
	codes := map[string]int{}
	for c, n := range r.Codes {
		k := "no answer"
		if c != 0 {
			k = strconv.Itoa(c)
		}
		codes[k] = n
	}
	more := "Load answers: " + mix(codes, 8)
	if len(r.Errors) > 0 {
		more += "; failures: " + mix(r.Errors, 5)
	}
	lines = append(lines, more+".")
	if len(r.Paths) > 1 {
		var parts []string
		for _, p := range r.Paths {
			parts = append(parts, fmt.Sprintf("%s ×%d (weight %d, %d failed)", p.Label, p.Requests, p.Weight, p.Failed))
		}
		lines = append(lines, "Load by path: "+strings.Join(parts, ", ")+".")
	}
	return lines
}

// Intervals are the load on the timeline: runs of seconds in which every
// request succeeded (info) or some failed (error), with their counts.
func (r Results) Intervals() []monitor.Interval {
	var out []monitor.Interval
	locator := "load " + r.Target
	for i := 0; i < len(r.Seconds); {
		bad := r.Seconds[i].Failed > 0
		j, n, failed := i, 0, 0
		errs := map[string]int{}
		for ; j < len(r.Seconds) && (r.Seconds[j].Failed > 0) == bad; j++ {
			n += r.Seconds[j].Requests
			failed += r.Seconds[j].Failed
			for k, v := range r.Seconds[j].Errors {
				errs[k] += v
			}
		}
		to := r.Seconds[i].At.Add(time.Duration(j-i) * time.Second)
		if to.After(r.Ended) && r.Ended.After(r.Seconds[i].At) {
			to = r.Ended
		}
		iv := monitor.Interval{From: r.Seconds[i].At, To: to, Level: monitor.Info, Source: Source, Locator: locator,
			Message: fmt.Sprintf("%d requests at %s/s declared, all answered 2xx", n, rate(r.Declared))}
		if bad {
			iv.Level = monitor.Error
			iv.Message = fmt.Sprintf("%d of %d requests failed: %s", failed, n, mix(errs, 3))
		}
		out = append(out, iv)
		i = j
	}
	return out
}

func rate(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

func pct(f float64) string { return strconv.FormatFloat(math.Round(f*10000)/100, 'f', -1, 64) + "%" }

func ms(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
