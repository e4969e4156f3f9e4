package monitor

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// rollout is what a monitor records over a rollout with trouble, on the
// fixed clock.
func rollout() []Interval {
	const web = "ns/shop service/web endpoint/web backend/"
	return []Interval{
		{ms(0), ms(20000), Info, SourceDisruption, web + "new-connections", "web over new-connections: 200 samples at 10/s, 17 failed in 2 outages; disruption 1.7s"},
		{ms(0), ms(20000), Info, SourceDisruption, web + "reused-connections", "web over reused-connections: 200 samples at 10/s, 2 failed in 1 outage; disruption 200ms"},
		{ms(5000), ms(6500), Error, SourceDisruption, web + "new-connections", `web unreachable over new-connections for 1.5s: 15 samples failed; first error: status 503, want 200: "no endpoints available for service \"web\""`},
		{ms(8000), ms(8200), Error, SourceDisruption, web + "new-connections", "web unreachable over new-connections for 200ms: 2 samples failed; first error: connection refused"},
		{ms(5100), ms(5300), Error, SourceDisruption, web + "reused-connections", "web unreachable over reused-connections for 200ms: 2 samples failed; first error: EOF"},
		{ms(0), ms(20000), Info, SourceConditions, "ns/shop watch/deployments", "watched ns/shop watch/deployments"},
		{ms(0), ms(20000), Info, SourceConditions, "ns/shop watch/pods", "watched ns/shop watch/pods"},
		{ms(0), ms(20000), Info, SourceConditions, "watch/nodes", "watched watch/nodes"},
		{ms(0), ms(6000), Info, SourceDeployment, "ns/shop deployment/web condition/Available", "deployment/web Available=True: MinimumReplicasAvailable"},
		{ms(6000), ms(7250), Error, SourceDeployment, "ns/shop deployment/web condition/Available", "deployment/web Available=False: MinimumReplicasUnavailable: Deployment does not have minimum availability."},
		{ms(0), ms(20000), Info, SourceDeployment, "ns/shop deployment/api condition/Available", "deployment/api Available=True: MinimumReplicasAvailable"},
		{ms(4000), ms(5500), Warning, SourcePodReady, "ns/shop pod/web-7d9f-x2x", "pod/web-7d9f-x2x not ready (phase Pending)"},
		{ms(7000), ms(7000), Error, SourcePodRestart, "ns/shop pod/web-7d9f-x2x container/web", "pod/web-7d9f-x2x container web restarted (restart count 1): last exit code 1 (Error)"},
		{ms(9000), ms(12000), Warning, SourceNode, "node/kwok-node-0 condition/DiskPressure", "node/kwok-node-0 DiskPressure=True"},
	}
}

func TestJSONLinesRoundTrip(t *testing.T) {
	t.Parallel()
	in := rollout()
	var buf bytes.Buffer
	if err := WriteJSONLines(&buf, in); err != nil {
		t.Fatal(err)
	}
	golden(t, "rollout.jsonl", buf.Bytes())
	out, err := ReadJSONLines(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-wrote +read):\n%s", diff)
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	endpoints := []config.DisruptionEndpoint{
		{Name: "web", Endpoint: config.Endpoint{Service: "web"}},
		{Endpoint: config.Endpoint{URL: "https://shop.example.com/healthz"}}, // never sampled
	}
	tests := []struct {
		name      string
		intervals []Interval
		cfg       config.Disruption
	}{
		{"rollout", rollout(), config.Disruption{Endpoints: endpoints}},
		{"rollout-within-budget", rollout(), config.Disruption{Endpoints: endpoints, MaxDisruption: 2 * time.Second}},
		{"nothing-recorded", nil, config.Disruption{Endpoints: endpoints[:1]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.MarshalIndent(Evaluate(tt.intervals, tt.cfg), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "evaluate-"+tt.name+".json", append(got, '\n'))
		})
	}
}
