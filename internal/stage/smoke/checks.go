package smoke

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/health"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/smokecmd"
	"github.com/shipgate/shipgate/internal/stage"
)

// smokeChecks runs the config's smoke checks: Services through the API
// server's service proxy, URLs directly.
func smokeChecks(ctx context.Context, env *stage.Env, cl *provider.Cluster, dep deploy.Result) ([]result.Check, error) {
	var (
		cfg *rest.Config
		ns  string
		loc health.Locator
	)
	if cl != nil {
		cfg, ns = cl.Config, cl.Handle.UsedNamespace
		loc = health.LocateIn(dep.Objects, ns)
	}
	r, err := httpcheck.NewResolver(cfg, clientOf(cl), ns)
	if err != nil {
		return nil, err
	}
	checks, err := health.HTTPChecks(ctx, r, "smoke/", env.Config.Smoke.Checks, loc)
	if err != nil {
		return nil, fmt.Errorf("smoke checks: %w", err)
	}
	return checks, nil
}

// smokeCommand runs the smoke-command input with the cluster's kubeconfig
// and namespace in its environment, its output streamed to the log.
func smokeCommand(ctx context.Context, env *stage.Env, s settings, cl *provider.Cluster) ([]result.Check, []string, error) {
	var vars []string
	if cl != nil {
		vars = append(os.Environ(), "KUBECONFIG="+cl.KubeconfigFile, "SHIPGATE_NAMESPACE="+cl.Handle.UsedNamespace)
	}
	out := &lineLog{logf: env.RT.Logf}
	o, err := smokecmd.Run(ctx, smokecmd.Options{
		Command: env.Inputs.SmokeCommand, Dir: env.Inputs.Repo, RepoRoot: env.Inputs.Repo,
		Env: vars, Output: out, Timeout: s.timeout,
	})
	out.flush()
	if err != nil {
		return nil, nil, fmt.Errorf("input smoke-command: %w", err)
	}
	notes := o.Notes
	if o.Stopped != "" {
		notes = append(notes, "The smoke command was stopped: "+o.Stopped+".")
	}
	return o.Checks, notes, nil
}

// lineLog writes a command's output to the log a line at a time.
type lineLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	logf func(string, ...any)
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	// Every complete line of the buffer goes to the log in one write: a
	// suite of thousands of tests writes thousands of lines at a time.
	data := l.buf.Bytes()
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return len(p), nil // an unfinished line waits for the rest
	}
	lines := bytes.TrimSuffix(data[:end], []byte("\r")) // the last line's CRLF
	if bytes.Contains(lines, []byte("\r\n")) {
		lines = bytes.ReplaceAll(lines, []byte("\r\n"), []byte("\n"))
	}
	l.logf("%s", lines)
	l.buf.Next(end + 1)
	return len(p), nil
}

func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 0 {
		l.logf("%s", l.buf.String())
		l.buf.Reset()
	}
}
