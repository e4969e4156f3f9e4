// Package rules is the rollback rule engine of the promote stage. A Rule
// takes one Measurement per evaluation (a check run, a traffic window, a
// pod count, a metric query) and judges it; the Engine keeps each rule's
// streak of failing and data-less evaluations and says when a rule fires.
// Every evaluation is kept, for the summary table, the CSV and the
// timeline. A rule without data never passes silently: under the fail
// policy a data-less streak fires like a failing one; under ignore it is
// recorded and counted in the summary.
package rules

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Verdict is what one evaluation of a rule found.
type Verdict string

// The verdicts.
const (
	OK      Verdict = "ok"
	Failing Verdict = "failing"
	NoData  Verdict = "no-data"
	Fired   Verdict = "fired"
)

// Policy is what a rule without data does.
type Policy string

// The no-data policies.
const (
	// FailOnNoData counts a data-less evaluation as failing: the rule
	// fires after NoDataAfter of them in a row, or when its failing streak
	// (data-less evaluations included) fires it.
	FailOnNoData Policy = "fail"
	// IgnoreNoData records a data-less evaluation without counting it: a
	// failing streak around it goes on.
	IgnoreNoData Policy = "ignore"
)

// Measurement is what a rule's source returned at one evaluation.
type Measurement struct {
	// Value is the measured value (a rate, a latency in seconds, a count).
	Value float64
	// HasData is false when nothing could be measured; Evidence says why.
	HasData bool
	// Failing is the rule's judgement of Value.
	Failing bool
	// Evidence says what was measured, in a line or a few.
	Evidence string
}

// Streak is a run of failing (or data-less) evaluations of one rule.
type Streak struct {
	// Count is how many evaluations in a row.
	Count int
	// Since is the time of the first of them.
	Since time.Time
}

// Rule is one rollback rule.
type Rule interface {
	// Name is the rule's stable name, e.g. "threshold/error-rate"; it names
	// the JUnit case, the CSV rows and the timeline lane.
	Name() string
	// Threshold says in a few words when the rule fails, e.g. "> 1%".
	Threshold() string
	// Measure takes one measurement and judges it.
	Measure(ctx context.Context, now time.Time) Measurement
	// Fires says whether a streak of failing evaluations fires the rule:
	// after N in a row, or after a duration (a sustained condition).
	Fires(s Streak, now time.Time) bool
}

// Evaluation is one evaluation of one rule.
type Evaluation struct {
	Time      time.Time `json:"time"`
	Rule      string    `json:"rule"`
	Value     float64   `json:"value"`
	HasData   bool      `json:"has_data"`
	Threshold string    `json:"threshold"`
	Verdict   Verdict   `json:"verdict"`
	Evidence  string    `json:"evidence,omitempty"`
}

// Firing is a rule that fired.
type Firing struct {
	Rule      string
	Threshold string
	// At is the time of the evaluation that fired it.
	At time.Time
	// Streak is the run of evaluations that fired it.
	Streak Streak
	// NoData says the rule fired for want of data.
	NoData   bool
	Value    float64
	Evidence string
}

// String says in one line what fired.
func (f Firing) String() string {
	why := fmt.Sprintf("%d evaluation(s) in a row since %s", f.Streak.Count, f.Streak.Since.UTC().Format("15:04:05.000"))
	if f.NoData {
		return fmt.Sprintf("%s had no data for %s (no-data: fail): %s", f.Rule, why, f.Evidence)
	}
	return fmt.Sprintf("%s (%s) failed %s: %s", f.Rule, f.Threshold, why, f.Evidence)
}

// Options configure an Engine.
type Options struct {
	// NoDataAfter is how many data-less evaluations in a row fire a rule
	// under the fail policy; 1 when zero.
	NoDataAfter int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// entry is a rule with its policy and state.
type entry struct {
	rule    Rule
	policy  Policy
	failing Streak
	noData  Streak
	last    *Evaluation
	counts  map[Verdict]int
	// noDataTime adds up the time the rule had no data.
	noDataTime time.Duration
	lastTime   time.Time
}

// Engine evaluates rules together.
type Engine struct {
	opts    Options
	mu      sync.Mutex
	entries []*entry
	evals   []Evaluation
}

// New returns an engine with no rules.
func New(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NoDataAfter <= 0 {
		opts.NoDataAfter = 1
	}
	return &Engine{opts: opts}
}

// Add adds a rule with its no-data policy.
func (e *Engine) Add(r Rule, p Policy) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries = append(e.entries, &entry{rule: r, policy: p, counts: map[Verdict]int{}})
}

// Len is the number of rules.
func (e *Engine) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.entries)
}

// Evaluate measures every rule at once (sources may do I/O), judges the
// measurements in rule order and returns the first rule that fired, if
// any, with this round's evaluations.
func (e *Engine) Evaluate(ctx context.Context) (*Firing, []Evaluation) {
	e.mu.Lock()
	entries := append([]*entry(nil), e.entries...)
	e.mu.Unlock()
	now := e.opts.Now()
	ms := make([]Measurement, len(entries))
	var wg sync.WaitGroup
	for i, en := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ms[i] = en.rule.Measure(ctx, now)
		}()
	}
	wg.Wait()

	e.mu.Lock()
	defer e.mu.Unlock()
	var fired *Firing
	round := make([]Evaluation, 0, len(entries))
	for i, en := range entries {
		ev, f := e.judge(en, ms[i], now)
		round = append(round, ev)
		if f != nil && fired == nil {
			fired = f
		}
	}
	e.evals = append(e.evals, round...)
	return fired, round
}

// judge updates one rule's streaks with a measurement.
func (e *Engine) judge(en *entry, m Measurement, now time.Time) (Evaluation, *Firing) {
	r := en.rule
	ev := Evaluation{Time: now, Rule: r.Name(), Value: m.Value, HasData: m.HasData, Threshold: r.Threshold(), Evidence: m.Evidence}
	if !en.lastTime.IsZero() && en.last != nil && en.last.Verdict == NoData {
		en.noDataTime += now.Sub(en.lastTime)
	}
	en.lastTime = now
	var fired *Firing
	switch {
	case !m.HasData:
		ev.Verdict = NoData
		if en.policy == IgnoreNoData {
			break // recorded, not counted: the failing streak neither grows nor breaks
		}
		// Counted as failing: it fires after NoDataAfter of them in a row,
		// or as a failing evaluation would, so data that comes and goes
		// between failures never resets the count.
		en.noData = extend(en.noData, now)
		en.failing = extend(en.failing, now)
		switch {
		case en.noData.Count >= e.opts.NoDataAfter:
			fired = &Firing{Rule: r.Name(), Threshold: r.Threshold(), At: now, Streak: en.noData, NoData: true, Evidence: m.Evidence}
		case en.failing.Count > en.noData.Count && r.Fires(en.failing, now):
			fired = &Firing{Rule: r.Name(), Threshold: r.Threshold(), At: now, Streak: en.failing, Evidence: m.Evidence}
		}
	case m.Failing:
		ev.Verdict = Failing
		en.noData = Streak{}
		en.failing = extend(en.failing, now)
		if r.Fires(en.failing, now) {
			fired = &Firing{Rule: r.Name(), Threshold: r.Threshold(), At: now, Streak: en.failing, Value: m.Value, Evidence: m.Evidence}
		}
	default:
		ev.Verdict = OK
		en.failing, en.noData = Streak{}, Streak{}
	}
	if fired != nil {
		ev.Verdict = Fired
	}
	en.counts[ev.Verdict]++
	en.last = &ev
	return ev, fired
}

func extend(s Streak, now time.Time) Streak {
	if s.Count == 0 {
		s.Since = now
	}
	s.Count++
	return s
}

// Evaluations returns every evaluation so far, in order.
func (e *Engine) Evaluations() []Evaluation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Evaluation(nil), e.evals...)
}

// Summary is one rule's row in the summary table.
type Summary struct {
	Rule      string
	Threshold string
	Policy    Policy
	// Last is the last evaluation; nil when the rule was never evaluated.
	Last *Evaluation
	// Counts are the evaluations by verdict.
	Counts map[Verdict]int
	// NoDataFor adds up the time the rule had no data.
	NoDataFor time.Duration
}

// Evaluated is the number of evaluations.
func (s Summary) Evaluated() int {
	n := 0
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Summaries returns a row per rule, in the order they were added.
func (e *Engine) Summaries() []Summary {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Summary, 0, len(e.entries))
	for _, en := range e.entries {
		s := Summary{Rule: en.rule.Name(), Threshold: en.rule.Threshold(), Policy: en.policy, Counts: map[Verdict]int{}, NoDataFor: en.noDataTime}
		for v, c := range en.counts {
			s.Counts[v] = c
		}
		if en.last != nil {
			last := *en.last
			s.Last = &last
		}
		out = append(out, s)
	}
	return out
}

// AfterCount fires after n failing evaluations in a row.
func AfterCount(n int) func(Streak, time.Time) bool {
	return func(s Streak, _ time.Time) bool { return s.Count >= n }
}
