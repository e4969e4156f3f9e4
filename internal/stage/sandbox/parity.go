package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"k8s.io/client-go/rest"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/parity"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// ParityTimeout bounds reading both clusters for the parity checks.
const ParityTimeout = 2 * time.Minute

// notMeasured is the summary's line when no production kubeconfig is given.
const notMeasured = "Parity with production was not measured: give the production-kubeconfig input (a kubeconfig bound to the read-only role in the README) to compare the sandbox with production."

// productionConfig reads the production-kubeconfig input (or the CLI's
// file); nil when neither is given. It is read in memory, never written.
func productionConfig(in stage.Inputs) (*rest.Config, error) {
	var (
		cfg *rest.Config
		err error
	)
	switch {
	case in.ProductionKubeconfig != "":
		cfg, err = kube.KubeconfigContent(in.ProductionKubeconfig, "input production-kubeconfig")
	case in.ProductionKubeconfigPath != "":
		cfg, err = kube.KubeconfigFile(in.ProductionKubeconfigPath, "--production-kubeconfig")
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "shipgate-parity"
	return cfg, nil
}

// measureParity compares the sandbox, as deployed, with production on
// every dimension, and finds what the manifests use that production
// lacks. The overall percentage becomes the parity output.
func measureParity(ctx context.Context, env *stage.Env, s settings, cl *provider.Cluster, loaded deploy.Loaded) ([]result.Check, []string, error) {
	if s.production == nil {
		return nil, []string{notMeasured}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, ParityTimeout)
	defer cancel()
	began := time.Now()
	cfg := env.Config.Sandbox.Parity
	min := float64(cfg.Minimum())
	sbNS, prodNS := targetNamespaces(loaded, cl.Handle.UsedNamespace, cfg.ProductionNamespace())
	sb, err := parity.Read(ctx, cl.Config, sbNS)
	if err != nil {
		return nil, nil, fmt.Errorf("parity: the sandbox: %w", err)
	}
	prod, err := parity.Read(ctx, s.production, prodNS)
	if err != nil {
		// Production not answering is a finding of this run, not a reason
		// to stop the sandbox.
		return []result.Check{{Name: parity.CheckMinimum, Duration: time.Since(began),
				Findings: []result.Finding{{Check: parity.CheckMinimum, Level: result.Failure, Title: "Production could not be read",
					Message: fmt.Sprintf("Parity could not be measured: %v. Check the production-kubeconfig secret: its server must be reachable from the runner and its user bound to the read-only role in the README.", err)}}}},
			nil, nil
	}
	rep := parity.Compare(sb, prod)
	checks := rep.Checks(min)
	missing := result.Check{Name: parity.CheckManifests, Description: "What the manifests use (kinds, StorageClasses, IngressClasses, GatewayClasses, PriorityClasses) exists in production or in the manifests."}
	if prod.Kinds == nil {
		missing.Skipped = "production's API discovery could not be read"
	} else {
		missing.Findings = parity.Missing(loaded.Objects, prod)
	}
	checks = append(checks, missing)
	for i := range checks {
		checks[i].Duration = time.Since(began)
	}
	if err := env.RT.SetOutput("parity", strconv.FormatFloat(rep.Overall, 'f', -1, 64)); err != nil {
		return nil, nil, err
	}
	env.RT.Logf("parity with production: %v%% (minimum %v%%)", rep.Overall, min*100)
	return checks, []string{rep.Line(min)}, nil
}

// targetNamespaces pairs the namespaces the manifests deploy to: those
// they name are compared by name; the run's namespace, where the rest
// went, with production's namespace for them.
func targetNamespaces(loaded deploy.Loaded, run, production string) (sandbox, prod []parity.Namespace) {
	sandbox = []parity.Namespace{{Name: run, As: production}}
	prod = []parity.Namespace{{Name: production, As: production}}
	var named []string
	for _, o := range loaded.Objects {
		ns := o.Obj.GetNamespace()
		if o.Obj.GetKind() == "Namespace" && o.Obj.GetAPIVersion() == "v1" {
			ns = o.Obj.GetName()
		}
		if ns != "" && ns != production && !slices.Contains(named, ns) {
			named = append(named, ns)
		}
	}
	slices.Sort(named)
	for _, ns := range named {
		sandbox = append(sandbox, parity.Namespace{Name: ns, As: ns})
		prod = append(prod, parity.Namespace{Name: ns, As: ns})
	}
	return sandbox, prod
}
