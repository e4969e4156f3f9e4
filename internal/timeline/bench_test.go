package timeline

import (
	"fmt"
	"io"
	"testing"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/monitor"
)

// BenchmarkWatchedWindow turns the intervals of a long watched window (1,000
// to 100,000: a disruption sampler's outages, conditions and readiness of
// hundreds of pods) into checks and the HTML timeline.
func BenchmarkWatchedWindow(b *testing.B) {
	cfg := config.Disruption{Endpoints: []config.DisruptionEndpoint{{Name: "web"}}}
	for _, n := range []int{1_000, 10_000, 100_000} {
		intervals := generated(n, 17)
		b.Run(fmt.Sprintf("intervals=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if checks := monitor.Evaluate(intervals, cfg); len(checks) == 0 {
					b.Fatal("no checks")
				}
				if err := Write(io.Discard, "watched window", intervals, WithGenerated(fixed)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
