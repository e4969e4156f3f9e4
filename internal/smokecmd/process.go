package smokecmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// shell runs the command line; the action's image is alpine, which has no bash.
const shell = "/bin/sh"

// Bounds of the waits after the shell has exited or been killed.
var (
	// drainWait is how long output may stay open once the shell has exited
	// and its process group has been stopped: a process that left the group
	// (setsid) can hold it open for ever.
	drainWait = 2 * time.Second
	// reapWait is how long a SIGKILLed shell may take to be reaped.
	reapWait = 5 * time.Second
)

// errTimeout is the cause of a run that reached Options.Timeout.
type errTimeout struct{ after time.Duration }

func (e errTimeout) Error() string {
	return fmt.Sprintf("timed out after %s (the smoke-command timeout)", e.after)
}

// run is one finished execution of the shell.
type run struct {
	exitCode int
	// signal names the signal that ended the shell, if one did.
	signal  string
	stopped string
	notes   []string
	sink    *sink
	// junitBefore is the JUnit file as it was before the run.
	junitBefore stamp
}

// execute runs the command in its own process group, streaming its output to
// opts.Output and conv (which may be nil), and stops the group when ctx ends
// or opts.Timeout passes.
func execute(ctx context.Context, opts Options, conv *converter) (*run, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, opts.Timeout, errTimeout{opts.Timeout})
	defer cancel()

	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create output pipe: %w", err)
	}
	defer pr.Close()
	cmd := exec.Command(shell, "-c", opts.Command)
	cmd.Dir, cmd.Env = opts.Dir, opts.Env
	// One pipe for both streams keeps the order in which the command wrote.
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", shell, err)
	}

	r := &run{sink: newSink(opts.Output, conv)}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		r.sink.copyFrom(pr)
	}()
	var waitErr error
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		waitErr = cmd.Wait()
	}()
	g := group(cmd.Process.Pid)

	select {
	case <-exited:
	case <-ctx.Done():
		r.stopped = stopReason(ctx)
		g.stop(opts.KillGrace)
		select {
		case <-exited:
		case <-time.After(reapWait):
			return nil, fmt.Errorf("wait for %s (pid %d) to end after SIGKILL: still running after %s", shell, cmd.Process.Pid, reapWait)
		}
	}
	// Background jobs the command left behind belong to the group too.
	if n := len(g.members()); n > 0 && r.stopped == "" {
		g.stop(opts.KillGrace)
		r.notes = append(r.notes, fmt.Sprintf("%d process(es) the command left running in the background were stopped", n))
	}
	select {
	case <-copied:
	case <-time.After(drainWait):
		pr.Close()
		<-copied
		r.notes = append(r.notes, fmt.Sprintf("a process outside the command's process group kept its output open; stopped reading %s after the command ended", drainWait))
	}

	r.exitCode = cmd.ProcessState.ExitCode()
	var exit *exec.ExitError
	if errors.As(waitErr, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = unix.SignalName(ws.Signal())
		}
	} else if waitErr != nil {
		return nil, fmt.Errorf("wait for %s: %w", shell, waitErr)
	}
	return r, nil
}

// stopReason says why ctx ended, in words for the outcome.
func stopReason(ctx context.Context) string {
	cause := context.Cause(ctx)
	var t errTimeout
	switch {
	case errors.As(cause, &t):
		return t.Error()
	case errors.Is(cause, context.DeadlineExceeded):
		return "the stage's deadline passed"
	default:
		return fmt.Sprintf("cancelled (%v)", cause)
	}
}
