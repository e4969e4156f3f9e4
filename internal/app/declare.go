package app

import (
	"slices"

	"github.com/shipgate/shipgate/internal/stage"
)

// decl declares one input once: the action input and the CLI flag are read
// from it, `shipgate <stage> --help` lists it for its stages, and a test
// keeps action.yml's inputs equal to the table.
type decl struct {
	// name is the action input; empty for a flag the action does not have.
	name string
	// flag is the CLI flag: name when empty, "-" for an input the CLI does
	// not take (secrets, which would show in the process list).
	flag string
	// def is the default of both; cliDef, when set, the CLI's where it
	// differs from action.yml's (e.g. provider: kind on runners, local on a
	// laptop).
	def, cliDef string
	// boolean inputs take true or false; the flag may stand alone.
	boolean bool
	// secret inputs are masked as soon as they are read.
	secret bool
	// stages that read it; nil means every stage.
	stages []string
	help   string
	field  func(*stage.Inputs) *string
}

// Stage sets of the declarations.
var (
	clusterStages = []string{"sandbox", "smoke", "promote", "rollback"}
	imageStages   = []string{"build", "sandbox", "smoke", "promote"}
	// historyStages read a cluster's revision history.
	historyStages = append(slices.Clone(clusterStages), "history")
)

// decls is the table of every input: the action's inputs in action.yml's
// order, then the CLI's own flags.
var decls = []decl{
	{name: "stage", flag: "-", help: "which stage to run",
		field: func(in *stage.Inputs) *string { return &in.Stage }},
	{name: "github-token", flag: "-", def: "${{ github.token }}", secret: true, help: "token for check runs and pull requests",
		field: func(in *stage.Inputs) *string { return &in.GitHubToken }},
	{name: "kubernetes-version", help: "target Kubernetes version, e.g. v1.31.0 (merge-check: the removed-API check)",
		field: func(in *stage.Inputs) *string { return &in.KubernetesVersion }},
	{name: "manifests", def: "deploy", help: "path or glob of the Kubernetes YAML, relative to the repository",
		field: func(in *stage.Inputs) *string { return &in.Manifests }},
	{name: "config", help: "shipgate config file, relative to the repository",
		field: func(in *stage.Inputs) *string { return &in.Config }},
	{name: "report-dir", def: "shipgate-report", help: "where JUnit XML and reports are written, relative to the repository",
		field: func(in *stage.Inputs) *string { return &in.ReportDir }},
	{name: "provider", def: "kind", cliDef: "local", stages: clusterStages,
		help:  "cluster: local (a control plane on this machine), kind or existing",
		field: func(in *stage.Inputs) *string { return &in.Provider }},
	{name: "node-image", stages: clusterStages, help: "kind node image, overriding the one pinned for --kubernetes-version",
		field: func(in *stage.Inputs) *string { return &in.NodeImage }},
	{name: "kind-config", stages: clusterStages, help: "kind config file, relative to the repository",
		field: func(in *stage.Inputs) *string { return &in.KindConfig }},
	{name: "kubeconfig", flag: "-", secret: true, stages: historyStages, help: "kubeconfig content for provider existing",
		field: func(in *stage.Inputs) *string { return &in.Kubeconfig }},
	{name: "production-kubeconfig", flag: "-", secret: true, stages: []string{"sandbox"},
		help:  "production's kubeconfig, bound to a read-only role (get and list): the sandbox measures its parity with production",
		field: func(in *stage.Inputs) *string { return &in.ProductionKubeconfig }},
	{name: "kubeconfig-path", flag: "kubeconfig", stages: historyStages,
		help:  "kubeconfig file of the cluster for provider existing (or of a cluster an earlier step made)",
		field: func(in *stage.Inputs) *string { return &in.KubeconfigPath }},
	{name: "namespace", stages: historyStages, help: "namespace to deploy into; a fresh shipgate-<run> namespace when empty",
		field: func(in *stage.Inputs) *string { return &in.Namespace }},
	{name: "timeout", def: "10m", stages: append([]string{"build"}, clusterStages...),
		help:  "how long to wait for the manifests to be ready; build merge: the registry deadline",
		field: func(in *stage.Inputs) *string { return &in.Timeout }},
	{name: "keep-on-failure", def: "false", boolean: true, stages: []string{"sandbox"},
		help:  "keep the sandbox cluster or namespace after a failure, for debugging",
		field: func(in *stage.Inputs) *string { return &in.KeepOnFailure }},
	{name: "image", stages: imageStages,
		help:  "the image under test; containers whose image has the same repository get it (build merge: the repository of the index)",
		field: func(in *stage.Inputs) *string { return &in.Image }},
	{name: "smoke-command", stages: []string{"smoke"}, help: "a command to run as the smoke test, e.g. 'go test ./e2e -v'",
		field: func(in *stage.Inputs) *string { return &in.SmokeCommand }},
	{name: "disruption", def: "false", boolean: true, stages: []string{"smoke"},
		help:  "watch a rollout from --base to --head and measure disruption",
		field: func(in *stage.Inputs) *string { return &in.Disruption }},
	{name: "build-step", cliDef: "plan", stages: []string{"build"},
		help:  "plan (the matrix) or merge (the verified image index)",
		field: func(in *stage.Inputs) *string { return &in.BuildStep }},
	{name: "platforms", def: "linux/amd64,linux/arm64", stages: []string{"build"}, help: "platforms of the image, comma-separated",
		field: func(in *stage.Inputs) *string { return &in.Platforms }},
	{name: "runners", stages: []string{"build"}, help: "platform=runner lines overriding the default runners",
		field: func(in *stage.Inputs) *string { return &in.Runners }},
	{name: "emulate", def: "false", boolean: true, stages: []string{"build"}, help: "build every platform on one runner with QEMU",
		field: func(in *stage.Inputs) *string { return &in.Emulate }},
	{name: "digests", stages: []string{"build"}, help: "build merge: platform=digest lines from the build jobs",
		field: func(in *stage.Inputs) *string { return &in.Digests }},
	{name: "tags", stages: []string{"build"}, help: "build merge: tags for the index",
		field: func(in *stage.Inputs) *string { return &in.Tags }},
	{name: "merge-method", def: "merge", stages: []string{"auto-merge"}, help: "merge, squash or rebase",
		field: func(in *stage.Inputs) *string { return &in.MergeMethod }},
	{name: "merge-token", flag: "-", secret: true, stages: []string{"auto-merge"}, help: "a GitHub App token or PAT to merge with",
		field: func(in *stage.Inputs) *string { return &in.MergeToken }},
	{name: "head-sha", flag: "-", stages: []string{"auto-merge", "build"}, help: "the head commit the gates tested",
		field: func(in *stage.Inputs) *string { return &in.HeadSHA }},
	{name: "environment", stages: []string{"promote", "rollback", "history"},
		help:  "the environment, also the name of the revision history, e.g. production",
		field: func(in *stage.Inputs) *string { return &in.Environment }},
	{name: "to-revision", stages: []string{"rollback"}, help: "the revision number to return to; empty returns to the last good one",
		field: func(in *stage.Inputs) *string { return &in.ToRevision }},
	{name: "fast-track", def: "false", boolean: true, stages: []string{"rollback"},
		help:  "skip the checks and restore traffic at once",
		field: func(in *stage.Inputs) *string { return &in.FastTrack }},
	{name: "reason", stages: []string{"rollback"}, help: "why, recorded in the revision history",
		field: func(in *stage.Inputs) *string { return &in.Reason }},

	// The CLI's own: in Actions these come from the workspace and the event.
	{flag: "repo", def: ".", help: "the git repository",
		field: func(in *stage.Inputs) *string { return &in.Repo }},
	{flag: "production-kubeconfig", stages: []string{"sandbox"},
		help:  "production's kubeconfig file, bound to a read-only role (get and list): the sandbox measures its parity with production",
		field: func(in *stage.Inputs) *string { return &in.ProductionKubeconfigPath }},
	{flag: "base", def: "main", stages: []string{"merge-check", "smoke"},
		help:  "the branch to merge into; its tip is fetched from origin when the repository has one",
		field: func(in *stage.Inputs) *string { return &in.Base }},
	{flag: "head", def: "HEAD", stages: []string{"merge-check", "smoke"}, help: "the revision to merge (the pull request's head)",
		field: func(in *stage.Inputs) *string { return &in.Head }},
}

// flagName is d's CLI flag, or "" when the CLI does not take it.
func (d decl) flagName() string {
	switch d.flag {
	case "-":
		return ""
	case "":
		return d.name
	}
	return d.flag
}

// flagDefault is d's default on the command line.
func (d decl) flagDefault() string {
	if d.cliDef != "" {
		return d.cliDef
	}
	return d.def
}

// for reports whether stage st reads d; an unknown stage reads every input,
// so its flags parse and the stage's name is what the error is about.
func (d decl) forStage(st string) bool {
	if _, known := stages[st]; !known || d.stages == nil {
		return true
	}
	return slices.Contains(d.stages, st)
}
