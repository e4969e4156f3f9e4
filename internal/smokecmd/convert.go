package smokecmd

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/result"
)

// Bounds of what the converter keeps.
const (
	// maxLine is the longest line read whole; the rest of a longer line is
	// streamed to the log but not read.
	maxLine = 1 << 20
	// keepLines is how many of the last output lines of a test, a build
	// error or a package are kept; earlier ones are counted.
	keepLines = 1000
)

// Lines only go test prints, read the way go-junit-report reads them (a
// test's end line by parseEnd).
var (
	summaryLine  = regexp.MustCompile(`^(\?|ok|FAIL)\s+([^ \t]+)(?:\s+(\d+\.\d+)s)?(?:\s+(\(cached\)))?(?:\s+coverage:\s+(?:\[no\sstatements\]|(\d+\.\d+)%\sof\sstatements(?:\sin\s(.+))?))?(?:\s+(\[[^\]]+\]))?$`)
	coverageLine = regexp.MustCompile(`^coverage:\s+(\d+|\d+\.\d+)%\s+of\s+statements(?:\sin\s(.+))?$`)
	benchRunLine = regexp.MustCompile(`^(Benchmark[^ -]+)$`)
	benchLine    = regexp.MustCompile(`^(Benchmark[^ -]+)(?:-\d+\s+|\s+)(\d+)\s+(\d+|\d+\.\d+)\sns\/op`)
	benchEndLine = regexp.MustCompile(`^--- (BENCH|FAIL|SKIP): (Benchmark[^ -]+)(?:-\d+)?$`)
)

// outcomeOf is how a test ended.
type outcomeOf int

// The ends of a test.
const (
	unknown outcomeOf = iota // no end line (yet)
	passed
	failed
	skipped
)

func parseOutcome(s string) outcomeOf {
	switch s {
	case "PASS", "BENCH":
		return passed
	case "FAIL":
		return failed
	case "SKIP":
		return skipped
	}
	return unknown
}

// lines keeps the last keepLines lines of an output and counts the earlier
// ones; adding is amortized constant time.
type lines struct {
	kept    []string
	dropped int
}

func (l *lines) add(s string) {
	if len(l.kept) >= 2*keepLines {
		n := len(l.kept) - keepLines
		l.dropped += n
		l.kept = append([]string(nil), l.kept[n:]...)
	}
	l.kept = append(l.kept, s)
}

// all returns the kept lines, at most keepLines, and how many came before.
func (l *lines) all() ([]string, int) {
	if l == nil {
		return nil, 0
	}
	if n := len(l.kept) - keepLines; n > 0 {
		return l.kept[n:], l.dropped + n
	}
	return l.kept, l.dropped
}

func (l *lines) empty() bool { return l == nil || len(l.kept) == 0 }

// goTest is one run of one test. The output of a test that passed is not
// kept.
type goTest struct {
	name     string
	outcome  outcomeOf
	duration time.Duration
	output   *lines // nil once the test passed
	after    *lines // output after its end line, up to the next event
}

func (t *goTest) add(s string) {
	if t.output != nil {
		t.output.add(s)
	}
}

// buildError is a package that did not build, with its compiler output.
type buildError struct {
	name   string
	output lines
}

// collector says where output goes: to the active test or build error, or
// to the package's own output.
type collector struct {
	test   *goTest
	build  *buildError
	global lines
}

func (c *collector) add(s string) {
	switch {
	case c.test != nil:
		c.test.add(s)
	case c.build != nil:
		c.build.output.add(s)
	default:
		c.global.add(s)
	}
}

func (c *collector) activate(t *goTest) { c.test, c.build = t, nil }

// pkgBuilder holds the tests of one package (by the package its events
// name; "" for text output) until its summary line.
type pkgBuilder struct {
	out    *collector
	tests  []*goTest
	byName map[string]*goTest // the latest run of each name
	// ended is the test that just ended without passing: output up to the
	// next event is its too.
	ended *goTest
}

func (b *pkgBuilder) create(name string) *goTest {
	t := &goTest{name: name, output: &lines{}}
	b.tests = append(b.tests, t)
	b.byName[name] = t
	b.out.activate(t)
	return t
}

func (b *pkgBuilder) end(name string, o outcomeOf, d time.Duration) *goTest {
	t := b.byName[name]
	if t == nil {
		t = b.create(name)
	}
	t.outcome, t.duration = o, d
	if o == passed {
		t.output = nil
	}
	b.out.activate(nil)
	return t
}

func (b *pkgBuilder) isEmpty() bool { return len(b.tests) == 0 && b.out.global.empty() }

// goPackage is one package's results, ready to become checks.
type goPackage struct {
	name     string
	duration time.Duration
	build    *buildError
	tests    []*goTest
	// runError is set when the package failed outside its tests; its
	// output is the package's own.
	runError bool
	output   *lines
}

// Suite counts the test cases of one package (or JUnit suite) the way a
// JUnit report of it counts them.
type Suite struct {
	Name                             string
	Tests, Failures, Errors, Skipped int
	// Timestamp is when the command started, RFC 3339.
	Timestamp string
}

// converter turns go test output (text, or -json events whose output it
// reads as text) into checks while it streams: it keeps every test's name,
// result and duration, and the output only of tests that did not pass.
// It reads packages the way go-junit-report does, in time linear in the
// output.
type converter struct {
	started time.Time
	loc     locator
	names   uniqueNames

	// The reading side: lines are decoded where the output is read, and
	// parsed in batches on a goroutine of their own (see handover.go).
	sawEvent, sawText bool
	partial           []byte // a line that arrives in pieces
	partialCut        bool
	interned          interner // action and package names of events
	queued, handed    []queuedLine
	parsing           chan struct{} // closed when the handed batch is parsed

	// The parsing side.

	global   *collector // the output of package "" and of build errors
	builders map[string]*pkgBuilder
	order    []string      // builder packages, in order of creation
	builds   []*buildError // waiting for their summary line
	// last is the builder of package lastPkg, the one most lines are of.
	last    *pkgBuilder
	lastPkg string

	checks []result.Check
	suites []Suite
}

func newConverter(started time.Time, loc locator) *converter {
	return &converter{
		started:  started,
		loc:      loc,
		names:    uniqueNames{},
		global:   &collector{},
		builders: map[string]*pkgBuilder{},
		interned: interner{},
	}
}

// write takes a piece of output: a whole line, or part of a long one. b is
// only read during the call.
func (c *converter) write(b []byte) {
	if len(b) == 0 {
		return
	}
	complete := b[len(b)-1] == '\n'
	if len(c.partial) == 0 && complete {
		c.line(b)
		return
	}
	if room := maxLine - len(c.partial); room > 0 {
		c.partial = append(c.partial, b[:min(room, len(b))]...)
	} else {
		c.partialCut = true
	}
	if complete {
		c.flushPartial()
	}
}

func (c *converter) flushPartial() {
	if len(c.partial) > 0 {
		c.line(c.partial)
	}
	c.partial, c.partialCut = c.partial[:0], false
}

// line reads one line; it keeps no reference to b.
func (c *converter) line(b []byte) {
	b = bytes.TrimRight(b, "\r\n")
	if len(b) > 0 && b[0] == '{' {
		if ev, ok := decodeEvent(b, c.interned); ok && testActions[ev.Action] && (ev.Package != "" || ev.ImportPath != "") {
			c.sawEvent = true
			if ev.Output == "" {
				return
			}
			out := strings.TrimSuffix(ev.Output, "\n")
			if len(b) >= jsonLineLimit {
				out = out[:min(len(out), jsonLineLimit/2)] + "…"
			}
			if !isVetHeader(out) {
				c.queue(out, ev.Package)
			}
			return
		}
	}
	if !c.sawText && !c.sawEvent && goTestLine.Match(b) {
		c.sawText = true
	}
	if s := string(b); !isVetHeader(s) {
		c.queue(s, "")
	}
}

func isVetHeader(s string) bool { return strings.HasPrefix(s, "# [") && vetHeader.MatchString(s) }

// format is what the output read so far is.
func (c *converter) format() Format {
	switch {
	case c.sawEvent:
		return GoTestJSON
	case c.sawText:
		return GoTest
	}
	return Plain
}

// lookup returns the builder of package pkg, nil when there is none.
func (c *converter) lookup(pkg string) *pkgBuilder {
	if c.last != nil && c.lastPkg == pkg {
		return c.last
	}
	b := c.builders[pkg]
	if b != nil {
		c.last, c.lastPkg = b, pkg
	}
	return b
}

func (c *converter) builder(pkg string) *pkgBuilder {
	b := c.lookup(pkg)
	if b == nil {
		out := c.global
		if pkg != "" {
			out = &collector{}
		}
		b = &pkgBuilder{out: out, byName: map[string]*goTest{}}
		c.builders[pkg] = b
		c.order = append(c.order, pkg)
		c.last, c.lastPkg = b, pkg
	}
	return b
}

// parse reads one line of go test output, printed by package pkg when the
// events say so.
func (c *converter) parse(s, pkg string) {
	var (
		m   []string
		end testEnd
		ok  bool
	)
	switch {
	case strings.HasPrefix(s, "=== RUN "):
		c.builder(pkg).create(strings.TrimSpace(s[8:]))
	case strings.HasPrefix(s, "=== PAUSE "):
		c.builder(pkg).out.activate(nil)
	case strings.HasPrefix(s, "=== CONT "), strings.HasPrefix(s, "=== NAME "):
		b := c.builder(pkg)
		b.out.activate(b.byName[strings.TrimSpace(s[9:])])
	case strings.Contains(s, "--- ") && func() bool { end, ok = parseEnd(s); return ok }():
		if end.at > 0 {
			c.output(s[:end.at], pkg)
		}
		d, _ := time.ParseDuration(end.seconds + "s")
		b := c.builder(pkg)
		t := b.end(end.name, parseOutcome(end.result), d)
		b.ended = nil
		if t.outcome != passed {
			t.after = &lines{}
			b.ended = t
		}
		return
	case s == "PASS" || s == "FAIL" || s == "SKIP":
		c.builder(pkg).out.activate(nil)
	case (strings.HasPrefix(s, "ok") || strings.HasPrefix(s, "FAIL") || strings.HasPrefix(s, "?")) && func() bool { m = summaryLine.FindStringSubmatch(s); return m != nil }():
		d, _ := time.ParseDuration(cmpOr(m[3], "0") + "s")
		c.complete(pkg, m[2], parseOutcome(m[1]), d)
	case strings.HasPrefix(s, "coverage:") && coverageLine.MatchString(s):
	case strings.HasPrefix(s, "Benchmark") && benchRunLine.MatchString(s):
		c.builder(pkg).create(s)
	case strings.HasPrefix(s, "Benchmark") && func() bool { m = benchLine.FindStringSubmatch(s); return m != nil }():
		b := c.builder(pkg)
		t := b.byName[m[1]]
		if t == nil || t.outcome != unknown {
			t = b.create(m[1])
		}
		ns, _ := strconv.ParseFloat(m[3], 64)
		n, _ := strconv.ParseInt(m[2], 10, 64)
		t.outcome, t.duration, t.output = passed, time.Duration(ns*float64(n)), nil
		b.out.activate(t)
	case strings.HasPrefix(s, "--- ") && func() bool { m = benchEndLine.FindStringSubmatch(s); return m != nil }():
		c.builder(pkg).end(m[2], parseOutcome(m[1]), 0)
	case strings.HasPrefix(s, "# ") && len(strings.Fields(s[2:])) > 0 && len(strings.Fields(s[2:])) <= 2:
		e := &buildError{name: strings.Fields(s[2:])[0]}
		c.builds = append(c.builds, e)
		c.global.test, c.global.build = nil, e
	default:
		c.output(s, pkg)
		return
	}
	if b := c.lookup(pkg); b != nil {
		b.ended = nil
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// output is a line no test event: it belongs to the active test, or to
// the test that just ended as well.
func (c *converter) output(s, pkg string) {
	if b := c.lookup(pkg); b != nil && b.ended != nil {
		b.ended.after.add(s)
	}
	if pkg != "" {
		c.builder(pkg).out.add(s)
	} else {
		c.global.add(s)
	}
}

// complete ends a package at its summary line: a build error of that name,
// else the tests its events (or, for text, the lines since the last
// summary) gave.
func (c *converter) complete(pkg, name string, o outcomeOf, d time.Duration) {
	for i, e := range c.builds {
		if e.name == name || strings.TrimSuffix(e.name, "_test") == name {
			c.builds = append(c.builds[:i], c.builds[i+1:]...)
			c.global.activate(nil)
			c.add(goPackage{name: name, duration: d, build: e})
			return
		}
	}
	b := c.builder(pkg)
	delete(c.builders, pkg)
	c.last = nil
	b.out.activate(nil)
	p := goPackage{name: name, duration: d, tests: b.tests}
	own := b.out.global
	b.out.global = lines{}
	switch {
	case len(b.tests) == 0:
		p.runError = o == failed
	case o == failed && !containsFailures(b.tests):
		p.runError = true
	}
	if p.runError {
		p.output = &own
	}
	c.add(p)
}

func containsFailures(tests []*goTest) bool {
	for _, t := range tests {
		if t.outcome == failed || t.outcome == unknown {
			return true
		}
	}
	return false
}

// finish ends the output: packages without a summary line (a stopped
// run) and build errors no summary named become checks too.
func (c *converter) finish() {
	c.flushPartial()
	c.parseQueued()
	for _, pkg := range c.order {
		if b := c.builders[pkg]; b != nil && !b.isEmpty() {
			c.complete(pkg, "", unknown, 0)
		}
	}
	for len(c.builds) > 0 {
		c.complete("", c.builds[0].name, unknown, 0)
	}
}

// add turns a completed package into checks and counts its cases.
func (c *converter) add(p goPackage) {
	s := Suite{Name: p.name, Timestamp: c.started.Format(time.RFC3339)}
	for _, t := range p.tests {
		s.Tests++
		switch t.outcome {
		case failed:
			s.Failures++
		case skipped:
			s.Skipped++
		case unknown:
			s.Errors++
		}
	}
	if p.build != nil {
		s.Tests++
		s.Errors++
	}
	if p.runError {
		s.Tests++
		s.Errors++
	}
	c.suites = append(c.suites, s)
	c.checks = packageChecks(c.checks, p, c.loc, c.names)
}
