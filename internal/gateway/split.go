package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Probe sends requests through a route's public address and reads which
// revision answered each: a response header or a top-level JSON field.
type Probe struct {
	// URL is where the requests go. Redirects are not followed: every
	// request goes to URL and nowhere else.
	URL string
	// Header names the revision in a response; JSON is a top-level field
	// of a JSON answer that does, when Header is empty.
	Header, JSON string
	// Concurrency is how many requests are in flight; 4 when zero.
	Concurrency int
	// Timeout bounds one request; 5s when zero.
	Timeout time.Duration
	// Client sends the requests; a client of its own when nil.
	Client *http.Client
}

// Answer is one request through the route.
type Answer struct {
	Sent    time.Time
	Took    time.Duration
	Status  int
	Version string
	Err     string
}

// named reports whether the answer says which revision gave it.
func (a Answer) named() bool { return a.Err == "" && a.Version != "" }

// client is p's HTTP client, never following a redirect.
func (p *Probe) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(p.Concurrency, 4)
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// one sends one request.
func (p *Probe) one(ctx context.Context, c *http.Client) Answer {
	a := Answer{Sent: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, cmpOr(p.Timeout, 5*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		a.Err = err.Error()
		return a
	}
	resp, err := c.Do(req)
	if err != nil {
		a.Took, a.Err = time.Since(a.Sent), err.Error()
		return a
	}
	defer resp.Body.Close()
	a.Status = resp.StatusCode
	if p.Header != "" {
		a.Version = resp.Header.Get(p.Header)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	} else {
		var body map[string]any
		if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body) == nil {
			if v, ok := body[p.JSON]; ok && v != nil {
				a.Version = fmt.Sprint(v)
			}
		}
	}
	a.Took = time.Since(a.Sent)
	return a
}

// Want is the split a measurement is judged against.
type Want struct {
	// Old is the version the live revision answers with; New the new
	// revision's, when known (an answer with neither counts as New when
	// New is empty).
	Old, New string
	// Percent is the new revision's weight, 0 to 100 (a fraction of a
	// percent when the weights are pod counts, e.g. 33.3 for 1 of 3).
	Percent float64
	// Tolerance, when set, is the allowed distance of the new revision's
	// share from Percent, as a fraction; else the binomial bound.
	Tolerance *float64
}

// Counts tallies a measurement's answers.
type Counts struct {
	// Total is every answer counted; Unnamed those that named no version
	// (or failed before an answer).
	Total, Unnamed int
	// ByVersion counts named answers by version.
	ByVersion map[string]int
	// Failed counts answers with a status of 500 or more by version
	// ("" for those without one, or without an answer).
	Failed map[string]int
}

// String writes the counts, e.g. "180 v1, 20 v2 of 200 (3 failed: 3 v2)".
func (c Counts) String() string {
	var parts []string
	for _, v := range sortedKeys(c.ByVersion) {
		parts = append(parts, fmt.Sprintf("%d %s", c.ByVersion[v], v))
	}
	if c.Unnamed > 0 {
		parts = append(parts, fmt.Sprintf("%d naming no version", c.Unnamed))
	}
	s := strings.Join(parts, ", ") + fmt.Sprintf(" of %d", c.Total)
	failed := 0
	var fp []string
	for _, v := range sortedKeys(c.Failed) {
		failed += c.Failed[v]
		name := v
		if name == "" {
			name = "no version"
		}
		fp = append(fp, fmt.Sprintf("%d %s", c.Failed[v], name))
	}
	if failed > 0 {
		s += fmt.Sprintf(" (%d failed: %s)", failed, strings.Join(fp, ", "))
	}
	return s
}

func count(answers []Answer) Counts {
	c := Counts{ByVersion: map[string]int{}, Failed: map[string]int{}}
	for _, a := range answers {
		c.Total++
		if a.named() {
			c.ByVersion[a.Version]++
		} else {
			c.Unnamed++
		}
		if a.Err != "" || a.Status >= 500 {
			c.Failed[a.Version]++
		}
	}
	return c
}

// Verdict is a measurement judged.
type Verdict struct {
	OK bool
	// Share is the new revision's observed share of the named answers.
	Share float64
	// Bound is the allowed distance from the weight.
	Bound float64
	// Why says what did not match; empty when OK.
	Why string
}

// Judge compares counts with want. Every answer must name a version. At
// a weight of 0 (or 100) every answer must be the old (or new) revision's.
// In between, the new revision's share must be within the tolerance of
// the weight — four binomial standard deviations unless set — and the
// larger side's answers must outnumber the smaller's by more than half
// way from 1 to the weights' ratio (at 90:10, more than 5 to 1).
func Judge(c Counts, want Want) Verdict {
	n := c.Total - c.Unnamed
	newCount := 0
	for v, k := range c.ByVersion {
		if isNew(v, want) {
			newCount += k
		}
	}
	w := want.Percent / 100
	v := Verdict{}
	if n > 0 {
		v.Share = float64(newCount) / float64(n)
	}
	switch {
	case c.Total == 0:
		v.Why = "no answer yet"
		return v
	case c.Unnamed > 0:
		v.Why = fmt.Sprintf("%d of %d answers named no version (failed, or not the app's)", c.Unnamed, c.Total)
		return v
	case want.Old == "" && want.New == "":
		// One revision has all the weight and its version is not known
		// yet: every answer must name the same one.
		v.OK = len(c.ByVersion) == 1
		if !v.OK {
			v.Why = fmt.Sprintf("the answers name %d versions (%s) while one revision has all the weight", len(c.ByVersion), c)
		}
		return v
	case want.Percent == 0 && newCount > 0:
		v.Why = fmt.Sprintf("%d of %d answers came from a revision other than the live one (%s) at a weight of 0", newCount, n, want.Old)
		return v
	case want.Percent == 100 && newCount < n:
		v.Why = fmt.Sprintf("%d of %d answers still came from the old revision (%s) at a weight of 100", n-newCount, n, want.Old)
		return v
	case want.Percent == 0 || want.Percent == 100:
		v.OK = true
		return v
	}
	v.Bound = 4 * math.Sqrt(w*(1-w)/float64(n))
	if want.Tolerance != nil {
		v.Bound = *want.Tolerance
	}
	if d := math.Abs(v.Share - w); d > v.Bound+1e-12 {
		v.Why = fmt.Sprintf("the new revision's share is %.1f%%, %.1f points from its weight %s%% (allowed: %.1f)", 100*v.Share, 100*d, pctText(want.Percent), 100*v.Bound)
		return v
	}
	big, small := n-newCount, newCount // the old side should be the larger
	ratio := (1 - w) / w
	if w > 0.5 {
		big, small, ratio = newCount, n-newCount, w/(1-w)
	}
	if ratio > 1 {
		bar := (ratio + 1) / 2
		if small > 0 && float64(big)/float64(small) <= bar {
			v.Why = fmt.Sprintf("the larger side answered %d to %d, not more than %.3g to 1 (the weights' ratio is %.3g to 1)", big, small, bar, ratio)
			return v
		}
	}
	v.OK = true
	return v
}

func isNew(version string, want Want) bool {
	if want.New != "" {
		return version == want.New
	}
	return version != want.Old
}

// Measurement is a split measured until it matched, or the last window
// measured when it did not.
type Measurement struct {
	Counts  Counts
	Verdict Verdict
	// Sent is how many requests were sent in all.
	Sent int
	// At is when the matching window's last answer came.
	At time.Time
}

// Follow sends requests until the last n answers match want (see Judge)
// or timeout passes; the error then says how the last window missed.
func (p *Probe) Follow(parent context.Context, n int, want Want, timeout time.Duration) (Measurement, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	c := p.client()
	var (
		mu      sync.Mutex
		window  []Answer
		m       Measurement
		matched bool
		wg      sync.WaitGroup
	)
	for range cmpOr(p.Concurrency, 4) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				a := p.one(ctx, c)
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				m.Sent++
				window = append(window, a)
				if len(window) > n {
					window = window[len(window)-n:]
				}
				if len(window) == n && !matched {
					m.Counts = count(window)
					m.Verdict = Judge(m.Counts, want)
					if m.Verdict.OK {
						matched, m.At = true, time.Now()
						cancel()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if matched {
		return m, nil
	}
	if len(window) < n {
		m.Counts = count(window)
		m.Verdict = Judge(m.Counts, want)
		m.Verdict.OK = false
		m.Verdict.Why = fmt.Sprintf("only %d of the %d answers a measurement needs came within %s", len(window), n, timeout)
	}
	if parent.Err() != nil {
		return m, fmt.Errorf("measure the split through %s: %w", p.URL, parent.Err())
	}
	return m, fmt.Errorf("the split through %s did not follow %s%% within %s: the last %d answers: %s; %s", p.URL, pctText(want.Percent), timeout, m.Counts.Total, m.Counts, m.Verdict.Why)
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// pctText writes a weight as a percentage without needless decimals: 10,
// 33.3.
func pctText(pct float64) string { return strconv.FormatFloat(math.Round(pct*10)/10, 'f', -1, 64) }
