package app

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"

	"github.com/shipgate/shipgate/internal/actionio"
)

// routeKlog sends client-go's log (klog) to the step's log instead of the
// terminal's stderr, prefixed "client-go:". Errors that only say a watch
// ended because the run's context did (shutdown) are dropped; verbose
// lines are not written. klog's logger is set once, when the package is
// initialised, before any goroutine can read it (klog does not allow
// setting it concurrently); each call points it at rt.
func routeKlog(rt *actionio.Runtime) { klogRuntime.Store(rt) }

var klogRuntime atomic.Pointer[actionio.Runtime]

func init() {
	klog.SetLogger(logr.New(klogSink{logf: func(format string, args ...any) {
		if rt := klogRuntime.Load(); rt != nil {
			rt.Logf(format, args...)
		}
	}}))
}

// klogSink is a logr sink over a Logf.
type klogSink struct {
	logf   func(string, ...any)
	name   string
	values []any
}

func (s klogSink) Init(logr.RuntimeInfo) {}

// Enabled keeps only klog's default verbosity.
func (s klogSink) Enabled(level int) bool { return level <= 0 }

func (s klogSink) Info(_ int, msg string, kv ...any) { s.write(msg, kv) }

func (s klogSink) Error(err error, msg string, kv ...any) {
	if err != nil && strings.Contains(err.Error(), "context canceled") {
		return // a watch or request cut short by the run's end
	}
	s.write(msg, append([]any{"err", err}, kv...))
}

func (s klogSink) WithValues(kv ...any) logr.LogSink {
	s.values = append(s.values[:len(s.values):len(s.values)], kv...)
	return s
}

func (s klogSink) WithName(name string) logr.LogSink {
	if s.name != "" {
		name = s.name + "/" + name
	}
	s.name = name
	return s
}

func (s klogSink) write(msg string, kv []any) {
	var b strings.Builder
	b.WriteString("client-go: ")
	if s.name != "" {
		b.WriteString(s.name + ": ")
	}
	b.WriteString(msg)
	all := append(s.values[:len(s.values):len(s.values)], kv...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%q", all[i], fmt.Sprint(all[i+1]))
	}
	s.logf("%s", b.String())
}
