package localcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a component has to exit after SIGTERM before it
// gets SIGKILL.
const stopGrace = 10 * time.Second

// process is one running component. Its stdout and stderr append to logPath.
type process struct {
	name    string
	logPath string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result; read after done

	mu       sync.Mutex
	stopping bool // Stop asked it to exit: not worth a warning
}

// startProcess starts bin with args and only the environment env, appending
// its output to logPath after a header line. onExit runs (in its own
// goroutine) when the process exits without being asked to.
func startProcess(name, bin string, args, env []string, logPath string, onExit func(*process)) (*process, error) {
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer log.Close() // the child has its own copy
	fmt.Fprintf(log, "=== %s: %s %s\n", time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))

	p := &process{name: name, logPath: logPath, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	p.cmd.Env = env
	p.cmd.SysProcAttr = sysProcAttr()
	if err := spawn(p.cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
		p.mu.Lock()
		stopping := p.stopping
		p.mu.Unlock()
		if !stopping && onExit != nil {
			onExit(p)
		}
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after stopGrace, and waits for the exit.
// It reports an error only if the process had already died on its own.
func (p *process) stop() error {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	if p.exited() {
		return p.exitError("had exited before Stop")
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

// exitError describes how the process ended, with the tail of its log.
func (p *process) exitError(what string) error {
	return &ComponentError{Component: p.name, Err: fmt.Errorf("%s %s: %w", p.name, what, p.err), LogTail: tailFile(p.logPath, 30), LogPath: p.logPath}
}

// ComponentError is a component that failed to start or died; LogTail holds
// the last lines of its log.
type ComponentError struct {
	Component string
	Err       error
	LogPath   string
	LogTail   string
}

func (e *ComponentError) Error() string {
	return fmt.Sprintf("%v\n--- last lines of %s ---\n%s", e.Err, e.LogPath, e.LogTail)
}

func (e *ComponentError) Unwrap() error { return e.Err }

// addrInUse reports whether err is a component that could not bind one of
// the ports picked for it (another process took it in between).
func addrInUse(err error) bool {
	var ce *ComponentError
	return errors.As(err, &ce) && strings.Contains(ce.LogTail, "address already in use")
}

// tailFile returns the last n lines of path, or a note saying why not.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	const window = 64 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		_, _ = f.Seek(-window, io.SeekEnd)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
