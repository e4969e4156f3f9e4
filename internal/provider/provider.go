// Package provider gives the sandbox and smoke stages a cluster and a fresh
// namespace in it, and takes both away again: kind (a throwaway cluster on
// the runner's Docker), existing (a cluster given by kubeconfig, where only
// the namespace is ours) and local (the local control plane with its pod
// network, the default outside Actions).
//
// What Open makes is described by a Handle, saved before anything is
// created, so a later process (the action's post step) can delete it even
// when the stage was killed half-way.
package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The providers.
const (
	Kind     = "kind"
	Existing = "existing"
	Local    = "local"
)

// Names lists the providers, for error messages.
var Names = []string{Kind, Existing, Local}

// Spec is what a stage asks for.
type Spec struct {
	// Provider is Kind, Existing or Local.
	Provider string
	// KubernetesVersion is the target version, e.g. v1.31.0 (kind picks its
	// node image by it; local reports the version it runs).
	KubernetesVersion string
	// NodeImage overrides kind's pinned node image.
	NodeImage string
	// KindConfig is a kind config file.
	KindConfig string
	// ImageArchive is an image archive (docker save) kind loads into its
	// nodes: the pull request's image for this runner's architecture.
	ImageArchive string
	// Kubeconfig is kubeconfig content for Existing (a secret).
	Kubeconfig string
	// KubeconfigPath is a kubeconfig file for Existing.
	KubeconfigPath string
	// Namespace, when set, is used as it is and never deleted; otherwise a
	// fresh one is made from RunID.
	Namespace string
	// RunID names the run: the workflow run and attempt in Actions
	// ("1234-1"), random on the command line.
	RunID string
	// Workspace is where a kubeconfig for later steps on the host goes
	// (kind only), and ReportDir where kind's logs go on failure.
	Workspace, ReportDir string
	// InContainer says this process runs in the action's container.
	InContainer bool
	// Timeout bounds the making of the cluster; 5 minutes when zero.
	Timeout time.Duration
	// Logf receives progress lines.
	Logf func(format string, args ...any)
}

// Cluster is a cluster ready for a stage, with the namespace to use.
type Cluster struct {
	Handle Handle
	// Config reaches the API server from this process.
	Config *rest.Config
	Client kubernetes.Interface
	// KubeconfigPath is a kubeconfig for later steps on the host (empty
	// when the provider has none to share, e.g. existing: use your own
	// secret).
	KubeconfigPath string
	// KubeconfigFile is a kubeconfig (mode 0600) for commands this process
	// runs, e.g. a smoke command; removed by Release.
	KubeconfigFile string
	// ServerVersion is the version the API server reports.
	ServerVersion string
	// Notes are lines for the report (e.g. the node image used, or that
	// the local provider runs another version than the target).
	Notes []string
	// PodNetwork says whether Services answer HTTP: true for real clusters,
	// false for the local provider when it cannot make a pod network.
	PodNetwork bool

	closers    []closer
	exportLogs func(ctx context.Context, dir string) string
	// disposable says Close throws the whole cluster away (local, kind),
	// so what lives in it (the run's namespace) needs no deleting of its
	// own; Release keeps the cluster whole (keep-on-failure).
	disposable bool
}

// closer undoes one thing Open did. Resources (a kind cluster, a
// namespace) outlive the process unless removed; the rest (processes,
// credential files) go with Release.
type closer struct {
	resource bool
	fn       func(ctx context.Context) error
}

// Handle says what Open made, so that Cleanup can remove it, in this
// process or a later one.
type Handle struct {
	Provider string `json:"provider"`
	// ClusterName is kind's cluster; empty for the others.
	ClusterName string `json:"cluster_name,omitempty"`
	// Namespace is the namespace made for the run; empty when it was given.
	Namespace string `json:"namespace,omitempty"`
	// UsedNamespace is the namespace the stage deploys into.
	UsedNamespace string `json:"used_namespace"`
	// Files are files holding credentials, removed at cleanup.
	Files []string `json:"files,omitempty"`
	// Keep says the run kept it for debugging (keep-on-failure): Cleanup
	// leaves it.
	Keep bool `json:"keep,omitempty"`
}

// Validate checks a spec before any side effect.
func (s Spec) Validate() error {
	var errs []error
	switch s.Provider {
	case Kind, Local:
	case Existing:
		if s.Kubeconfig == "" && s.KubeconfigPath == "" {
			errs = append(errs, errors.New("provider existing needs a kubeconfig: set the kubeconfig input from a secret (e.g. kubeconfig: ${{ secrets.KUBECONFIG }})"))
		}
	case "":
		errs = append(errs, fmt.Errorf("input provider is empty; use one of: %s", strings.Join(Names, ", ")))
	default:
		errs = append(errs, fmt.Errorf("input provider %q is not a provider; use one of: %s", s.Provider, strings.Join(Names, ", ")))
	}
	if s.Namespace != "" && !dnsLabel(s.Namespace) {
		errs = append(errs, fmt.Errorf("input namespace %q is not a valid namespace name: use lower-case letters, digits and '-', at most 63", s.Namespace))
	}
	return errors.Join(errs...)
}

// RunName returns the name of a run in Actions (run id and attempt), or a
// random one outside it.
func RunName(runID, attempt int64) string {
	if runID != 0 {
		return fmt.Sprintf("%d-%d", runID, max(attempt, 1))
	}
	b := make([]byte, 3)
	rand.Read(b)
	return "local-" + hex.EncodeToString(b)
}

func dnsLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Open makes the cluster and namespace spec asks for. save receives the
// Handle before anything is created and again once it is complete; it must
// persist it for a later Cleanup. On error, what was made is removed.
func Open(ctx context.Context, spec Spec, save func(Handle) error) (*Cluster, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if spec.Logf == nil {
		spec.Logf = func(string, ...any) {}
	}
	var (
		c   *Cluster
		err error
	)
	switch spec.Provider {
	case Local:
		c, err = openLocal(ctx, spec)
	case Existing:
		c, err = openExisting(ctx, spec, save)
	case Kind:
		c, err = openKind(ctx, spec, save)
	}
	if err != nil {
		return nil, err
	}
	if err := c.useNamespace(ctx, spec, save); err != nil {
		return nil, errors.Join(err, c.Close(context.WithoutCancel(ctx)))
	}
	return c, nil
}

// Close removes everything Open made, last made first. It is idempotent.
func (c *Cluster) Close(ctx context.Context) error { return c.run(ctx, true) }

// Release ends what cannot outlive this process (the local control plane,
// credential files) and leaves the cluster and namespace in place, for a
// later step and for Cleanup in the post step, or for debugging.
func (c *Cluster) Release(ctx context.Context) error { return c.run(ctx, false) }

func (c *Cluster) run(ctx context.Context, resources bool) error {
	var errs []error
	for i := len(c.closers) - 1; i >= 0; i-- {
		if cl := c.closers[i]; resources || !cl.resource {
			errs = append(errs, cl.fn(ctx))
		}
	}
	c.closers = nil // what was kept is Cleanup's, by the Handle
	return errors.Join(errs...)
}

func (c *Cluster) onClose(resource bool, f func(ctx context.Context) error) {
	c.closers = append(c.closers, closer{resource: resource, fn: f})
}

// ExportLogs writes the cluster's own logs (kind's node logs) into dir and
// returns a note saying where, or "" when the provider has none to give.
func (c *Cluster) ExportLogs(ctx context.Context, dir string) string {
	if c.exportLogs == nil {
		return ""
	}
	return c.exportLogs(ctx, dir)
}
