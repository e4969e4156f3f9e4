package monitor

import (
	"sync"
	"time"
)

// A lane is one thing with a state over time: an interval is recorded per
// state, from the change into it to the change out of it.
type lane struct{ source, locator string }

// state is what a lane is in. Two states are the same state when their ids
// are; the message is the one seen first.
type state struct {
	lane
	id      string
	level   Level
	message string
}

type openState struct {
	state
	from time.Time
}

// tracker turns observed states into intervals. Each observation of an
// object gives all the states of its lanes worth recording; a lane of the
// object not among them has ended.
type tracker struct {
	rec *Recorder
	now func() time.Time

	mu     sync.Mutex
	open   map[string]map[lane]openState // object → its open lanes
	closed bool
}

func newTracker(rec *Recorder, now func() time.Time) *tracker {
	return &tracker{rec: rec, now: now, open: map[string]map[lane]openState{}}
}

// observe records that object is in states now: a lane whose state id
// changed ends its interval and starts another; a lane not in states ends.
func (t *tracker) observe(object string, states []state) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || object == "" {
		return
	}
	now := t.now()
	cur := t.open[object]
	next := make(map[lane]openState, len(states))
	for _, s := range states {
		if o, ok := cur[s.lane]; ok && o.id == s.id {
			next[s.lane] = o
			continue
		}
		next[s.lane] = openState{state: s, from: now}
	}
	for l, o := range cur {
		if n, ok := next[l]; !ok || n.id != o.id {
			t.rec.Record(o.interval(now))
		}
	}
	if len(next) == 0 {
		delete(t.open, object)
		return
	}
	t.open[object] = next
}

// instant records an event at now, e.g. a container restart.
func (t *tracker) instant(s state) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	now := t.now()
	t.rec.Record(Interval{From: now, To: now, Level: s.level, Source: s.source, Locator: s.locator, Message: s.message})
}

// closeAll ends every open lane at stop; later observations are ignored.
func (t *tracker) closeAll(stop time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for _, lanes := range t.open {
		for _, o := range lanes {
			t.rec.Record(o.interval(stop))
		}
	}
	t.open = nil
}

func (o openState) interval(to time.Time) Interval {
	return Interval{From: o.from, To: to, Level: o.level, Source: o.source, Locator: o.locator, Message: o.message}
}
