package kindcluster

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Reporter is the part of testing.TB the fakes report through.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// calls records the calls a fake got, in order.
type calls struct {
	mu   sync.Mutex
	list []string
}

func (c *calls) add(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, fmt.Sprintf(format, args...))
}

// Calls returns the calls so far, one line each, e.g. "Create shipgate-x".
func (c *calls) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.list...)
}

// unexpected fails the test: no function was given for the call.
func unexpected(t Reporter, call string) error {
	t.Helper()
	t.Errorf("unexpected call %s", call)
	return fmt.Errorf("unexpected call %s", call)
}

// FakeProvider is a Provider for tests. Each method records the call and
// calls the function of the same name; when that function is nil it fails
// the test through T and returns an error.
type FakeProvider struct {
	T               Reporter
	CreateFunc      func(name string, opts CreateOptions) error
	DeleteFunc      func(name, kubeconfigPath string) error
	KubeConfigFunc  func(name string, internal bool) (string, error)
	NodesFunc       func(name string) ([]string, error)
	LoadImageFunc   func(name, node string, archive io.Reader) error
	CollectLogsFunc func(name, dir string) error
	calls
}

var _ Provider = (*FakeProvider)(nil)

// Create records "Create <name>".
func (f *FakeProvider) Create(name string, opts CreateOptions) error {
	call := "Create " + name
	f.add("%s", call)
	if f.CreateFunc == nil {
		return unexpected(f.T, call)
	}
	return f.CreateFunc(name, opts)
}

// Delete records "Delete <name>".
func (f *FakeProvider) Delete(name, kubeconfigPath string) error {
	call := "Delete " + name
	f.add("%s", call)
	if f.DeleteFunc == nil {
		return unexpected(f.T, call)
	}
	return f.DeleteFunc(name, kubeconfigPath)
}

// KubeConfig records "KubeConfig <name> internal=<bool>".
func (f *FakeProvider) KubeConfig(name string, internal bool) (string, error) {
	call := fmt.Sprintf("KubeConfig %s internal=%t", name, internal)
	f.add("%s", call)
	if f.KubeConfigFunc == nil {
		return "", unexpected(f.T, call)
	}
	return f.KubeConfigFunc(name, internal)
}

// Nodes records "Nodes <name>".
func (f *FakeProvider) Nodes(name string) ([]string, error) {
	call := "Nodes " + name
	f.add("%s", call)
	if f.NodesFunc == nil {
		return nil, unexpected(f.T, call)
	}
	return f.NodesFunc(name)
}

// LoadImage records "LoadImage <name> <node>".
func (f *FakeProvider) LoadImage(name, node string, archive io.Reader) error {
	call := fmt.Sprintf("LoadImage %s %s", name, node)
	f.add("%s", call)
	if f.LoadImageFunc == nil {
		return unexpected(f.T, call)
	}
	return f.LoadImageFunc(name, node, archive)
}

// CollectLogs records "CollectLogs <name> <dir>".
func (f *FakeProvider) CollectLogs(name, dir string) error {
	call := fmt.Sprintf("CollectLogs %s %s", name, dir)
	f.add("%s", call)
	if f.CollectLogsFunc == nil {
		return unexpected(f.T, call)
	}
	return f.CollectLogsFunc(name, dir)
}

// FakeRunner is a Runner for tests: Run records the command line and calls
// RunFunc; when RunFunc is nil it fails the test through T.
type FakeRunner struct {
	T       Reporter
	RunFunc func(ctx context.Context, name string, args ...string) ([]byte, error)
	calls
}

var _ Runner = (*FakeRunner)(nil)

// Run records "<name> <args...>".
func (f *FakeRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	call := strings.Join(append([]string{name}, args...), " ")
	f.add("%s", call)
	if f.RunFunc == nil {
		return nil, unexpected(f.T, call)
	}
	return f.RunFunc(ctx, name, args...)
}
