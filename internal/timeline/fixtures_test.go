package timeline

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/shipgate/shipgate/internal/monitor"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fixed is the clock of every golden file and fixture.
var fixed = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// at is seconds after fixed, to the millisecond.
func at(seconds float64) time.Time {
	return fixed.Add(time.Duration(math.Round(seconds*1e3)) * time.Millisecond)
}

func iv(source, locator string, level monitor.Level, from, to float64, msg string) monitor.Interval {
	return monitor.Interval{From: at(from), To: at(to), Level: level, Source: source, Locator: locator, Message: msg}
}

// rollout is a small rollout that went wrong: the new pods were not
// Ready for a while and new connections to the Service failed meanwhile.
// The intervals are deliberately out of lane order.
func rollout() []monitor.Interval {
	const (
		web  = "ns/shop deployment/web"
		newC = "ns/shop service/web backend/new-connections"
		reuC = "ns/shop service/web backend/reused-connections"
		podA = "ns/shop pod/web-7d9f8b6c4-abcde"
		podB = "ns/shop pod/web-7d9f8b6c4-fghij"
	)
	return []monitor.Interval{
		iv("pod-readiness", podB, monitor.Warning, 4.2, 19.8, "pod not Ready: readiness probe failed: HTTP probe failed with statuscode: 503"),
		iv("deployment-condition", web, monitor.Info, 2, 31.5, "Progressing=True ReplicaSetUpdated: ReplicaSet \"web-7d9f8b6c4\" is progressing"),
		iv("disruption", newC, monitor.Error, 11.25, 17.75, "backend unavailable: 37 of 130 requests failed: 500 Internal Server Error"),
		iv("disruption", reuC, monitor.Warning, 12.5, 13.1, "latency above 1s on 3 requests"),
		iv("pod-readiness", podA, monitor.Warning, 3.9, 9.4, "pod not Ready: containers with unready status: [web]"),
		iv("disruption", newC, monitor.Info, 0, 0, "sampling started: GET / every 100ms through the service proxy"),
		iv("deployment-condition", web, monitor.Error, 17.8, 17.8, "ProgressDeadlineExceeded would fire in 12s at this rate"),
		iv("deployment-condition", web, monitor.Info, 31.5, 31.5, "Available=True MinimumReplicasAvailable"),
		iv("node-condition", "node/kwok-node-0", monitor.Info, 0, 35, "Ready=True"),
		iv("disruption", newC, monitor.Error, 23, 24.5, "backend unavailable: 9 of 15 requests failed: connection refused"),
	}
}

// generated is n pseudo-random intervals over about ten minutes in
// roughly n/20 lanes across four sources; the same seed gives the same set.
func generated(n int, seed uint64) []monitor.Interval {
	r := rand.New(rand.NewPCG(seed, seed))
	sources := []string{"pod-readiness", "disruption", "node-condition", "deployment-condition"}
	levels := []monitor.Level{monitor.Info, monitor.Info, monitor.Info, monitor.Warning, monitor.Error}
	lanes := max(1, n/20)
	out := make([]monitor.Interval, 0, n)
	for i := range n {
		// Nanosecond times, so that the page is seen to keep them exactly.
		from := fixed.Add(time.Duration(r.Int64N(int64(600 * time.Second))))
		to := from
		if r.IntN(5) > 0 {
			to = to.Add(time.Duration(r.Int64N(int64(30 * time.Second))))
		}
		out = append(out, monitor.Interval{From: from, To: to, Level: levels[r.IntN(len(levels))],
			Source: sources[r.IntN(len(sources))], Locator: fmt.Sprintf("ns/load pod/p-%03d", r.IntN(lanes)),
			Message: fmt.Sprintf("interval %d", i)})
	}
	return out
}
