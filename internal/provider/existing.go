package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shipgate/shipgate/internal/kube"
)

// openExisting connects to the cluster of a kubeconfig; only the namespace
// is the run's.
func openExisting(ctx context.Context, spec Spec, save func(Handle) error) (*Cluster, error) {
	c := &Cluster{Handle: Handle{Provider: Existing}}
	cfg, err := restConfig(spec)
	if err != nil {
		return nil, err
	}
	c.Config = cfg
	if c.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, fmt.Errorf("provider existing: %w", err)
	}
	if c.ServerVersion, err = serverVersion(ctx, c.Client, cmp.Or(spec.Timeout, time.Minute)); err != nil {
		return nil, fmt.Errorf("provider existing: the cluster of the kubeconfig input does not answer: %w", err)
	}
	// Commands this process runs (a smoke command) get the credentials in a
	// file only this user can read, removed at Release.
	if spec.Kubeconfig != "" {
		f, err := os.CreateTemp("", "shipgate-kubeconfig-*")
		if err != nil {
			return nil, fmt.Errorf("provider existing: %w", err)
		}
		path := f.Name()
		c.onClose(false, func(context.Context) error { return removeFile(path) })
		err = errors.Join(f.Chmod(0o600), writeAll(f, spec.Kubeconfig), f.Close())
		if err != nil {
			return nil, errors.Join(fmt.Errorf("provider existing: write kubeconfig: %w", err), c.Close(ctx))
		}
		c.KubeconfigFile = path
	} else {
		c.KubeconfigFile = spec.KubeconfigPath
	}
	c.PodNetwork = true
	c.Notes = append(c.Notes, fmt.Sprintf("Existing cluster at Kubernetes %s; the run deploys into its own namespace.", c.ServerVersion))
	return c, nil
}

// restConfig reads the kubeconfig content or file of spec, at its current
// context.
func restConfig(spec Spec) (*rest.Config, error) {
	var (
		cfg *rest.Config
		err error
	)
	if spec.Kubeconfig != "" {
		cfg, err = kube.KubeconfigContent(spec.Kubeconfig, "input kubeconfig")
	} else {
		cfg, err = kube.KubeconfigFile(spec.KubeconfigPath, "--kubeconfig, or the kubeconfig-path input in Actions")
	}
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "shipgate"
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	return cfg, nil
}

// serverVersion asks the API server its version, retrying within timeout
// while it does not answer.
func serverVersion(ctx context.Context, client kubernetes.Interface, timeout time.Duration) (string, error) {
	var v string
	var last error
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(context.Context) (bool, error) {
		info, err := client.Discovery().ServerVersion()
		if err != nil {
			last = err
			return false, nil
		}
		v = info.GitVersion
		return true, nil
	})
	if err != nil {
		return "", fmt.Errorf("no answer to /version within %s: %w", timeout, errors.Join(last, err))
	}
	return v, nil
}

func writeAll(f *os.File, s string) error {
	_, err := f.WriteString(s)
	return err
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
