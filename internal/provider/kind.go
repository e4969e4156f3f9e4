package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/shipgate/shipgate/internal/kindcluster"
)

// openKind creates a kind cluster on the runner's Docker. Its name is saved
// in the handle before kind is called, so the post step deletes a cluster
// that this process did not live to finish.
func openKind(ctx context.Context, spec Spec, save func(Handle) error) (*Cluster, error) {
	name := kindcluster.NewName(spec.RunID, "")
	c := &Cluster{Handle: Handle{Provider: Kind, ClusterName: name}, disposable: true}
	if err := save(c.Handle); err != nil {
		return nil, err
	}
	kc, err := kindcluster.Create(ctx, kindcluster.Options{
		KubernetesVersion: spec.KubernetesVersion, NodeImage: spec.NodeImage, ConfigFile: spec.KindConfig,
		Name: name, ArchivePath: spec.ImageArchive, Workspace: spec.Workspace, ReportDir: spec.ReportDir,
		InContainer: spec.InContainer, Timeout: spec.Timeout, Logf: spec.Logf,
	})
	if err != nil {
		return nil, fmt.Errorf("provider kind: %w", err)
	}
	c.onClose(true, kc.Delete)
	c.Config = kc.RestConfig
	if c.Client, err = kubernetes.NewForConfig(kc.RestConfig); err != nil {
		return nil, fmt.Errorf("provider kind: %w", err)
	}
	c.KubeconfigFile = kc.KubeconfigPath
	// Later steps run on the host, in the workspace: give them the external
	// kubeconfig relative to it.
	if rel, err := filepath.Rel(spec.Workspace, kc.ExternalKubeconfigPath); err == nil {
		c.KubeconfigPath = filepath.ToSlash(rel)
	} else {
		c.KubeconfigPath = kc.ExternalKubeconfigPath
	}
	c.exportLogs = func(ctx context.Context, dir string) string {
		if err := kc.ExportLogs(ctx, dir); err != nil {
			return "kind's logs could not be exported: " + err.Error()
		}
		return "kind's node logs (kind export logs) in `" + dir + "`."
	}
	if c.ServerVersion, err = serverVersion(ctx, c.Client, time.Minute); err != nil {
		return nil, fmt.Errorf("provider kind: %w", err)
	}
	c.PodNetwork = true
	c.Notes = append(c.Notes, fmt.Sprintf("kind cluster %s, node image %s.", name, kc.NodeImage))
	return c, nil
}

// deleteKind deletes the kind cluster name from another process (the post
// step).
func deleteKind(ctx context.Context, name string, spec Spec) error {
	kc, err := kindcluster.Attach(name, kindcluster.Options{Workspace: spec.Workspace, Logf: spec.Logf})
	if err != nil {
		return err
	}
	return kc.Delete(ctx)
}
