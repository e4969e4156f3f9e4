package smoke

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
	"github.com/shipgate/shipgate/internal/stage/promote"
)

// rehearse proves the way back before production (smoke.rehearse-rollback):
// in a namespace of its own in the sandbox, the base branch's version is
// promoted as the live revision, the pull request's promoted over it and
// aborted, and the rollback verified, with the promote config's strategy,
// checks and rules.
func rehearse(ctx context.Context, env *stage.Env, cl *provider.Cluster) ([]result.Check, []string, error) {
	baseDir, baseRev, err := exportBase(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(baseDir)
	ns := rehearsalNamespace(cl.Handle.UsedNamespace)
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{provider.LabelRun: cl.Handle.UsedNamespace}}}
	if _, err := cl.Client.CoreV1().Namespaces().Create(ctx, nsObj, metav1.CreateOptions{FieldManager: "shipgate"}); err != nil {
		return nil, nil, fmt.Errorf("smoke.rehearse-rollback: make namespace %s for the rehearsal (the kubeconfig must be allowed to create namespaces): %w", ns, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if err := provider.DeleteNamespace(cctx, cl.Client, ns, env.RT.Logf); err != nil {
			env.RT.Warnf("remove the rehearsal's namespace %s: %v", ns, err)
		}
	}()
	env.RT.Logf("rehearsal: the base version (%s) as the live revision, then the pull request's, aborted, in namespace %s", shortRev(baseRev), ns)
	began := time.Now()
	checks, notes, err := promote.Rehearse(ctx, env, promote.RehearseOptions{KubeconfigPath: cl.KubeconfigFile, Namespace: ns, BaseRepo: baseDir})
	if err != nil {
		return nil, nil, err
	}
	notes = append(notes, fmt.Sprintf("Rehearsal took %s.", time.Since(began).Round(100*time.Millisecond)))
	return checks, notes, nil
}

// rehearsalNamespace is the run's namespace with -rehearsal, cut to 63.
func rehearsalNamespace(ns string) string {
	const suffix = "-rehearsal"
	if len(ns)+len(suffix) > 63 {
		ns = strings.TrimRight(ns[:63-len(suffix)], "-")
	}
	return ns + suffix
}
