package parity

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionScore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sandbox, production string
		want                float64
		words               string
	}{
		{"v1.33.13", "v1.33.13", 100, ""},
		{"v1.33.13", "v1.33.4+gke.100", 90, ", another patch release of the same minor version"},
		{"v1.33.0", "v1.32.5", 60, ", 1 minor version(s) apart (the sandbox is newer)"},
		{"v1.31.0", "v1.33.5", 30, ", 2 minor version(s) apart (production is newer)"},
		{"v1.30.0", "v1.33.5", 0, ", 3 minor version(s) apart (production is newer)"},
		{"v1.33.0", "not-a-version", 0, ""},
	} {
		t.Run(tc.sandbox+" "+tc.production, func(t *testing.T) {
			t.Parallel()
			if got := VersionScore(tc.sandbox, tc.production); got != tc.want {
				t.Errorf("VersionScore = %v, want %v", got, tc.want)
			}
			if got := skewWords(tc.sandbox, tc.production); got != tc.words {
				t.Errorf("skewWords = %q, want %q", got, tc.words)
			}
		})
	}
}

// snap is a snapshot with the given items per dimension and every other
// dimension empty.
func snap(version string, items map[string][]Item) Snapshot {
	s := Snapshot{ServerVersion: version, Items: map[string][]Item{Version: {{Key: "server version", Value: version}}}, Unreadable: map[string]string{}}
	for k, v := range items {
		s.Items[k] = v
	}
	return s
}

func TestCompare(t *testing.T) {
	t.Parallel()
	crdV1 := []Item{{Key: "widgets.example.com", Value: "Namespaced, serves v1"}}
	crdBoth := []Item{{Key: "widgets.example.com", Value: "Namespaced, serves v1, v1beta1"}}
	for _, tc := range []struct {
		name                string
		sandbox, production Snapshot
		wantOverall         float64
		wantDiffs           []string
	}{
		{name: "alike", sandbox: snap("v1.33.1", nil), production: snap("v1.33.1", nil), wantOverall: 100},
		{
			// version 60 of weight 2 of 16: 100 - 40*2/16 = 95.
			name: "one minor version apart", sandbox: snap("v1.33.1", nil), production: snap("v1.32.9", nil), wantOverall: 95,
			wantDiffs: []string{"production runs v1.32.9, the sandbox v1.33.1, 1 minor version(s) apart (the sandbox is newer)"},
		},
		{
			// crds 0 of weight 2 of 16: 87.5.
			name:    "a CRD serving other versions",
			sandbox: snap("v1.33.1", map[string][]Item{CRDs: crdV1}), production: snap("v1.33.1", map[string][]Item{CRDs: crdBoth}),
			wantOverall: 87.5,
			wantDiffs:   []string{"widgets.example.com: production has Namespaced, serves v1, v1beta1, the sandbox Namespaced, serves v1"},
		},
		{
			name:        "an unreadable dimension scores 0",
			sandbox:     snap("v1.33.1", nil),
			production:  func() Snapshot { s := snap("v1.33.1", nil); s.Unreadable[Nodes] = "forbidden"; return s }(),
			wantOverall: 93.8,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := Compare(tc.sandbox, tc.production)
			if rep.Overall != tc.wantOverall {
				t.Errorf("overall = %v, want %v", rep.Overall, tc.wantOverall)
			}
			var got []string
			for _, d := range rep.Differences() {
				got = append(got, d.Message())
			}
			if diff := cmp.Diff(tc.wantDiffs, got); diff != "" {
				t.Errorf("differences (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChecksMinimum(t *testing.T) {
	t.Parallel()
	rep := Compare(snap("v1.33.1", map[string][]Item{Webhooks: {{Key: "validating webhook x", Value: "failurePolicy Fail"}}}), snap("v1.33.1", nil))
	for _, tc := range []struct {
		min      float64
		wantFail bool
	}{{0.875, false}, {0.9, true}} {
		checks := rep.Checks(tc.min)
		last := checks[len(checks)-1]
		if last.Name != CheckMinimum || last.Failed() != tc.wantFail {
			t.Errorf("min %v: %s failed = %v, want %v", tc.min, last.Name, last.Failed(), tc.wantFail)
		}
		if tc.wantFail && !strings.Contains(last.Findings[0].Message, "87.5% similar to production, below the minimum of 90% (sandbox.parity.min): below 100: webhooks 0%") {
			t.Errorf("minimum's message: %s", last.Findings[0].Message)
		}
		if len(checks) != len(Dimensions)+1 {
			t.Errorf("%d checks, want one per dimension and the minimum", len(checks))
		}
	}
}
