package kube

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigNeeds says what a kubeconfig must hold, for every error about one.
const kubeconfigNeeds = "a kubeconfig needs a current-context naming a context whose cluster has a server (https://…) and whose user has credentials"

// KubeconfigContent reads kubeconfig content (a secret) at its current
// context. what names where it came from in errors, e.g. "input
// kubeconfig"; errors never quote the content.
func KubeconfigContent(data, what string) (*rest.Config, error) {
	if strings.TrimSpace(data) == "" {
		return nil, fmt.Errorf("%s is empty; %s", what, kubeconfigNeeds)
	}
	cfg, err := clientcmd.Load([]byte(data))
	if err != nil {
		// The parser's error may quote the content: keep only its kind.
		return nil, fmt.Errorf("%s is not a valid kubeconfig (it does not parse as YAML or JSON); check the secret it comes from: %s", what, kubeconfigNeeds)
	}
	return restConfigOf(cfg, what)
}

// KubeconfigFile reads the kubeconfig file at path at its current context;
// paths inside it are relative to it. what names the flag or input that
// gave the path, e.g. "--kubeconfig"; errors never quote the content.
func KubeconfigFile(path, what string) (*rest.Config, error) {
	where := fmt.Sprintf("kubeconfig file %s (%s)", path, what)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s does not exist; give the path of a kubeconfig file", where)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", where, err)
	case strings.TrimSpace(string(data)) == "":
		return nil, fmt.Errorf("%s is empty; %s", where, kubeconfigNeeds)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid kubeconfig (it does not parse as YAML or JSON): %s", where, kubeconfigNeeds)
	}
	return restConfigOf(cfg, where)
}

// restConfigOf checks cfg's current context before client-go does, so the
// error says what is missing rather than how client-go fell back.
func restConfigOf(cfg *clientcmdapi.Config, where string) (*rest.Config, error) {
	if cfg.CurrentContext == "" {
		return nil, fmt.Errorf("%s has no current-context; %s", where, kubeconfigNeeds)
	}
	kctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return nil, fmt.Errorf("%s: current-context %q is not one of its contexts (%s); %s", where, cfg.CurrentContext, names(cfg.Contexts), kubeconfigNeeds)
	}
	cluster, ok := cfg.Clusters[kctx.Cluster]
	if !ok || cluster.Server == "" {
		return nil, fmt.Errorf("%s: context %q names cluster %q, which has no server; %s", where, cfg.CurrentContext, kctx.Cluster, kubeconfigNeeds)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: %w; %s", where, err, kubeconfigNeeds)
	}
	return rc, nil
}

func names[V any](m map[string]V) string {
	var ns []string
	for n := range m {
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return "none"
	}
	slices.Sort(ns)
	return strings.Join(ns, ", ")
}
