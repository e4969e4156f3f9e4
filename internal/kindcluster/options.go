package kindcluster

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// Defaults of Options.
const (
	DefaultWaitForReady = 2 * time.Minute
	DefaultTimeout      = 10 * time.Minute
)

// Options configures Create. Only Workspace must be set: the zero value of
// every other field is its default.
type Options struct {
	// KubernetesVersion (the kubernetes-version input), e.g. v1.33.4 or
	// v1.33, picks the pinned node image; empty: kind's default image.
	KubernetesVersion string
	// NodeImage (the node-image input) overrides the pinned image.
	NodeImage string
	// ConfigFile (the kind-config input) is a kind config file
	// (kind.x-k8s.io/v1alpha4); its nodes without an image get ours.
	ConfigFile string
	// Name is the cluster's name; empty: NewName("", "").
	Name string
	// ArchivePath, when set, is an image archive (docker save) loaded into
	// every node.
	ArchivePath string
	// Workspace is where the kubeconfig files go, in Workspace/.shipgate;
	// in Actions, GITHUB_WORKSPACE, which later steps on the host share.
	Workspace string
	// ReportDir, when set, receives the cluster's logs when creating it
	// fails, in ReportDir/kind-logs/<name>/.
	ReportDir string
	// InContainer says this process runs in a container (a container
	// action): Create connects the container to kind's network and uses the
	// internal kubeconfig.
	InContainer bool
	// ContainerID is this container's id; empty: ContainerID() finds it.
	ContainerID string
	// KeepOnFailure keeps a cluster that failed to come up, for debugging,
	// and then does not retry.
	KeepOnFailure bool
	// WaitForReady is how long kind waits for the control plane to be Ready;
	// default DefaultWaitForReady.
	WaitForReady time.Duration
	// Timeout bounds all of Create, both attempts included; default
	// DefaultTimeout.
	Timeout time.Duration
	// Logf receives progress lines; nil: none.
	Logf func(format string, args ...any)
	// Provider is kind; nil: NewKindProvider(Logf).
	Provider Provider
	// Runner runs the docker CLI; nil: ExecRunner.
	Runner Runner
}

// plan is Options checked and defaulted: everything Create needs, found
// without a side effect.
type plan struct {
	Options
	image       string
	config      *v1alpha4.Cluster
	containerID string
}

func (o Options) plan() (plan, error) {
	p := plan{Options: o}
	var errs []error
	img, err := NodeImage(o.KubernetesVersion, o.NodeImage)
	errs = append(errs, err)
	p.image = img
	if o.ConfigFile != "" {
		// Checked even when the image is not known, to report both.
		p.config, err = loadConfig(o.ConfigFile, img)
		errs = append(errs, err)
	} else {
		p.config = &v1alpha4.Cluster{Nodes: []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole, Image: img}}}
	}
	if p.Name == "" {
		p.Name = NewName("", "")
	}
	errs = append(errs, checkName(p.Name))
	if o.ArchivePath != "" {
		errs = append(errs, checkArchive(o.ArchivePath))
	}
	if o.Workspace == "" {
		errs = append(errs, errors.New("workspace is empty: set the directory the kubeconfig for later steps goes to (GITHUB_WORKSPACE in Actions)"))
	} else if fi, err := os.Stat(o.Workspace); err != nil || !fi.IsDir() {
		errs = append(errs, fmt.Errorf("workspace %s is not a directory; create it or set another", o.Workspace))
	}
	if p.WaitForReady == 0 {
		p.WaitForReady = DefaultWaitForReady
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTimeout
	}
	if p.WaitForReady < 0 || p.Timeout <= p.WaitForReady {
		errs = append(errs, fmt.Errorf("timeout %s and wait-for-ready %s: the timeout must be longer than the wait, e.g. 10m and 2m", p.Timeout, p.WaitForReady))
	}
	if o.InContainer && o.ContainerID == "" {
		p.containerID, err = ContainerID()
		errs = append(errs, err)
	} else {
		p.containerID = o.ContainerID
	}
	if p.Logf == nil {
		p.Logf = func(string, ...any) {}
	}
	if p.Provider == nil {
		p.Provider = NewKindProvider(p.Logf)
	}
	if p.Runner == nil {
		p.Runner = ExecRunner{}
	}
	return p, errors.Join(errs...)
}

// checkArchive checks that path is a tar archive that holds manifest.json,
// as docker save writes it. Only the headers are read.
func checkArchive(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("image archive: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("image archive %s has no manifest.json; write it with docker save (or crane pull --format=legacy)", path)
		}
		if err != nil {
			return fmt.Errorf("image archive %s is not a tar archive (%v); write it with docker save", path, err)
		}
		if filepath.Clean(h.Name) == "manifest.json" {
			return nil
		}
	}
}
