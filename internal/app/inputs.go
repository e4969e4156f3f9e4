package app

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/stage"
)

// readInputs reads the action's inputs in GitHub Actions, or the command
// line outside it. The token is masked before anything else is logged.
func readInputs(rt *actionio.Runtime, args []string, stderr io.Writer) (stage.Inputs, error) {
	if rt.InActions() {
		in := stage.Inputs{
			Stage:             rt.Input("stage"),
			GitHubToken:       rt.Input("github-token"),
			KubernetesVersion: rt.Input("kubernetes-version"),
			Manifests:         rt.Input("manifests"),
			Config:            rt.Input("config"),
			ReportDir:         rt.Input("report-dir"),
			Repo:              rt.Getenv("GITHUB_WORKSPACE"),
		}
		rt.Mask(in.GitHubToken)
		if in.Repo == "" {
			in.Repo = "."
		}
		return in, nil
	}
	return parseFlags(args, stderr)
}

const usage = `shipgate %s — gates a Kubernetes change from pull request to production.

Usage:
  shipgate <stage> [flags]

Stages: %s (build, sandbox, smoke, promote and rollback come in later versions)

In GitHub Actions the same binary reads the action's inputs instead of flags.

Flags:
`

func parseFlags(args []string, stderr io.Writer) (stage.Inputs, error) {
	fs := flag.NewFlagSet("shipgate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, Version, available())
		fs.PrintDefaults()
	}
	var in stage.Inputs
	fs.StringVar(&in.Repo, "repo", ".", "the git repository to check")
	fs.StringVar(&in.Base, "base", "main", "the branch to merge into; its tip is fetched from origin when the repository has one")
	fs.StringVar(&in.Head, "head", "HEAD", "the revision to merge (the pull request's head)")
	fs.StringVar(&in.KubernetesVersion, "kubernetes-version", "", "target Kubernetes version, e.g. v1.31.0 (enables the removed-API check)")
	fs.StringVar(&in.Manifests, "manifests", "deploy", "path or glob of the Kubernetes YAML, relative to the repository")
	fs.StringVar(&in.Config, "config", "", "shipgate config file, relative to the repository")
	fs.StringVar(&in.ReportDir, "report-dir", "shipgate-report", "where JUnit XML and reports are written, relative to the repository")
	if len(args) == 0 {
		fs.Usage()
		return in, fmt.Errorf("no stage given; use one of: %s", available())
	}
	if strings.HasPrefix(args[0], "-") {
		if err := fs.Parse(args); err != nil {
			return in, err
		}
		return in, fmt.Errorf("the stage comes first: shipgate <stage> [flags]; stages: %s", available())
	}
	in.Stage = args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return in, err
	}
	if fs.NArg() > 0 {
		return in, fmt.Errorf("unexpected argument %q; flags go after the stage, e.g. shipgate merge-check --base main", fs.Arg(0))
	}
	return in, nil
}

// resolve makes p relative to the repository unless it is absolute or empty.
func resolve(repo, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(repo, p)
}
