package smokecmd

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"
)

// perPackage is how many tests one package of the generated stream has:
// large suites keep thousands of tests in one package.
const perPackage = 50_000

// writeGoTestJSON writes the go test -json stream of n tests spread over
// packages of up to perPackage tests, as go test prints it: every thousandth test
// fails with two log lines, every 500th is skipped, the rest pass after one
// log line.
func writeGoTestJSON(w io.Writer, n int) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Format(time.RFC3339Nano)
	for p := 0; p*perPackage < n; p++ {
		pkg := fmt.Sprintf("example.com/big/e2e/part%03d", p)
		fmt.Fprintf(w, `{"Time":%q,"Action":"start","Package":%q}`+"\n", at, pkg)
		failed := false
		for i := p * perPackage; i < min(n, (p+1)*perPackage); i++ {
			test := fmt.Sprintf("TestCase%06d", i)
			ev := func(action, output string, elapsed float64) {
				if output != "" {
					fmt.Fprintf(w, `{"Time":%q,"Action":"output","Package":%q,"Test":%q,"Output":%q}`+"\n", at, pkg, test, output)
					return
				}
				fmt.Fprintf(w, `{"Time":%q,"Action":%q,"Package":%q,"Test":%q,"Elapsed":%g}`+"\n", at, action, pkg, test, elapsed)
			}
			ev("run", "", 0)
			ev("", "=== RUN   "+test+"\n", 0)
			elapsed := float64(i%97) / 100
			switch {
			case i%1000 == 999:
				failed = true
				ev("", "    big_test.go:12: GET /item/"+fmt.Sprint(i)+"\n", 0)
				ev("", "    big_test.go:13: status 500, want 200\n", 0)
				ev("", fmt.Sprintf("--- FAIL: %s (%.2fs)\n", test, elapsed), 0)
				ev("fail", "", elapsed)
			case i%500 == 499:
				ev("", "    big_test.go:20: needs a GPU\n", 0)
				ev("", fmt.Sprintf("--- SKIP: %s (%.2fs)\n", test, elapsed), 0)
				ev("skip", "", elapsed)
			default:
				ev("", "    big_test.go:8: GET /item/"+fmt.Sprint(i)+": 200\n", 0)
				ev("", fmt.Sprintf("--- PASS: %s (%.2fs)\n", test, elapsed), 0)
				ev("pass", "", elapsed)
			}
		}
		result, word := "pass", "ok  "
		if failed {
			result, word = "fail", "FAIL"
			fmt.Fprintf(w, `{"Time":%q,"Action":"output","Package":%q,"Output":"FAIL\n"}`+"\n", at, pkg)
		} else {
			fmt.Fprintf(w, `{"Time":%q,"Action":"output","Package":%q,"Output":"PASS\n"}`+"\n", at, pkg)
		}
		fmt.Fprintf(w, `{"Time":%q,"Action":"output","Package":%q,"Output":"%s\t%s\t1.234s\n"}`+"\n", at, pkg, word, pkg)
		fmt.Fprintf(w, `{"Time":%q,"Action":%q,"Package":%q,"Elapsed":1.234}`+"\n", at, result, pkg)
	}
}

// BenchmarkOutcome measures reading the results of a go test -json run of
// 1,000 to 100,000 tests: the output streamed through the sink as the command
// writes it, then turned into checks.
func BenchmarkOutcome(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		var stream bytes.Buffer
		writeGoTestJSON(&stream, n)
		b.Run(fmt.Sprintf("tests=%d", n), func(b *testing.B) {
			b.SetBytes(int64(stream.Len()))
			b.ReportAllocs()
			for b.Loop() {
				opts := Options{Command: "go test -json ./e2e"}
				r := &run{exitCode: 1, sink: newSink(io.Discard, opts.converter(fixed))}
				r.sink.copyFrom(bytes.NewReader(stream.Bytes()))
				out, err := outcome(opts, r, fixed, fixed)
				if err != nil {
					b.Fatal(err)
				}
				if want := n + 1; len(out.Checks) != want {
					b.Fatalf("%d checks, want %d", len(out.Checks), want)
				}
			}
		})
	}
}
