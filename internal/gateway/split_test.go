package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func counts(old, new, unnamed int) Counts {
	c := Counts{Total: old + new + unnamed, Unnamed: unnamed, ByVersion: map[string]int{}, Failed: map[string]int{}}
	if old > 0 {
		c.ByVersion["v1"] = old
	}
	if new > 0 {
		c.ByVersion["v2"] = new
	}
	return c
}

func TestJudge(t *testing.T) {
	t.Parallel()
	five := 0.05
	tests := []struct {
		name string
		c    Counts
		want Want
		ok   bool
		why  string
	}{
		{name: "exact 90/10", c: counts(180, 20, 0), want: Want{Old: "v1", Percent: 10}, ok: true},
		{name: "within the binomial bound", c: counts(170, 30, 0), want: Want{Old: "v1", Percent: 10}, ok: true},
		{name: "none of the new revision at 10%", c: counts(200, 0, 0), want: Want{Old: "v1", Percent: 10}, why: "the new revision's share is 0.0%, 10.0 points from its weight 10%"},
		{name: "the seed's bar: at 90:10 more than 5 to 1", c: counts(166, 34, 0), want: Want{Old: "v1", Percent: 10, Tolerance: &five}, why: "the new revision's share is 17.0%"},
		{name: "the seed's bar alone", c: counts(165, 35, 0), want: Want{Old: "v1", Percent: 10, Tolerance: ptr(0.1)}, why: "the larger side answered 165 to 35, not more than 5 to 1"},
		{name: "a fraction of a percent: 1 pod of 3", c: counts(140, 60, 0), want: Want{Old: "v1", Percent: 100.0 / 3}, ok: true},
		{name: "a fraction of a percent, missed", c: counts(180, 20, 0), want: Want{Old: "v1", Percent: 100.0 / 3}, why: "the new revision's share is 10.0%, 23.3 points from its weight 33.3% (allowed: 13.3)"},
		{name: "a weight of 0 allows no new answer", c: counts(199, 1, 0), want: Want{Old: "v1", Percent: 0}, why: "1 of 200 answers came from a revision other than the live one"},
		{name: "a weight of 100 allows no old answer", c: counts(1, 199, 0), want: Want{Old: "v1", Percent: 100}, why: "1 of 200 answers still came from the old revision"},
		{name: "all new at 100", c: counts(0, 200, 0), want: Want{Old: "v1", Percent: 100}, ok: true},
		{name: "an answer naming no version", c: counts(180, 19, 1), want: Want{Old: "v1", Percent: 10}, why: "1 of 200 answers named no version"},
		{name: "one version when none is known", c: counts(200, 0, 0), want: Want{}, ok: true},
		{name: "two versions when one has all the weight", c: counts(100, 100, 0), want: Want{}, why: "the answers name 2 versions"},
		{name: "the restored version named", c: counts(200, 0, 0), want: Want{New: "v1", Percent: 100}, ok: true},
		{name: "50/50", c: counts(95, 105, 0), want: Want{Old: "v1", Percent: 50}, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := Judge(tc.c, tc.want)
			if v.OK != tc.ok || !strings.Contains(v.Why, tc.why) {
				t.Errorf("Judge() = %+v, want ok %v and why containing %q", v, tc.ok, tc.why)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// wrr answers like a weighted round robin over two versions: every
// tenth request is v2 while split is on.
type wrr struct {
	mu    sync.Mutex
	n     int
	split bool
}

func (w *wrr) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	w.n++
	v := "v1"
	if w.split && w.n%10 == 0 {
		v = "v2"
	}
	w.mu.Unlock()
	rw.Header().Set("X-Version", v)
	rw.Header().Set("Content-Type", "application/json")
	_, _ = rw.Write([]byte(`{"version":"` + v + `"}`))
}

func TestFollow(t *testing.T) {
	t.Parallel()
	h := &wrr{}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := &Probe{URL: srv.URL, Header: "X-Version"}
	m, err := p.Follow(t.Context(), 100, Want{}, 10*time.Second)
	if err != nil || m.Counts.ByVersion["v1"] != 100 {
		t.Fatalf("Follow(one version) = %+v, %v", m, err)
	}
	h.mu.Lock()
	h.split = true
	h.mu.Unlock()
	j := &Probe{URL: srv.URL, JSON: "version"}
	m, err = j.Follow(t.Context(), 200, Want{Old: "v1", Percent: 10}, 10*time.Second)
	// Every tenth request the server answers is v2; four requests in flight
	// may finish out of order, so 200 answers in a row hold 19 to 21.
	if v2 := m.Counts.ByVersion["v2"]; err != nil || v2 < 19 || v2 > 21 {
		t.Fatalf("Follow(10%%) = %+v, %v", m.Counts, err)
	}
	_, err = p.Follow(t.Context(), 50, Want{Old: "v1", Percent: 50}, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not follow 50% within 300ms") {
		t.Errorf("Follow(50%%) against a 90/10 split = %v", err)
	}
}

func TestFollowNeverLeavesTheURL(t *testing.T) {
	t.Parallel()
	elsewhere := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		t.Errorf("a redirect was followed to %s", r.URL)
	}))
	t.Cleanup(elsewhere.Close)
	srv := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusFound))
	t.Cleanup(srv.Close)
	p := &Probe{URL: srv.URL, Header: "X-Version"}
	_, err := p.Follow(t.Context(), 20, Want{}, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "20 naming no version") {
		t.Errorf("Follow() through a redirect = %v", err)
	}
}
