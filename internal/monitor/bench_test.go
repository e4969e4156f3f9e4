package monitor

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
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
