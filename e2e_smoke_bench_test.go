package main_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTestJSON writes the go test -json stream of n tests of one package,
// as go test prints it: every thousandth fails with two log lines, every
// 500th is skipped, the rest pass after one log line.
func writeTestJSON(w io.Writer, n int) {
	const pkg = "example.com/big/e2e"
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Format(time.RFC3339Nano)
	out := func(test, s string) {
		fmt.Fprintf(w, `{"Time":%q,"Action":"output","Package":%q,"Test":%q,"Output":%q}`+"\n", at, pkg, test, s)
	}
	fmt.Fprintf(w, `{"Time":%q,"Action":"start","Package":%q}`+"\n", at, pkg)
	for i := range n {
		test := fmt.Sprintf("TestCase%06d", i)
		elapsed := float64(i%97) / 100
		fmt.Fprintf(w, `{"Time":%q,"Action":"run","Package":%q,"Test":%q}`+"\n", at, pkg, test)
		out(test, "=== RUN   "+test+"\n")
		action := "pass"
		switch {
		case i%1000 == 999:
			action = "fail"
			out(test, fmt.Sprintf("    big_test.go:12: GET /item/%d\n", i))
			out(test, "    big_test.go:13: status 500, want 200\n")
		case i%500 == 499:
			action = "skip"
			out(test, "    big_test.go:20: needs a GPU\n")
		default:
			out(test, fmt.Sprintf("    big_test.go:8: GET /item/%d: 200\n", i))
		}
		out(test, fmt.Sprintf("--- %s: %s (%.2fs)\n", map[string]string{"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[action], test, elapsed))
		fmt.Fprintf(w, `{"Time":%q,"Action":%q,"Package":%q,"Test":%q,"Elapsed":%g}`+"\n", at, action, pkg, test, elapsed)
	}
	fmt.Fprintf(w, `{"Time":%q,"Action":"output","Package":%q,"Output":"FAIL\n"}`+"\n", at, pkg)
	fmt.Fprintf(w, `{"Time":%q,"Action":"output","Package":%q,"Output":"FAIL\t%s\t1.234s\n"}`+"\n", at, pkg, pkg)
	fmt.Fprintf(w, `{"Time":%q,"Action":"fail","Package":%q,"Elapsed":1.234}`+"\n", at, pkg)
}

// BenchmarkSmokeCommandBinary runs the built binary on the command line,
// `shipgate smoke --smoke-command "cat out.json"`, where out.json is the go
// test -json stream of 1,000 to 100,000 tests, and reports the time beyond
// the command's own (cat alone, run the same way). A run whose tests fail
// exits 1; its reports are in the workspace's shipgate-report.
func BenchmarkSmokeCommandBinary(b *testing.B) {
	bin := shipgate(b)
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("tests=%d", n), func(b *testing.B) {
			ws := b.TempDir()
			f, err := os.Create(filepath.Join(ws, "out.json"))
			if err != nil {
				b.Fatal(err)
			}
			bw := bufio.NewWriter(f)
			writeTestJSON(bw, n)
			if err := bw.Flush(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			run := func(name string, args ...string) time.Duration {
				cmd := exec.CommandContext(b.Context(), name, args...)
				cmd.Dir, cmd.Env = ws, append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + ws}, offline...)
				cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
				start := time.Now()
				err := cmd.Run()
				took := time.Since(start)
				if code := cmd.ProcessState.ExitCode(); err != nil && code != 1 {
					b.Fatalf("%s: %v", name, err)
				}
				return took
			}
			var beyond time.Duration
			for b.Loop() {
				alone := run("/bin/sh", "-c", "cat out.json")
				beyond += run(bin, "smoke", "--smoke-command", "cat out.json") - alone
			}
			b.ReportMetric(float64(beyond.Milliseconds())/float64(b.N), "ms-beyond-command")
			junit, err := os.ReadFile(filepath.Join(ws, "shipgate-report", "smoke.junit.xml"))
			if err != nil {
				b.Fatal(err)
			}
			// every test and the command's own check; the failing tests
			if want := fmt.Sprintf(`tests="%d" failures="%d" skipped="%d"`, n+1, n/1000, n/1000); !strings.Contains(string(junit[:min(len(junit), 500)]), want) {
				b.Fatalf("smoke.junit.xml does not count %s:\n%.500s", want, junit)
			}
		})
	}
}
