package gitmerge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Error is a git command that failed.
type Error struct {
	// Args are git's arguments after the global options, e.g.
	// ["merge-tree", "--write-tree", ...].
	Args []string
	// ExitCode is git's exit status, or -1 when git did not exit normally
	// (not found, killed by the context).
	ExitCode int
	// Stderr is what git printed on stderr, trimmed.
	Stderr string
	// Err is the underlying error from os/exec or the context.
	Err error
}

// Error reads "git merge-tree: exit 128: fatal: ...".
func (e *Error) Error() string {
	name := "git"
	if len(e.Args) > 0 {
		name += " " + e.Args[0]
	}
	var b strings.Builder
	b.WriteString(name)
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, ": exit %d", e.ExitCode)
	} else if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Stderr != "" {
		b.WriteString(": ")
		b.WriteString(e.Stderr)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// maxStderr bounds the stderr kept in an Error.
const maxStderr = 4 << 10

// waitDelay bounds how long a killed git may hold its pipes open.
const waitDelay = 5 * time.Second

// globalArgs come before every git subcommand: no pager, no quoting of
// non-ASCII paths, no hooks, no fsmonitor, no automatic gc, predictable
// merge output.
var globalArgs = []string{
	"--no-pager",
	"-c", "core.quotePath=false",
	"-c", "core.hooksPath=" + os.DevNull,
	"-c", "core.fsmonitor=false",
	"-c", "gc.auto=0",
	"-c", "maintenance.auto=false",
	"-c", "fetch.recurseSubmodules=false",
	"-c", "merge.conflictStyle=merge",
	"-c", "credential.interactive=false",
}

// env is git's whole environment: PATH and HOME from the process, no system
// or global config, no prompts, the C locale (stable messages), literal
// pathspecs, no replace refs, then r.Env.
func (r *Repo) env() []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	env := []string{
		"PATH=" + path,
		"LC_ALL=C",
		"LANG=C",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=",
		"SSH_ASKPASS=",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_LITERAL_PATHSPECS=1",
		"GIT_NO_REPLACE_OBJECTS=1",
		"GIT_OPTIONAL_LOCKS=0",
	}
	if home := os.Getenv("HOME"); home != "" {
		env = append(env, "HOME="+home)
	}
	return append(env, r.Env...)
}

// command builds a git command for r; the caller wires stdio.
func (r *Repo) command(ctx context.Context, args ...string) *exec.Cmd {
	bin := r.Git
	if bin == "" {
		bin = "git"
	}
	full := append([]string{}, globalArgs...)
	if r.SafeDirectory {
		dir, err := filepath.Abs(r.Dir)
		if err != nil {
			dir = r.Dir
		}
		full = append(full, "-c", "safe.directory="+dir)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Dir = r.Dir
	cmd.Env = r.env()
	cmd.WaitDelay = waitDelay
	return cmd
}

// output runs git and returns its stdout; a non-zero exit is an *Error.
func (r *Repo) output(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	out, _, err := r.run(ctx, stdin, nil, args...)
	return out, err
}

// run runs git and returns stdout and the exit code. Exit codes listed in ok
// come back without an error; any other failure is an *Error.
func (r *Repo) run(ctx context.Context, stdin []byte, ok []int, args ...string) ([]byte, int, error) {
	cmd := r.command(ctx, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), 0, nil
	}
	gerr := newError(args, err, stderr.String())
	if ctx.Err() != nil {
		gerr.ExitCode, gerr.Err = -1, ctx.Err()
		return stdout.Bytes(), -1, gerr
	}
	if slices.Contains(ok, gerr.ExitCode) {
		return stdout.Bytes(), gerr.ExitCode, nil
	}
	return stdout.Bytes(), gerr.ExitCode, gerr
}

// newError wraps the error of a finished command.
func newError(args []string, err error, stderr string) *Error {
	stderr = strings.TrimSpace(stderr)
	if len(stderr) > maxStderr {
		stderr = "…" + stderr[len(stderr)-maxStderr:]
	}
	e := &Error{Args: args, ExitCode: -1, Stderr: stderr, Err: err}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		e.ExitCode = exit.ExitCode()
	}
	return e
}
