package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/shipgate/shipgate/internal/localcluster"
	"github.com/shipgate/shipgate/internal/podnet"
)

// localNode is the kwok node the local provider adds.
const localNode = "kwok-node-0"

// LocalLimits is the line every local run logs first: what the local
// provider is, and what it is not.
const LocalLimits = "provider local: a real API server with simulated nodes (kwok); no container runs and no image is pulled; " +
	"Ready pods are answered by stand-in HTTP servers (pod network), not by your app; use provider kind to run the containers"

// LocalNote says the same in the report, naming the checks that reach a
// stand-in server rather than the app.
const LocalNote = "Provider local: a real API server with simulated nodes (kwok); no container runs and no image is pulled, " +
	"so readiness and the basic tier follow the simulated pod status. The service and business tiers, the smoke checks and the " +
	"disruption monitor reach stand-in servers that answer for each Ready pod (with its VERSION), not your app: " +
	"use provider kind (or existing) to test the containers themselves."

// openLocal starts the local control plane with a kwok node and, when this
// process may make network namespaces (root, iproute2), a pod network so
// Services answer HTTP.
func openLocal(ctx context.Context, spec Spec) (*Cluster, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(spec.Timeout, 5*time.Minute))
	defer cancel()
	c := &Cluster{Handle: Handle{Provider: Local}, disposable: true}
	spec.Logf("%s", LocalLimits)
	c.Notes = append(c.Notes, LocalNote)
	var net *podnet.Network
	cidr := ""
	if reason := podNetworkUnavailable(); reason != "" {
		c.Notes = append(c.Notes, "No pod network: "+reason+"; Services do not answer, so the service and business tiers cannot reach the app.")
	} else {
		var err error
		net, cidr, err = newPodNetwork(ctx, spec.Logf)
		if err != nil {
			return nil, err
		}
		c.onClose(false, func(context.Context) error { return net.Close() })
	}
	lc, err := localcluster.Start(ctx, localcluster.Options{Logf: spec.Logf, PodCIDR: podCIDR(cidr)})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("provider local: %w", err), c.Close(context.WithoutCancel(ctx)))
	}
	c.onClose(false, func(context.Context) error { return lc.Stop() })
	c.Config, c.KubeconfigFile, c.ServerVersion = lc.Config, lc.Kubeconfig, lc.Version
	if c.Client, err = kubernetes.NewForConfig(lc.Config); err != nil {
		return nil, errors.Join(err, c.Close(ctx))
	}
	if err := lc.AddNode(ctx, localNode); err != nil {
		return nil, errors.Join(fmt.Errorf("provider local: add node: %w", err), c.Close(context.WithoutCancel(ctx)))
	}
	if net != nil {
		ctrl := podnet.NewController(c.Client, net, podnet.ControllerOptions{Logger: logger(spec.Logf)})
		runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan error, 1)
		go func() { done <- ctrl.Run(runCtx) }()
		// Registered last, so it stops first: nothing serves once the
		// cluster is gone.
		c.onClose(false, func(context.Context) error {
			stop()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("pod network controller: %w", err)
			}
			return nil
		})
		c.PodNetwork = true
	}
	if spec.KubernetesVersion != "" && spec.KubernetesVersion != lc.Version {
		c.Notes = append(c.Notes, fmt.Sprintf("The local provider runs Kubernetes %s, not the target %s: use provider kind to test the target version.", lc.Version, spec.KubernetesVersion))
	}
	return c, nil
}

// podNetworkUnavailable says why this process cannot make a pod network,
// or "" when it can.
func podNetworkUnavailable() string {
	if os.Geteuid() != 0 {
		return "network namespaces need root (run as root, or use provider kind)"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		for _, p := range []string{"/usr/sbin/ip", "/sbin/ip"} {
			if _, err := os.Stat(p); err == nil {
				return ""
			}
		}
		return "the ip command is missing (install Debian package iproute2)"
	}
	return ""
}

// newPodNetwork makes a pod network in a free /24 of 198.19.0.0/16 (half
// of the benchmarking range 198.18.0.0/15, never routed to anyone else;
// the tests' own networks use the other half), trying a few blocks in case
// another run holds one.
func newPodNetwork(ctx context.Context, logf func(string, ...any)) (*podnet.Network, string, error) {
	start := os.Getpid() % 250
	var errs []error
	for i := range 5 {
		block := (start + i*17) % 250
		cidr := fmt.Sprintf("198.19.%d.0/24", block)
		net, err := podnet.New(ctx, podnet.Options{Name: fmt.Sprintf("lp%d", block), CIDR: cidr, Logger: logger(logf)})
		if err == nil {
			logf("pod network: netns %s, pod CIDR %s", net.Namespace(), cidr)
			return net, cidr, nil
		}
		errs = append(errs, err)
	}
	return nil, "", fmt.Errorf("provider local: pod network: %w", errors.Join(errs...))
}

// podCIDR gives kwok the low half of the network's /24: the top /30 is the
// link to the namespace.
func podCIDR(cidr string) string {
	if cidr == "" {
		return ""
	}
	return cidr[:len(cidr)-len("/24")] + "/25"
}

type logger func(string, ...any)

func (l logger) Printf(format string, args ...any) { l(format, args...) }
