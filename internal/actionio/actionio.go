// Package actionio owns the GitHub Actions runtime contract: inputs, outputs,
// the step summary, workflow-command annotations, masking and log groups. It
// is the only importer of go-githubactions; everything else receives a
// *Runtime, so tests can fake the environment and capture every command.
package actionio

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"
)

// Runtime is the job's environment as the runner hands it to a step.
type Runtime struct {
	act    *githubactions.Action
	getenv func(string) string
	out    io.Writer

	mu sync.Mutex // serialises writes to out and the command files
}

// New builds a Runtime over an environment lookup and the step's stdout.
func New(getenv func(string) string, stdout io.Writer) *Runtime {
	return &Runtime{
		act:    githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout)),
		getenv: getenv,
		out:    stdout,
	}
}

// InActions reports whether the process runs as a GitHub Actions step
// (GITHUB_ACTIONS is "true"); outside Actions shipgate is a plain CLI.
func (r *Runtime) InActions() bool { return r.getenv("GITHUB_ACTIONS") == "true" }

// Getenv returns one variable of the step's environment.
func (r *Runtime) Getenv(key string) string { return r.getenv(key) }

// Input returns the trimmed value of an action input (INPUT_<NAME>).
func (r *Runtime) Input(name string) string { return r.act.GetInput(name) }

// Mask tells the runner to hide a secret in all later log output. Each line
// of a multi-line secret is masked on its own, as the runner matches lines.
func (r *Runtime) Mask(secret string) {
	if !r.InActions() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, line := range strings.Split(secret, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			r.act.AddMask(line)
		}
	}
}

// Logf writes one progress line.
func (r *Runtime) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out, format+"\n", args...)
}

// Group runs fn inside a collapsible log group.
func (r *Runtime) Group(title string, fn func()) {
	if r.InActions() {
		r.mu.Lock()
		r.act.Group(title)
		r.mu.Unlock()
		defer func() {
			r.mu.Lock()
			r.act.EndGroup()
			r.mu.Unlock()
		}()
	} else {
		r.Logf("== %s", title)
	}
	fn()
}

// SetOutput sets a step output. Outside Actions the output is printed.
func (r *Runtime) SetOutput(name, value string) error {
	if !r.InActions() {
		r.Logf("output %s=%s", name, value)
		return nil
	}
	if r.getenv("GITHUB_OUTPUT") == "" {
		return fmt.Errorf("set output %q: GITHUB_OUTPUT is not set; the runner provides it to every step", name)
	}
	return r.fileCommand("set output "+name, func() { r.act.SetOutput(name, value) })
}

// AppendSummary appends markdown to the step summary (GITHUB_STEP_SUMMARY).
// It does nothing when the runner gave no summary file.
func (r *Runtime) AppendSummary(markdown string) error {
	if !r.InActions() || r.getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	return r.fileCommand("append step summary", func() { r.act.AddStepSummary(markdown) })
}

// fileCommand runs a go-githubactions file command, turning its panic on a
// failed write into an error.
func (r *Runtime) fileCommand(what string, fn func()) (err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %v", what, p)
		}
	}()
	fn()
	return nil
}

// SaveState keeps a value for the action's post step (GITHUB_STATE), which
// reads it with State. Outside Actions it does nothing.
func (r *Runtime) SaveState(name, value string) error {
	if !r.InActions() {
		return nil
	}
	if r.getenv("GITHUB_STATE") == "" {
		return fmt.Errorf("save state %q: GITHUB_STATE is not set; the runner provides it to every step", name)
	}
	return r.fileCommand("save state "+name, func() { r.act.SaveState(name, value) })
}

// State returns a value the main step saved with SaveState; the runner
// hands it to the post step as STATE_<name>.
func (r *Runtime) State(name string) string { return r.getenv("STATE_" + name) }
