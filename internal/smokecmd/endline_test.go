package smokecmd

import (
	"regexp"
	"testing"
)

// endTestLine is go-junit-report's expression for a test's end line, which
// parseEnd reads.
var endTestLine = regexp.MustCompile(`((?:    )*)--- (PASS|FAIL|SKIP): ([^ ]+) \((\d+\.\d+)(?: seconds|s)\)`)

// FuzzParseEnd: parseEnd finds what endTestLine finds, where it finds it.
func FuzzParseEnd(f *testing.F) {
	for _, s := range []string{
		"--- PASS: TestA (0.01s)",
		"        --- FAIL: TestA/sub_case (1.50 seconds)",
		"      --- SKIP: TestA (0.00s)",
		"output without a newline--- FAIL: TestA (0.00s)",
		"--- PASS: (0.01s)", "--- PASS: TestA (1s)", "--- PASS: TestA (.5s)", "--- BENCH: BenchmarkA",
		"---     --- PASS: TestB (0.10s) trailing",
		"--- FAIL: TestA (0.0x) --- PASS: TestB (0.2s)",
		"--- PASS: Test\tA (0.01s)", "--- PASS: Test\xffA (0.01s)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseEnd(s)
		loc := endTestLine.FindStringSubmatchIndex(s)
		if ok != (loc != nil) {
			t.Fatalf("parseEnd(%q) ok = %v, endTestLine matches: %v", s, ok, loc != nil)
		}
		if !ok {
			return
		}
		want := testEnd{at: loc[0], indent: s[loc[2]:loc[3]], result: s[loc[4]:loc[5]], name: s[loc[6]:loc[7]], seconds: s[loc[8]:loc[9]]}
		if got != want {
			t.Fatalf("parseEnd(%q) = %+v, endTestLine reads %+v", s, got, want)
		}
	})
}
