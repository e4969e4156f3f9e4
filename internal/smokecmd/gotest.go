package smokecmd

import (
	"bytes"
	"regexp"
	"time"
)

// goTestLine matches lines only go test prints: a test starting or ending,
// and a package's summary ("ok  \tpkg\t0.1s", "FAIL\tpkg [build failed]",
// "?   \tpkg\t[no test files]").
var goTestLine = regexp.MustCompile(`^(=== RUN   \S|\s*--- (PASS|FAIL|SKIP): \S+ \(\d+\.\d+s\)$|ok  \t\S+\t|FAIL\t\S+[\t ]|\?   \t\S+\t\[no test files\]$)`)

// testActions are the actions test2json and go test -json emit.
var testActions = map[string]bool{
	"start": true, "run": true, "pause": true, "cont": true, "pass": true, "bench": true,
	"fail": true, "output": true, "skip": true, "build-output": true, "build-fail": true,
}

// jsonLineLimit is the longest event whose output is read whole; a longer
// one has its output cut to half of it.
const jsonLineLimit = 64 << 10

// vetHeader is the line go vet puts before its findings when go test runs
// it: "# [example.com/m/e2e]". Read as a build error's header it would make
// a package of that odd name; without it the findings join the package's
// build error.
var vetHeader = regexp.MustCompile(`^# \[\S+\]$`)

// detect tells go test -json output, go test text output and anything else
// apart. One test2json event makes it JSON; otherwise one line that only go
// test prints makes it text.
func detect(out []byte) Format {
	c := newConverter(time.Time{}, locator{})
	for line := range bytes.Lines(out) {
		c.write(line)
	}
	c.finish()
	return c.format()
}
