package httpcheck

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// TestEvidenceGolden fixes how observations, outcomes and samples read in
// a failure's message.
func TestEvidenceGolden(t *testing.T) {
	t.Parallel()
	svc := Observation{
		Method: "GET", Target: "service/shop/web:http/healthz", Object: "Service/shop/web",
		Status: 500, Latency: 12345 * time.Microsecond,
		Body: []byte(`{"version":"v1","pod":"web-1","path":"/healthz","error":"injected failure (FAIL_RATE=1)"}` + "\n"),
	}
	refused := Observation{Method: "POST", Target: "https://shop.example.com/cart", Latency: 870 * time.Microsecond, Err: errors.New("dial tcp 127.0.0.1:9: connect: connection refused")}
	sections := []string{
		svc.Evidence(),
		refused.Evidence(),
		Outcome{Last: svc, Problems: []string{"status 500 Internal Server Error, want 200"}, Attempts: 7, Elapsed: 60*time.Second + 300*time.Millisecond}.Summary(),
		Outcome{Last: svc, Attempts: 1, Elapsed: 4 * time.Millisecond}.Summary(),
		Stats{Requests: 20, Responses: 20, Errors: 1, P50: 2 * time.Millisecond, P95: 704 * time.Millisecond, P99: 713 * time.Millisecond, Max: 713 * time.Millisecond}.String(),
		Stats{Requests: 5, Errors: 5}.String(),
		Stats{Requests: 3, Responses: 3, P50: 900 * time.Nanosecond, P95: 1500 * time.Nanosecond, P99: 1500 * time.Nanosecond, Max: 1500 * time.Nanosecond}.String(),
		FormatRate(0.015) + " " + FormatRate(1) + " " + FormatRate(0) + " " + FormatRate(1.0/3),
	}
	golden(t, "evidence.txt", strings.Join(sections, "\n---\n")+"\n")
}
