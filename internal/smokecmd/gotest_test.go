package smokecmd

import (
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, out string
		want      Format
	}{
		{"script", "deploying\nGET /healthz 200\nok\nPASS\nFAIL\n", Plain},
		{"script with look-alike lines", "--- FAIL: the checkout\nok checkout\nFAIL: 2 checks\n=== RUN\n", Plain},
		{"json logs", `{"level":"info","Action":"deploy","msg":"rolled out"}` + "\n" + `{"Action":"pass"}` + "\n", Plain},
		{"empty", "", Plain},
		{"go test -v", "=== RUN   TestHealth\n--- PASS: TestHealth (0.01s)\nPASS\n", GoTest},
		{"go test without -v, passing", "ok  \texample.com/m/e2e\t0.012s\n", GoTest},
		{"go test without -v, failing", "--- FAIL: TestHealth (1.50s)\n    e2e_test.go:9: 503\nFAIL\nFAIL\texample.com/m/e2e\t1.6s\n", GoTest},
		{"go test build failure", "# example.com/m/e2e\ne2e/x_test.go:3:1: syntax error\nFAIL\texample.com/m/e2e [build failed]\n", GoTest},
		{"no test files only", "?   \texample.com/m/cmd\t[no test files]\n", GoTest},
		{"script then go test", "starting port-forward\n=== RUN   TestHealth\n", GoTest},
		{"go test -json", `{"Time":"2026-11-22T10:00:00Z","Action":"start","Package":"example.com/m/e2e"}` + "\n", GoTestJSON},
		{"go test -json build output", `{"ImportPath":"example.com/m/e2e","Action":"build-output","Output":"# example.com/m/e2e\n"}` + "\n", GoTestJSON},
		{"script then go test -json", "=== RUN   TestA\n" + `{"Action":"run","Package":"p","Test":"TestA"}` + "\r\n", GoTestJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := detect([]byte(tc.out)); got != tc.want {
				t.Errorf("detect = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestConvertOddLines: lines that are not go test's (a script's "{" line),
// an event longer than is read whole and a line that arrives in pieces
// still leave every test, the long output cut.
func TestConvertOddLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100<<10)
	out := strings.Join([]string{
		`{"Action":"start","Package":"p"}`,
		`{ this is a script's banner`,
		`{"Action":"run","Package":"p","Test":"TestBig"}`,
		`{"Action":"output","Package":"p","Test":"TestBig","Output":"=== RUN   TestBig\n"}`,
		`{"Action":"output","Package":"p","Test":"TestBig","Output":"    big_test.go:5: ` + long + `\n"}`,
		`{"Action":"output","Package":"p","Test":"TestBig","Output":"--- FAIL: TestBig (0.00s)\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestBig","Elapsed":0}`,
		`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"}`,
		`{"Action":"fail","Package":"p","Elapsed":0.01}`,
	}, "\n") + "\n"
	c := newConverter(fixed, locator{})
	s := newSink(io.Discard, c)
	s.copyFrom(strings.NewReader(out))
	c.finish()
	type check struct {
		Name   string
		Failed bool
		Cut    bool
	}
	var got []check
	for _, ch := range c.checks {
		msg := ""
		if len(ch.Findings) > 0 {
			msg = ch.Findings[0].Message
		}
		got = append(got, check{ch.Name, ch.Failed(), strings.HasSuffix(msg, "…") && len(msg) < len(long)})
	}
	if diff := cmp.Diff([]check{{"go test/p/TestBig", true, true}}, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	if f := c.format(); f != GoTestJSON {
		t.Errorf("format %q, want %q", f, GoTestJSON)
	}
}
