package smokecmd

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/gtr"
	"github.com/jstemmer/go-junit-report/v2/parser/gotest"
)

// goTestLine matches lines only go test prints: a test starting or ending,
// and a package's summary ("ok  \tpkg\t0.1s", "FAIL\tpkg [build failed]",
// "?   \tpkg\t[no test files]").
var goTestLine = regexp.MustCompile(`^(=== RUN   \S|\s*--- (PASS|FAIL|SKIP): \S+ \(\d+\.\d+s\)$|ok  \t\S+\t|FAIL\t\S+[\t ]|\?   \t\S+\t\[no test files\]$)`)

// testEvent is the part of a test2json event that tells one apart.
type testEvent struct {
	Action     string
	Package    string
	ImportPath string
}

// testActions are the actions test2json and go test -json emit.
var testActions = map[string]bool{
	"start": true, "run": true, "pause": true, "cont": true, "pass": true, "bench": true,
	"fail": true, "output": true, "skip": true, "build-output": true, "build-fail": true,
}

// detect tells go test -json output, go test text output and anything else
// apart. One test2json event makes it JSON; otherwise one line that only go
// test prints makes it text.
func detect(out []byte) Format {
	text := false
	for line := range bytes.Lines(out) {
		line = bytes.TrimRight(line, "\r\n")
		if isEvent(line) {
			return GoTestJSON
		}
		text = text || goTestLine.Match(line)
	}
	if text {
		return GoTest
	}
	return Plain
}

func isEvent(line []byte) bool {
	if len(line) == 0 || line[0] != '{' {
		return false
	}
	var ev testEvent
	return json.Unmarshal(line, &ev) == nil && testActions[ev.Action] && (ev.Package != "" || ev.ImportPath != "")
}

// jsonLineLimit is the longest line go-junit-report's JSON reader takes
// whole; it cuts longer ones, which then fail to decode.
const jsonLineLimit = 64 << 10

// goTestReport is go test output as go-junit-report reads it, plus the
// output it leaves outside the test that printed it.
type goTestReport struct {
	gtr.Report
	// after holds, per package and test, the lines printed after the test's
	// "--- FAIL" line: all its output without -v, a panic's stack with it.
	after map[testKey][]string
}

type testKey struct{ pkg, test string }

// parseGoTest reads go test output, with every package stamped with the time
// the command started.
func parseGoTest(out []byte, isJSON bool, started time.Time) (goTestReport, error) {
	stamp := gotest.TimestampFunc(func() time.Time { return started })
	var (
		rep    gtr.Report
		err    error
		events []gotest.Event
	)
	if isJSON {
		p := gotest.NewJSONParser(stamp)
		rep, err = p.Parse(bytes.NewReader(prepare(out, true)))
		events = p.Events()
	} else {
		p := gotest.NewParser(stamp)
		rep, err = p.Parse(bytes.NewReader(prepare(out, false)))
		events = p.Events()
	}
	if err != nil {
		return goTestReport{}, err
	}
	return goTestReport{Report: rep, after: outputAfterEnd(events)}, nil
}

// outputAfterEnd collects the output lines that follow a test's end line up
// to the next event of another kind, by package and test. Text output names
// its package only in the package's summary line, so lines wait there.
func outputAfterEnd(events []gotest.Event) map[testKey][]string {
	after := map[testKey][]string{}
	waiting := map[string]map[string][]string{} // by event package, then test
	ended := map[string]string{}                // the test that just ended, by event package
	for _, ev := range events {
		switch ev.Type {
		case "end_test":
			ended[ev.Package] = ev.Name
			continue
		case "output":
			if t := ended[ev.Package]; t != "" {
				if waiting[ev.Package] == nil {
					waiting[ev.Package] = map[string][]string{}
				}
				waiting[ev.Package][t] = append(waiting[ev.Package][t], ev.Data)
				continue
			}
		case "summary":
			for t, lines := range waiting[ev.Package] {
				after[testKey{ev.Name, t}] = lines
			}
			delete(waiting, ev.Package)
		}
		delete(ended, ev.Package)
	}
	// A run stopped before its summary leaves its package unnamed.
	for pkg, tests := range waiting {
		for t, lines := range tests {
			after[testKey{pkg, t}] = lines
		}
	}
	return after
}

// vetHeader is the line go vet puts before its findings when go test runs
// it: "# [example.com/m/e2e]". go-junit-report takes it for a package of
// that odd name; without it the findings join the package's build error.
var vetHeader = regexp.MustCompile(`^# \[\S+\]$`)

// prepare rewrites what go-junit-report would misread: go vet's headers,
// and in JSON output the lines that stop its JSON reader, which fails the
// whole parse on one line that starts with '{' but does not decode. A
// script's such line is indented to read as text; an event longer than the
// reader takes has its output cut.
func prepare(out []byte, isJSON bool) []byte {
	var b bytes.Buffer
	b.Grow(len(out))
	for line := range bytes.Lines(out) {
		body := bytes.TrimRight(line, "\r\n")
		if !isJSON || len(body) == 0 || body[0] != '{' {
			if !vetHeader.Match(body) {
				b.Write(line)
			}
			continue
		}
		var ev map[string]any
		if len(body) < jsonLineLimit && !bytes.Contains(body, []byte(`"# [`)) && json.Valid(body) {
			b.Write(line)
			continue
		}
		if json.Unmarshal(body, &ev) != nil {
			b.WriteByte(' ')
			b.Write(line)
			continue
		}
		s, _ := ev["Output"].(string)
		if vetHeader.MatchString(strings.TrimSuffix(s, "\n")) {
			continue
		}
		if len(body) >= jsonLineLimit {
			ev["Output"] = s[:min(len(s), jsonLineLimit/2)] + "…\n"
			body, _ = json.Marshal(ev)
		}
		b.Write(body)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
