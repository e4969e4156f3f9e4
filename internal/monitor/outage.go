package monitor

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Outage is a run of failed samples: from the first failed sample's send
// time to the send time of the first successful sample after it, or to
// the stop when none succeeded.
type Outage struct {
	From, To time.Time
	// Failed is how many samples failed in it.
	Failed int
	// FirstError is why the first of them failed.
	FirstError string
}

// Outages finds the outages in samples (in any order); an outage still
// open at stop ends there. Samples sent after stop are ignored.
func Outages(samples []Sample, stop time.Time) []Outage {
	// The samples are read in the order they were sent, through their
	// positions: the samples of a long window are not copied or moved.
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		if c := samples[i].Sent.Compare(samples[j].Sent); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	var out []Outage
	var cur *Outage
	for _, i := range order {
		s := &samples[i]
		switch {
		case s.Sent.After(stop):
		case !s.OK() && cur == nil:
			cur = &Outage{From: s.Sent, Failed: 1, FirstError: s.Err}
		case !s.OK():
			cur.Failed++
		case cur != nil:
			cur.To = s.Sent
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		cur.To = stop
		out = append(out, *cur)
	}
	return out
}

// DisruptionSummary sums up one backend of one endpoint.
type DisruptionSummary struct {
	// Endpoint is the endpoint's stable name.
	Endpoint   string     `json:"endpoint"`
	Connection Connection `json:"connection"`
	Locator    string     `json:"locator"`
	// Rate is the configured samples per second.
	Rate float64 `json:"rate"`
	// Samples and Failed count the samples sent and those that failed.
	Samples int `json:"samples"`
	Failed  int `json:"failed"`
	Outages int `json:"outages"`
	// Window is how long the backend was sampled.
	Window time.Duration `json:"window"`
	// Disruption is the outages' total duration.
	Disruption time.Duration `json:"disruption"`
}

// Summary sums up what the sampler saw; complete once Run has returned.
func (d *Disruption) Summary() DisruptionSummary {
	d.mu.Lock()
	defer d.mu.Unlock()
	to := d.to
	if to.IsZero() {
		to = time.Now()
	}
	s, _ := d.summary(to)
	return s
}

// summary sums up the samples up to to and returns their outages; call
// with mu held.
func (d *Disruption) summary(to time.Time) (DisruptionSummary, []Outage) {
	s := DisruptionSummary{Endpoint: d.target.Name, Connection: d.conn, Locator: d.Locator(), Rate: d.rate, Samples: len(d.samples)}
	if !d.from.IsZero() {
		s.Window = to.Sub(d.from)
	}
	for _, sm := range d.samples {
		if !sm.OK() {
			s.Failed++
		}
	}
	outages := Outages(d.samples, to)
	for _, o := range outages {
		s.Outages++
		s.Disruption += o.To.Sub(o.From)
	}
	return s, outages
}

// intervals are the outages (Error) and the sampling window (Info); call
// with the run over.
func (d *Disruption) intervals() []Interval {
	d.mu.Lock()
	defer d.mu.Unlock()
	sum, outages := d.summary(d.to)
	var out []Interval
	for _, o := range outages {
		out = append(out, Interval{
			From: o.From, To: o.To, Level: Error, Source: SourceDisruption, Locator: sum.Locator,
			Message: fmt.Sprintf("%s unreachable over %s for %v: %d %s failed; first error: %s",
				d.target.Name, d.conn, o.To.Sub(o.From).Round(time.Millisecond), o.Failed, plural(o.Failed, "sample"), o.FirstError),
		})
	}
	out = append(out, Interval{
		From: d.from, To: d.to, Level: Info, Source: SourceDisruption, Locator: sum.Locator,
		Message: fmt.Sprintf("%s over %s: %d %s at %v/s, %d failed in %d %s; disruption %v",
			d.target.Name, d.conn, sum.Samples, plural(sum.Samples, "sample"), sum.Rate, sum.Failed,
			sum.Outages, plural(sum.Outages, "outage"), sum.Disruption.Round(time.Millisecond)),
	})
	return out
}

// plural is word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
