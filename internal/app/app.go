// Package app resolves inputs (action inputs in GitHub Actions, flags on the
// command line), dispatches to a stage, writes the reports and turns the
// outcome into an exit code.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/kubeversion"
	"github.com/shipgate/shipgate/internal/stage"
)

// Exit codes: findings and failures to run are told apart.
const (
	ExitOK       = 0 // every check passed
	ExitFindings = 1 // the stage ran and found failures
	ExitError    = 2 // the stage could not run (bad input, git or API error)
)

// Version is shipgate's version, set at build time with -ldflags -X.
var Version = "v0.1.0-dev"

// IO is everything Run takes from the process.
type IO struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	// Sleep waits between polls; nil means a real, cancellable wait.
	Sleep func(context.Context, time.Duration) error
	// GitHubOptions are passed to the GitHub client (tests shorten retries).
	GitHubOptions []ghapi.Option
}

// Run runs shipgate once and returns the process exit code.
func Run(ctx context.Context, args []string, sys IO) int {
	if sys.Now == nil {
		sys.Now = time.Now
	}
	if sys.Sleep == nil {
		sys.Sleep = sleep
	}
	rt := actionio.New(sys.Getenv, sys.Stdout)
	routeKlog(rt)
	fail := func(err error) int {
		if rt.InActions() {
			rt.Errorf("%v", err)
		} else {
			fmt.Fprintf(sys.Stderr, "shipgate: %v\n", err)
		}
		return ExitError
	}
	if len(args) > 0 && args[0] == PostCommand {
		return runPost(ctx, rt, sys)
	}
	if len(args) > 0 && args[0] == "version" {
		fmt.Fprintf(sys.Stdout, "shipgate %s\n", Version)
		return ExitOK
	}
	in, err := readInputs(rt, args, sys.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return fail(err)
	}
	st, env, err := prepare(rt, in, sys)
	if err != nil {
		reportError(rt, in, nil, time.Time{}, sys.Now(), err)
		return fail(err)
	}
	return execute(ctx, st, env, sys, fail)
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// prepare validates every input and builds the stage's environment; it has
// no side effects beyond reading files.
func prepare(rt *actionio.Runtime, in stage.Inputs, sys IO) (stage.Stage, *stage.Env, error) {
	st, err := lookup(in.Stage)
	if err != nil {
		return nil, nil, err
	}
	env := &stage.Env{Inputs: in, RT: rt, Now: sys.Now, Sleep: sys.Sleep}
	var errs []error
	if in.ReportDir == "" {
		errs = append(errs, errors.New("input report-dir is empty; give a directory for reports, e.g. shipgate-report"))
	}
	if in.Manifests == "" {
		errs = append(errs, errors.New("input manifests is empty; give the path or glob of your Kubernetes YAML, e.g. deploy"))
	}
	if in.KubernetesVersion != "" {
		if env.Targets, err = kubeversion.ParseList(in.KubernetesVersion); err != nil {
			errs = append(errs, fmt.Errorf("input kubernetes-version: %w", err))
		} else {
			env.Target = env.Targets[0]
		}
	}
	if env.Config, err = config.Load(in.Repo, in.Config); err != nil {
		errs = append(errs, err)
	}
	if rt.InActions() {
		env.Job = rt.Job()
		ev, err := rt.Event()
		if err != nil {
			errs = append(errs, err)
		} else {
			env.Event = &ev
		}
		opts := append([]ghapi.Option{ghapi.WithLogf(rt.Logf)}, sys.GitHubOptions...)
		if env.GitHub, err = ghapi.New(env.Job.APIURL, in.GitHubToken, env.Job.Repository, opts...); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if err := st.Validate(env); err != nil {
		return nil, nil, err
	}
	return st, env, nil
}
