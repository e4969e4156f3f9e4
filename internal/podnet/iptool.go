package podnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Package that provides the ip command on Debian, named in errors.
const iproute2Package = "iproute2"

// ipTool runs iproute2's ip command.
type ipTool struct {
	path string
}

// findIP returns the ip command: path when set, else ip from PATH, else the
// places Debian installs it (root's PATH may lack /usr/sbin under sudo -E).
func findIP(path string) (ipTool, error) {
	if path != "" {
		if _, err := exec.LookPath(path); err != nil {
			return ipTool{}, fmt.Errorf("ip command %q (Options.IP): %w", path, err)
		}
		return ipTool{path: path}, nil
	}
	if p, err := exec.LookPath("ip"); err == nil {
		return ipTool{path: p}, nil
	}
	for _, p := range []string{"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"} {
		if _, err := os.Stat(p); err == nil {
			return ipTool{path: p}, nil
		}
	}
	return ipTool{}, fmt.Errorf("ip command not found in PATH or /usr/sbin, /sbin: install the Debian package %s (apt-get install -y %s)", iproute2Package, iproute2Package)
}

// run runs ip with args and returns its stdout. The error carries the
// command line and ip's stderr.
func (t ipTool) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, t.path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = errors.Join(err, ctxErr)
		}
		return nil, &ipError{Args: args, Stderr: msg, Err: err}
	}
	return out, nil
}

// ipError is a failed ip command.
type ipError struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *ipError) Error() string {
	s := fmt.Sprintf("ip %s: %v", strings.Join(e.Args, " "), e.Err)
	if e.Stderr != "" {
		s += ": " + e.Stderr
	}
	return s
}

func (e *ipError) Unwrap() error { return e.Err }

// stderrHas reports whether err is an ipError whose stderr contains one of
// the given messages.
func stderrHas(err error, msgs ...string) bool {
	var ie *ipError
	if !errors.As(err, &ie) {
		return false
	}
	for _, m := range msgs {
		if strings.Contains(ie.Stderr, m) {
			return true
		}
	}
	return false
}
