package monitor

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/config"
)

// cpuTime is the process's user plus system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDisruptionSampler sends samples back to back to a loopback
// server and reports the CPU time of 1,000 samples, the server's side
// included (it runs in this process).
func BenchmarkDisruptionSampler(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok v1") }))
	defer srv.Close()
	for _, conn := range Connections {
		b.Run(string(conn), func(b *testing.B) {
			d, err := NewDisruption(Target{Name: "bench", URL: srv.URL, Transport: URLTransport, BodyContains: "v1"}, conn, 10, time.Second)
			if err != nil {
				b.Fatal(err)
			}
			rt, err := URLTransport(conn == NewConnections)
			if err != nil {
				b.Fatal(err)
			}
			client := noRedirects(rt)
			defer client.CloseIdleConnections()
			ctx := b.Context()
			before := cpuTime(b)
			b.ResetTimer()
			for range b.N {
				if s := d.sample(ctx, client); !s.OK() {
					b.Fatalf("sample failed: %s", s.Err)
				}
			}
			b.StopTimer()
			cpu := cpuTime(b) - before
			b.ReportMetric(float64(cpu)/float64(time.Millisecond)*1000/float64(b.N), "cpu-ms/1000-samples")
		})
	}
}

// longWindow is a sampler's record of n samples at 10 per second, in the
// order they were recorded (a slow answer is recorded after later ones):
// one in 97 answers slowly, runs of failed samples make an outage every
// 500.
func longWindow(b *testing.B, n int) *Disruption {
	b.Helper()
	d, err := NewDisruption(Target{Name: "web", URL: "http://127.0.0.1:9", Transport: URLTransport}, NewConnections, 10, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	samples := make([]Sample, 0, n)
	for i := range n {
		s := Sample{Sent: start.Add(time.Duration(i) * 100 * time.Millisecond), Duration: 5 * time.Millisecond, Status: 200}
		if i%500 >= 495 {
			s.Status, s.Err = 0, "connection refused"
		}
		samples = append(samples, s)
		if i%97 == 0 && i >= 3 {
			// answered after the three samples sent after it
			samples[i], samples[i-3] = samples[i-3], samples[i]
		}
	}
	for _, s := range samples {
		d.add(s)
	}
	d.from, d.to = start, start.Add(time.Duration(n)*100*time.Millisecond)
	return d
}

// BenchmarkLongWindow turns the samples of a long watched window (1,000 to
// 100,000 samples of one backend: at 10 per second, 100 s to 2.8 hours)
// into the backend's outages, summary and intervals, and those into checks.
func BenchmarkLongWindow(b *testing.B) {
	cfg := config.Disruption{Endpoints: []config.DisruptionEndpoint{{Name: "web"}}}
	for _, n := range []int{1_000, 10_000, 100_000} {
		d := longWindow(b, n)
		b.Run(fmt.Sprintf("samples=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ivs := d.intervals()
				if want := n/500 + 1; len(ivs) != want {
					b.Fatalf("%d intervals, want %d", len(ivs), want)
				}
				if checks := Evaluate(ivs, cfg); len(checks) == 0 || !checks[0].Failed() {
					b.Fatalf("checks %+v, want the disruption check failing", checks)
				}
			}
		})
	}
}

// BenchmarkWindowEvaluations reads a sampler's recent samples the way the
// promote window's traffic rules do, as a long window goes on: 1,000 to
// 100,000 samples at 10 per second, an evaluation every second reading the
// last minute's. The time per sample stays flat when a read costs what it
// returns, not the whole window so far.
func BenchmarkWindowEvaluations(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		all := longWindow(b, n).samples
		b.Run(fmt.Sprintf("samples=%d", n), func(b *testing.B) {
			for b.Loop() {
				d := &Disruption{timeout: time.Second}
				read := 0
				for i, s := range all {
					d.mu.Lock()
					d.add(s)
					d.mu.Unlock()
					if i%10 == 9 {
						read += len(d.Samples(s.Sent.Add(-time.Minute - d.timeout)))
					}
				}
				if want := n / 10 * 610; read > want || read < want/2 {
					b.Fatalf("read %d samples, want about %d", read, want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sample")
		})
	}
}
