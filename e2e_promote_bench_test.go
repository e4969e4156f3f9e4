package main_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/podnet"
	"github.com/shipgate/shipgate/internal/rules"
	"github.com/shipgate/shipgate/internal/stage/promote"
)

// BenchmarkPromoteRollback promotes v2 over v1 on a real control plane
// with a pod network, makes v2 fail every request once production is on
// it, and measures from the timeline: the evaluation that fired (5
// consecutive failed checks at 100 ms) to the first sampled answer of v1
// (trigger → traffic back), and the fault to that answer (fault → traffic
// back).
func BenchmarkPromoteRollback(b *testing.B) {
	g, srv, kubeconfig := existingCluster(b)
	var trigger, fault []time.Duration
	for i := range b.N {
		a := newPromoteApp(b, g, srv, kubeconfig, fmt.Sprintf("bench-rb-%d", i), "60s", 5, ", error-rate: 100%, p95: 10s")
		a.live("v1")
		var faultAt time.Time
		ctx, cancel := context.WithCancel(context.Background())
		go a.whenSwitched(ctx, 2, func() {
			faultAt = time.Now()
			a.turnBad(2, podnet.Behavior{Version: "v2", FailRate: 1})
		})
		s := a.promote("v2")
		cancel()
		if s.code != 1 {
			b.Fatalf("v2: exit %d, want 1 (rolled back)\n%s", s.code, s.log)
		}
		fired, back := timelineMarks(b, filepath.Join(s.ws, s.outputs["intervals-path"]))
		trigger = append(trigger, back.Sub(fired))
		fault = append(fault, back.Sub(faultAt))
	}
	b.ReportMetric(ms(median(trigger)), "ms-trigger-to-traffic-back")
	b.ReportMetric(ms(median(fault)), "ms-fault-to-traffic-back")
}

// BenchmarkPromoteBlueGreen is a whole blue-green promotion of a
// 3-replica app with no watched window, and where its time goes.
func BenchmarkPromoteBlueGreen(b *testing.B) {
	g, srv, kubeconfig := existingCluster(b)
	steps := map[string]time.Duration{}
	var total time.Duration
	for i := range b.N {
		a := newPromoteApp(b, g, srv, kubeconfig, fmt.Sprintf("bench-bg-%d", i), "0s", 5, "")
		three := func(s string) string { return strings.Replace(s, "replicas: 2", "replicas: 3", 1) }
		if s := a.promote("v1", three); s.code != 0 {
			b.Fatalf("v1: exit %d\n%s", s.code, s.log)
		}
		began := time.Now()
		s := a.promote("v2", three)
		total += time.Since(began)
		if s.code != 0 {
			b.Fatalf("v2: exit %d\n%s", s.code, s.log)
		}
		for name, c := range readJUnit(b, s) {
			steps[name] += time.Duration(c.Time * float64(time.Second))
		}
	}
	b.ReportMetric(ms(total)/float64(b.N), "ms-per-promotion")
	for _, name := range []string{promote.CheckManifests, promote.CheckAccess, promote.CheckLock, promote.CheckDeploy, promote.CheckPreview, promote.CheckSwitch, promote.CheckScaleDown} {
		b.ReportMetric(ms(steps[name])/float64(b.N), "ms-"+strings.ReplaceAll(name, "/", "-"))
	}
}

// timelineMarks reads the time the rule fired and the first sampled
// answer of the restored revision from a promotion's intervals.
func timelineMarks(b *testing.B, path string) (fired, back time.Time) {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ivs, err := monitor.ReadJSONLines(f)
	if err != nil {
		b.Fatal(err)
	}
	for _, iv := range ivs {
		switch {
		case iv.Source == rules.Source && strings.HasPrefix(iv.Message, string(rules.Fired)) && fired.IsZero():
			fired = iv.From
		case iv.Source == promote.SourcePromote && iv.Locator == "promote/traffic-back":
			back = iv.From
		}
	}
	if fired.IsZero() || back.IsZero() {
		b.Fatalf("%s has no fired rule (%v) or no traffic-back mark (%v)", path, fired, back)
	}
	return fired, back
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
