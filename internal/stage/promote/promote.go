// Package promote is the promote stage: a change that passed every gate
// reaches production, is watched, and is taken back on its own when
// production says it is bad. One promotion at a time per app and
// environment (a Lease); each promotion a numbered revision in a history
// kept in the cluster, written before anything changes; blue-green (the
// new revision beside the live one, verified through preview Services,
// then every production Service switched in one pass) or rolling (in
// place, under the disruption monitor); a watched window evaluating the
// rollback rules every interval; and, when a rule fires, traffic back to
// the last good revision first, then verified.
package promote

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/stage"
)

// CheckRunName is the name of the stage's check run.
const CheckRunName = "shipgate / promote"

// Stage is the promote stage.
type Stage struct{}

// settings are the stage's inputs and config, parsed and checked.
type settings struct {
	cfg         config.Promote
	app         string
	environment string
	namespace   string
	timeout     time.Duration
	spec        provider.Spec
}

var environmentName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// parse reads and checks everything the stage needs before it makes any
// request to the cluster.
func parse(env *stage.Env) (settings, error) {
	in := env.Inputs
	s := settings{cfg: env.Config.Promote, environment: in.Environment}
	var errs []error
	switch {
	case in.Environment == "":
		errs = append(errs, errors.New("input environment is empty: name the environment you promote to, e.g. production (the GitHub environment, and the name of the revision history)"))
	case !environmentName.MatchString(in.Environment):
		errs = append(errs, fmt.Errorf("input environment %q: use letters, digits, '.', '_' and '-', at most 63, e.g. production", in.Environment))
	}
	if in.Kubeconfig == "" && in.KubeconfigPath == "" {
		errs = append(errs, errors.New("promote needs the production cluster's kubeconfig: set the kubeconfig input from a secret (kubeconfig: ${{ secrets.PROD_KUBECONFIG }}), or --kubeconfig on the command line"))
	}
	var err error
	if s.timeout, err = stage.Duration("timeout", in.Timeout, 10*time.Minute); err != nil {
		errs = append(errs, err)
	}
	s.app = cmp.Or(s.cfg.App, appName(env))
	if s.app == "" {
		errs = append(errs, errors.New("promote cannot name the app: set promote.app in the config file (a DNS label, e.g. shop-web); it names the Lease and the revision history"))
	}
	if len(errs) == 0 {
		s.namespace, err = namespace(in)
		errs = append(errs, err)
	}
	s.spec = provider.Spec{
		Provider: provider.Existing, Kubeconfig: in.Kubeconfig, KubeconfigPath: in.Resolve(in.KubeconfigPath),
		Namespace: s.namespace, RunID: provider.RunName(env.Job.RunID, env.Job.RunAttempt),
		Workspace: in.Repo, ReportDir: in.ReportDir, Logf: env.RT.Logf,
	}
	if err := errors.Join(errs...); err != nil {
		return s, err
	}
	return s, s.spec.Validate()
}

// appName is the repository's name as a DNS label: GITHUB_REPOSITORY's
// name in Actions, the repository directory's name outside.
func appName(env *stage.Env) string {
	name := env.Job.Repository
	if name == "" {
		abs, err := filepath.Abs(env.Inputs.Repo)
		if err != nil {
			return ""
		}
		name = filepath.Base(abs)
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return dnsLabel(name)
}

// dnsLabel lowers s and replaces what a DNS label cannot hold with '-'.
func dnsLabel(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	out := strings.Trim(string(b), "-")
	if len(out) > 40 {
		out = strings.TrimRight(out[:40], "-")
	}
	return out
}

// namespace is the namespace input, else the kubeconfig's current
// context's namespace, else default.
func namespace(in stage.Inputs) (string, error) {
	if in.Namespace != "" {
		return in.Namespace, nil
	}
	var cfg clientcmd.ClientConfig
	if in.Kubeconfig != "" {
		c, err := clientcmd.NewClientConfigFromBytes([]byte(in.Kubeconfig))
		if err != nil {
			return "", errors.New("input kubeconfig does not parse as a kubeconfig (YAML or JSON with clusters, users and a current-context)")
		}
		cfg = c
	} else {
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: in.Resolve(in.KubeconfigPath)}
		cfg = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	}
	ns, _, err := cfg.Namespace()
	if err != nil {
		return "", fmt.Errorf("kubeconfig: %w (set the namespace input to name the production namespace)", err)
	}
	return cmp.Or(ns, "default"), nil
}

// Validate checks the inputs and config before anything is made.
func (Stage) Validate(env *stage.Env) error {
	_, err := parse(env)
	return err
}
