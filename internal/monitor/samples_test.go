package monitor

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSamplesSince: Samples returns what a read of every sample returns,
// in answer order, when slow answers arrive after later samples'.
func TestSamplesSince(t *testing.T) {
	t.Parallel()
	at := func(ms int) time.Time {
		return time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	}
	for _, tc := range []struct {
		name string
		sent []int // send times in ms, in answer order
	}{
		{"none", nil},
		{"in order", []int{0, 100, 200, 300, 400}},
		{"a slow answer", []int{0, 200, 300, 100, 400, 500}},
		{"the first answered last", []int{100, 200, 300, 400, 0}},
		{"same times", []int{100, 100, 0, 100, 200, 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &Disruption{timeout: time.Second}
			var all []Sample
			for i, ms := range tc.sent {
				s := Sample{Sent: at(ms), Status: 200 + i}
				d.add(s)
				all = append(all, s)
			}
			for since := -100; since <= 600; since += 50 {
				var want []Sample
				for _, s := range all {
					if !s.Sent.Before(at(since)) {
						want = append(want, s)
					}
				}
				if diff := cmp.Diff(want, d.Samples(at(since))); diff != "" {
					t.Errorf("Samples(%dms) (-every sample read +got):\n%s", since, diff)
				}
			}
			if got := len(d.Samples(time.Time{})); got != len(all) {
				t.Errorf("Samples(zero time) = %d samples, want all %d", got, len(all))
			}
		})
	}
}
