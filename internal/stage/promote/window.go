package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/health"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/rules"
)

// window is the watched window: the monitor (production traffic over new
// and reused connections, the namespace's workloads and pods) and the
// rule engine evaluated every interval.
type window struct {
	p        *promotion
	mon      *monitor.Monitor
	samplers []*monitor.Disruption
	engine   *rules.Engine
	// notConfigured lists rules left out, and why.
	notConfigured []string
	rounds        int
	stopped       bool
	intervals     []monitor.Interval
	marks         []monitor.Interval
	// restarts tracks container restarts of the new revision's pods.
	restarts *restartCounter
	// checkTimeout bounds one evaluation of the checks.
	checkTimeout time.Duration
}

// SourcePromote is the timeline source of the stage's own marks (the
// switch, the rollback).
const SourcePromote = "promote"

// newWindow starts the monitor and builds the rules; pods selects the
// new revision's pods (for the restarts threshold).
func (p *promotion) newWindow(ctx context.Context, pods string) (*window, error) {
	cfg := p.s.cfg
	w := &window{p: p, engine: rules.New(rules.Options{NoDataAfter: cfg.Rollback.Failures(), Now: time.Now}), restarts: &restartCounter{seen: map[string]int32{}, since: time.Now()}}
	w.checkTimeout = max(cfg.EvalInterval()*5, 5*time.Second)
	cluster := monitor.Cluster{Namespace: p.s.namespace, Client: p.cl.Client, Config: p.cl.Config}
	samplers, err := monitor.Samplers(ctx, "promote.traffic", cfg.Traffic, cluster, cfg.VersionHeader)
	if err != nil {
		return nil, err
	}
	w.samplers = samplers
	all := []monitor.Sampler{monitor.NewConditions(p.cl.Client, p.s.namespace, false)}
	for _, s := range samplers {
		all = append(all, s)
	}
	w.mon = monitor.New(monitor.Options{}, all...)
	// The monitor outlives a cancelled job: its rollback is watched too.
	// stop ends it.
	if err := w.mon.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("start the monitor: %w", err)
	}
	if err := errors.Join(w.addRules(pods), w.addMetricRules(ctx, pods), w.addAbortRule()); err != nil {
		w.stop()
		return nil, err
	}
	return w, nil
}

// addRules builds the configured rules.
func (w *window) addRules(pods string) error {
	p := w.p
	rb := p.s.cfg.Rollback
	policy := func(override string) rules.Policy {
		if override != "" {
			return rules.Policy(override)
		}
		return rules.Policy(rb.NoDataPolicy())
	}
	checks := p.s.cfg.Checks
	if checks.Count() > 0 {
		r, err := httpcheck.NewResolver(p.cl.Config, p.cl.Client, p.s.namespace)
		if err != nil {
			return err
		}
		loc := health.LocateIn(p.loaded.Objects, p.s.namespace)
		w.engine.Add(rules.Func{
			RuleName: "consecutive-failures", Limit: fmt.Sprintf("checks failed %d evaluations in a row", rb.Failures()),
			Fire: rules.AfterCount(rb.Failures()),
			Measurer: func(ctx context.Context, _ time.Time) rules.Measurement {
				cctx, cancel := context.WithTimeout(ctx, w.checkTimeout)
				defer cancel()
				got, err := health.Once(cctx, r, checks.Service, checks.Business, loc)
				if err != nil {
					if cctx.Err() != nil && ctx.Err() == nil {
						// A production that does not answer is failing, not without data.
						return rules.Measurement{Value: float64(checks.Count()), HasData: true, Failing: true,
							Evidence: fmt.Sprintf("the checks got no answer within %s", w.checkTimeout)}
					}
					return rules.Measurement{Evidence: err.Error()}
				}
				var failed []string
				for _, c := range got {
					if c.Failed() {
						failed = append(failed, c.Findings[0].Title)
					}
				}
				m := rules.Measurement{Value: float64(len(failed)), HasData: true, Failing: len(failed) > 0, Evidence: fmt.Sprintf("%d of %d checks passed", len(got)-len(failed), len(got))}
				if len(failed) > 0 {
					m.Evidence = strings.Join(failed, "; ")
				}
				return m
			},
		}, policy(""))
	} else {
		w.notConfigured = append(w.notConfigured, "consecutive-failures: no promote.checks configured")
	}
	th := rb.Thresholds
	if len(w.samplers) > 0 {
		w.engine.Add(rules.Func{
			RuleName: "threshold/error-rate", Limit: "> " + th.ErrorRateLimit().String(),
			Measurer: func(_ context.Context, now time.Time) rules.Measurement {
				ss := w.recent(now, th.TrafficWindow())
				if len(ss) == 0 {
					return rules.Measurement{Evidence: fmt.Sprintf("no production traffic sampled in the last %s", th.TrafficWindow())}
				}
				failed := 0
				for _, s := range ss {
					if !s.OK() {
						failed++
					}
				}
				rate := float64(failed) / float64(len(ss))
				return rules.Measurement{Value: rate, HasData: true, Failing: rate > float64(th.ErrorRateLimit()),
					Evidence: fmt.Sprintf("%d of %d sampled requests failed in the last %s", failed, len(ss), th.TrafficWindow())}
			},
		}, policy(th.NoData))
		w.engine.Add(rules.Func{
			RuleName: "threshold/p95", Limit: "> " + th.P95Limit().String(),
			Measurer: func(_ context.Context, now time.Time) rules.Measurement {
				var ds []time.Duration
				for _, s := range w.recent(now, th.TrafficWindow()) {
					if s.Status != 0 {
						ds = append(ds, s.Duration)
					}
				}
				if len(ds) == 0 {
					return rules.Measurement{Evidence: fmt.Sprintf("no answered request sampled in the last %s", th.TrafficWindow())}
				}
				slices.Sort(ds)
				p95 := httpcheck.Percentile(ds, 0.95)
				return rules.Measurement{Value: p95.Seconds(), HasData: true, Failing: p95 > th.P95Limit(),
					Evidence: fmt.Sprintf("p95 %s over %d answered requests", httpcheck.FormatLatency(p95), len(ds))}
			},
		}, policy(th.NoData))
	} else {
		w.notConfigured = append(w.notConfigured, "threshold/error-rate and threshold/p95: no promote.traffic.endpoints to sample")
	}
	w.engine.Add(rules.Func{
		RuleName: "threshold/restarts", Limit: fmt.Sprintf("> %d restarts within %s", th.Restarts.MaxRestarts(), th.Restarts.Span()),
		Measurer: func(ctx context.Context, now time.Time) rules.Measurement {
			list, err := p.cl.Client.CoreV1().Pods(p.s.namespace).List(ctx, metav1.ListOptions{LabelSelector: pods})
			if err != nil {
				return rules.Measurement{Evidence: "list pods: " + err.Error()}
			}
			if len(list.Items) == 0 {
				return rules.Measurement{Evidence: "no pods of the new revision (" + pods + ")"}
			}
			n, which := w.restarts.observe(list.Items, now, th.Restarts.Span())
			return rules.Measurement{Value: float64(n), HasData: true, Failing: n > th.Restarts.MaxRestarts(),
				Evidence: fmt.Sprintf("%d restart(s) within %s across %d pod(s)%s", n, th.Restarts.Span(), len(list.Items), which)}
		},
	}, policy(th.NoData))
	return nil
}

// recent returns the samples of every sampler answered (or failed)
// within d before now: a slow answer counts when it arrives.
func (w *window) recent(now time.Time, d time.Duration) []monitor.Sample {
	from := now.Add(-d)
	var out []monitor.Sample
	for _, s := range w.samplers {
		for _, smp := range s.Samples(from.Add(-s.Timeout())) {
			if at := smp.Sent.Add(smp.Duration); !at.Before(from) && !at.After(now) {
				out = append(out, smp)
			}
		}
	}
	return out
}

// watch evaluates the rules every interval for d; it returns the rule
// that fired, or nil when d passed; an error when ctx ended. Evaluations
// never overlap: a slow one delays the next.
func (w *window) watch(ctx context.Context, d time.Duration) (*rules.Firing, error) {
	interval := w.p.s.cfg.EvalInterval()
	end := time.Now().Add(d)
	for next := time.Now(); ; {
		if d > 0 {
			if err := sleepUntil(ctx, next); err != nil {
				return nil, err
			}
			if err := w.p.lockHeld(); err != nil {
				return nil, err
			}
			fired, _ := w.engine.Evaluate(ctx)
			w.rounds++
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if fired != nil {
				return fired, nil
			}
		}
		next = next.Add(interval)
		if now := time.Now(); next.Before(now) {
			next = now // an evaluation took longer than the interval
		}
		if !next.Before(end) {
			return nil, nil
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// mark records an instant of the stage itself on the timeline.
func (w *window) mark(what, msg string) { w.markAt(time.Now(), what, msg) }

// markAt records an instant of the stage at a time.
func (w *window) markAt(now time.Time, what, msg string) {
	w.marks = append(w.marks, monitor.Interval{From: now, To: now, Level: monitor.Info, Source: SourcePromote, Locator: "promote/" + what, Message: msg})
}

// stop stops the monitor once and keeps its intervals.
func (w *window) stop() {
	if w.stopped {
		return
	}
	w.stopped = true
	ivs, err := w.mon.Stop()
	if err != nil {
		w.p.env.RT.Warnf("stop the monitor: %v", err)
	}
	w.intervals = ivs
}

// judgeRules adds one check per rule: failed when it fired, with the
// rule's evaluations counted; rules left out are skipped with why.
func (w *window) judgeRules(res *result.Result, fired *rules.Firing) {
	for _, s := range w.engine.Summaries() {
		c := result.Check{Name: "rule/" + s.Rule, Description: describeRule(s)}
		if fired != nil && fired.Rule == s.Rule {
			c.Findings = append(c.Findings, result.Finding{Check: c.Name, Level: result.Failure, Title: "Rollback rule fired: " + s.Rule, Message: fired.String()})
		} else if s.Counts[rules.NoData] > 0 && s.Policy == rules.IgnoreNoData {
			c.Findings = append(c.Findings, result.Finding{Check: c.Name, Level: result.Warning, Title: s.Rule + " had no data",
				Message: fmt.Sprintf("%d of %d evaluations had no data (%s in all); no-data is ignore, so they were not counted.", s.Counts[rules.NoData], s.Evaluated(), s.NoDataFor.Round(time.Millisecond))})
		}
		res.Checks = append(res.Checks, c)
	}
	for _, n := range w.notConfigured {
		name, why, _ := strings.Cut(n, ": ")
		for _, part := range strings.Split(name, " and ") {
			res.Checks = append(res.Checks, result.Check{Name: "rule/" + part, Skipped: why})
		}
	}
}

func describeRule(s rules.Summary) string {
	last := "never evaluated"
	if s.Last != nil {
		last = fmt.Sprintf("last %s", s.Last.Verdict)
		if s.Last.HasData {
			last += fmt.Sprintf(" at %.4g", s.Last.Value)
		}
	}
	return fmt.Sprintf("Fires when %s (no-data: %s); %d evaluations, %s.", s.Threshold, s.Policy, s.Evaluated(), last)
}

// restartCounter counts container restarts of pods over time.
type restartCounter struct {
	// since is when counting began: pods made after it count from zero.
	since  time.Time
	mu     sync.Mutex
	seen   map[string]int32 // pod UID → restarts seen
	events []time.Time      // one per restart observed
}

func (r *restartCounter) observe(pods []corev1.Pod, now time.Time, span time.Duration) (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var worst string
	var worstN int32
	for _, p := range pods {
		var n int32
		for _, cs := range p.Status.ContainerStatuses {
			n += cs.RestartCount
		}
		uid := string(p.UID)
		prev, ok := r.seen[uid]
		if !ok && p.CreationTimestamp.After(r.since) {
			ok = true // a pod made inside the window: its every restart counts
		}
		if ok && n > prev {
			for range n - prev {
				r.events = append(r.events, now)
			}
		}
		r.seen[uid] = n
		if n > worstN {
			worst, worstN = p.Name, n
		}
	}
	cut := now.Add(-span)
	r.events = slices.DeleteFunc(r.events, func(t time.Time) bool { return t.Before(cut) })
	which := ""
	if worst != "" {
		which = fmt.Sprintf(" (most: %s with %d)", worst, worstN)
	}
	return len(r.events), which
}
