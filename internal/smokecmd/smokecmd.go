// Package smokecmd runs a user's smoke command (the smoke-command input, e.g.
// "go test ./e2e -v", "npm test" or "./smoke.sh") and turns its outcome into
// checks: one per test case when the command prints go test output or writes
// a JUnit file, and one for the command itself.
//
// The command runs through /bin/sh -c in its own process group; its output
// is streamed line by line while it runs. Stopping it (a timeout or a
// cancelled context) terminates the whole group. A failing command or test is
// a finding, never an error: errors mean the command could not be run.
package smokecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/result"
)

// CommandCheck is the name of the check for the command's own exit status.
const CommandCheck = "smoke-command"

// Defaults used where an Options field is zero.
const (
	DefaultTimeout   = 30 * time.Minute
	DefaultKillGrace = 10 * time.Second
)

// Options says what to run and where. The zero value of every field but
// Command is the default.
type Options struct {
	// Command is a shell command line, run with /bin/sh -c.
	Command string
	// Dir is the command's working directory; empty means this process's.
	Dir string
	// RepoRoot is the directory that finding paths are relative to; empty
	// means Dir.
	RepoRoot string
	// Env is the command's environment as KEY=value entries; nil means this
	// process's environment, as with os/exec.
	Env []string
	// Output receives the command's stdout and stderr, merged, in whole
	// lines as they arrive (the lines of one read in one write); nil
	// discards them.
	Output io.Writer
	// JUnitFile is where the command writes JUnit XML, relative to Dir; empty
	// when it writes none. When set, its test cases are the checks and the
	// output is not read as go test output.
	JUnitFile string
	// Timeout bounds the whole run; zero means DefaultTimeout.
	Timeout time.Duration
	// KillGrace is how long a stopped command has between SIGTERM and
	// SIGKILL; zero means DefaultKillGrace.
	KillGrace time.Duration
	// Now is the clock of durations and JUnit timestamps; nil means time.Now.
	Now func() time.Time
}

// Format is what the run's test results were read from.
type Format string

// The formats of a run's results.
const (
	// Plain output: only the exit status counts.
	Plain Format = "plain"
	// GoTest is go test's text output (with or without -v).
	GoTest Format = "go test"
	// GoTestJSON is go test -json (test2json) output.
	GoTestJSON Format = "go test -json"
	// JUnitXML is the JUnit file named by Options.JUnitFile.
	JUnitXML Format = "junit"
)

// Outcome is what a run found.
type Outcome struct {
	// Checks are the CommandCheck first, then (for JUnitXML) the check of the
	// JUnit file, then one check per test case in report order.
	Checks []result.Check
	// Suites count the test cases per package of go test output, or per
	// suite of the JUnit file; empty for Plain output.
	Suites []Suite
	// Format is what the test results were read from.
	Format Format
	// ExitCode is the shell's exit status; -1 when a signal ended it.
	ExitCode int
	// Stopped says why the command was stopped; empty when it ended by itself.
	Stopped string
	// Notes are lines of context for the summary (e.g. background processes
	// the command left running were stopped).
	Notes []string
}

// Failed reports whether any check failed.
func (o Outcome) Failed() bool {
	for _, c := range o.Checks {
		if c.Failed() {
			return true
		}
	}
	return false
}

// Run runs opts.Command to completion (or until ctx ends or opts.Timeout
// passes) and returns its checks. The error is non-nil only when the command
// could not be run at all; a failing or stopped command is an Outcome.
func Run(ctx context.Context, opts Options) (Outcome, error) {
	if err := opts.validate(); err != nil {
		return Outcome{}, err
	}
	opts = opts.withDefaults()
	before := stampOf(opts.junitPath())
	start := opts.Now()
	r, err := execute(ctx, opts, opts.converter(start))
	if err != nil {
		return Outcome{}, fmt.Errorf("run smoke-command %q: %w", opts.Command, err)
	}
	r.junitBefore = before
	return outcome(opts, r, start, opts.Now())
}

// outcome reads the results of a finished run: the JUnit file when one is
// expected, else go test output when the output is that.
func outcome(opts Options, r *run, start, end time.Time) (Outcome, error) {
	out := Outcome{
		Format:   Plain,
		ExitCode: r.exitCode,
		Stopped:  r.stopped,
		Notes:    r.notes,
	}
	var tests, file []result.Check
	switch conv := r.sink.conv; {
	case opts.JUnitFile != "":
		out.Format = JUnitXML
		suites, c := readJUnitFile(opts.JUnitFile, opts.junitPath(), r.junitBefore)
		file = []result.Check{c}
		tests = junitChecks(suites)
		for _, s := range suites.Suites {
			out.Suites = append(out.Suites, Suite{Name: s.Name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped, Timestamp: s.Timestamp})
		}
	case conv != nil:
		conv.finish()
		if out.Format = conv.format(); out.Format != Plain {
			out.Suites, tests = conv.suites, conv.checks
		}
	}
	if r.sink.werr != nil {
		out.Notes = append(out.Notes, fmt.Sprintf("streaming the command's output stopped: %v", r.sink.werr))
	}
	out.Checks = append(append([]result.Check{commandCheck(opts.Command, r, tests, end.Sub(start))}, file...), tests...)
	return out, nil
}

// converter reads the command's output for go test results, unless the
// results come from a JUnit file.
func (o Options) converter(start time.Time) *converter {
	if o.JUnitFile != "" {
		return nil
	}
	return newConverter(start, newLocator(o.Dir, o.RepoRoot))
}

func (o Options) validate() error {
	var errs []error
	if strings.TrimSpace(o.Command) == "" {
		errs = append(errs, errors.New("smokecmd: Command is empty: set smoke-command to the command that runs your smoke tests, e.g. 'go test ./e2e -v'"))
	}
	for _, d := range []struct{ field, path string }{{"Dir", o.Dir}, {"RepoRoot", o.RepoRoot}} {
		if d.path == "" {
			continue
		}
		if fi, err := os.Stat(d.path); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("smokecmd: %s %q is not a directory: give an existing directory or leave it empty for the current one", d.field, d.path))
		}
	}
	for i, kv := range o.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			errs = append(errs, fmt.Errorf("smokecmd: Env[%d] %q is not KEY=value: write it as NAME=value", i, kv))
		}
	}
	if o.Timeout < 0 || o.KillGrace < 0 {
		errs = append(errs, fmt.Errorf("smokecmd: Timeout %s and KillGrace %s must not be negative: use 0 for the defaults (%s, %s)", o.Timeout, o.KillGrace, DefaultTimeout, DefaultKillGrace))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.KillGrace == 0 {
		o.KillGrace = DefaultKillGrace
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
