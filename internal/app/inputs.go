package app

import (
	"flag"
	"fmt"
	"io"
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
			Provider:          rt.Input("provider"),
			NodeImage:         rt.Input("node-image"),
			KindConfig:        rt.Input("kind-config"),
			Kubeconfig:        rt.Input("kubeconfig"),
			KubeconfigPath:    rt.Input("kubeconfig-path"),
			Namespace:         rt.Input("namespace"),
			Timeout:           rt.Input("timeout"),
			KeepOnFailure:     rt.Input("keep-on-failure"),
			Image:             rt.Input("image"),
			SmokeCommand:      rt.Input("smoke-command"),
			Disruption:        rt.Input("disruption"),
			BuildStep:         rt.Input("build-step"),
			Platforms:         rt.Input("platforms"),
			Runners:           rt.Input("runners"),
			Emulate:           rt.Input("emulate"),
			Digests:           rt.Input("digests"),
			Tags:              rt.Input("tags"),
			MergeMethod:       rt.Input("merge-method"),
			MergeToken:        rt.Input("merge-token"),
			HeadSHA:           rt.Input("head-sha"),
			Environment:       rt.Input("environment"),
			ToRevision:        rt.Input("to-revision"),
			FastTrack:         rt.Input("fast-track"),
			Reason:            rt.Input("reason"),
		}
		rt.Mask(in.GitHubToken)
		rt.Mask(in.MergeToken)
		maskKubeconfig(rt, in.Kubeconfig)
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

Stages: %s (promote and rollback come in later versions)

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
	fs.StringVar(&in.Provider, "provider", "local", "sandbox/smoke cluster: local (a control plane on this machine), kind or existing")
	fs.StringVar(&in.NodeImage, "node-image", "", "kind node image, overriding the one pinned for --kubernetes-version")
	fs.StringVar(&in.KindConfig, "kind-config", "", "kind config file, relative to the repository")
	fs.StringVar(&in.KubeconfigPath, "kubeconfig", "", "kubeconfig file of the cluster for provider existing (or of a cluster an earlier step made)")
	fs.StringVar(&in.Namespace, "namespace", "", "namespace to deploy into; a fresh shipgate-<run> namespace when empty")
	fs.StringVar(&in.Timeout, "timeout", "10m", "how long the sandbox waits for the manifests to be ready")
	fs.StringVar(&in.KeepOnFailure, "keep-on-failure", "false", "keep the sandbox cluster after a failure, for debugging")
	fs.StringVar(&in.Image, "image", "", "the image under test; containers whose image has the same repository get it")
	fs.StringVar(&in.SmokeCommand, "smoke-command", "", "a command to run as the smoke test, e.g. 'go test ./e2e -v'")
	fs.StringVar(&in.Disruption, "disruption", "false", "watch a rollout from --base to --head and measure disruption")
	fs.StringVar(&in.BuildStep, "build-step", "plan", "build: plan (the matrix) or merge (the verified image index)")
	fs.StringVar(&in.Platforms, "platforms", "linux/amd64,linux/arm64", "build: platforms of the image")
	fs.StringVar(&in.Runners, "runners", "", "build: platform=runner lines overriding the default runners")
	fs.StringVar(&in.Emulate, "emulate", "false", "build: build every platform on one runner with QEMU")
	fs.StringVar(&in.Digests, "digests", "", "build merge: platform=digest lines from the build jobs")
	fs.StringVar(&in.Tags, "tags", "", "build merge: tags for the index")
	fs.StringVar(&in.Environment, "environment", "", "promote, rollback: the environment, also the name of the revision history, e.g. production")
	fs.StringVar(&in.ToRevision, "to-revision", "", "rollback: the revision number to return to; empty returns to the last good one")
	fs.StringVar(&in.FastTrack, "fast-track", "false", "rollback: skip the checks and restore traffic at once")
	fs.StringVar(&in.Reason, "reason", "", "rollback: why, recorded in the revision history")
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

// maskKubeconfig masks the credentials in a kubeconfig input (tokens,
// passwords, client keys and certificates), each value on its own, so none
// shows in a log even when quoted alone. Other values (server, names) are
// left readable.
func maskKubeconfig(rt *actionio.Runtime, kubeconfig string) {
	for _, line := range strings.Split(kubeconfig, "\n") {
		key, v, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- ")), ":")
		if ok && secretKeys[strings.Trim(key, `"' `)] {
			rt.Mask(strings.Trim(strings.TrimSpace(v), `"'`))
		}
	}
}

// secretKeys are the kubeconfig fields that hold credentials.
var secretKeys = map[string]bool{
	"token": true, "password": true, "client-key-data": true, "client-certificate-data": true,
	"id-token": true, "refresh-token": true, "access-token": true, "client-secret": true,
}
