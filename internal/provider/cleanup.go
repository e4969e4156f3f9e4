package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"k8s.io/client-go/kubernetes"
)

// StateKey is the name under which a step saves its handles for the
// action's post step.
const StateKey = "cluster-handles"

// EncodeHandles and DecodeHandles carry handles from the main step to the
// post step (GITHUB_STATE).
func EncodeHandles(hs []Handle) string {
	b, _ := json.Marshal(hs)
	return string(b)
}

// DecodeHandles reads what EncodeHandles wrote; "" is no handles.
func DecodeHandles(s string) ([]Handle, error) {
	if s == "" {
		return nil, nil
	}
	var hs []Handle
	if err := json.Unmarshal([]byte(s), &hs); err != nil {
		return nil, fmt.Errorf("read the sandbox's saved state: %w", err)
	}
	return hs, nil
}

// Cleanup removes what a handle says a run made, from a process other than
// the one that made it (the action's post step): the kind cluster, or the
// namespace in an existing cluster (spec gives the kubeconfig again), and
// credential files. Things already gone are not errors.
func Cleanup(ctx context.Context, h Handle, spec Spec) error {
	if spec.Logf == nil {
		spec.Logf = func(string, ...any) {}
	}
	if h.Keep {
		spec.Logf("%s kept for debugging (keep-on-failure); delete it when done", h)
		return nil
	}
	var errs []error
	switch h.Provider {
	case Kind:
		if h.ClusterName != "" {
			errs = append(errs, deleteKind(ctx, h.ClusterName, spec))
		}
	case Existing:
		if h.Namespace != "" {
			cfg, err := restConfig(spec)
			if err != nil {
				errs = append(errs, fmt.Errorf("delete namespace %s: %w", h.Namespace, err))
				break
			}
			client, err := kubernetes.NewForConfig(cfg)
			if err == nil {
				err = DeleteNamespace(ctx, client, h.Namespace, spec.Logf)
			}
			errs = append(errs, err)
		}
	case Local:
		// The local control plane ends with the process that ran it.
	}
	for _, f := range h.Files {
		errs = append(errs, removeFile(f))
	}
	return errors.Join(errs...)
}

// String names what the handle holds, e.g. "kind cluster shipgate-12-1",
// "local control plane (namespace shipgate-12-1)" or "namespace
// shipgate-12-1".
func (h Handle) String() string {
	switch {
	case h.ClusterName != "":
		return h.Provider + " cluster " + h.ClusterName
	case h.Provider == Local:
		return "local control plane (namespace " + h.UsedNamespace + ")"
	}
	return "namespace " + h.UsedNamespace
}
