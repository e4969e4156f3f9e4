package promote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
)

// Keys of a revision's Names.
const (
	// digestKey holds the digest of the revision's manifests as applied:
	// the same change promoted twice is found by it.
	digestKey = "digest"
	// workloadPrefix prefixes a Deployment's ID; the value is its name in
	// the revision.
	workloadPrefix = "workload:"
)

// digest is a hash of objects as they are applied.
func digest(objs []kube.Object) string {
	h := sha256.New()
	for _, o := range objs {
		b, _ := json.Marshal(o.Obj.Object)
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// record writes the revision, state promoting, before anything changes.
func (p *promotion) record(ctx context.Context) error {
	r := history.Revision{
		Strategy: p.s.cfg.StrategyName(), Image: p.env.Inputs.Image,
		SHA: p.env.HeadSHA(), Ref: p.env.Job.RefName, RunURL: p.env.Job.RunURL(), Actor: p.env.RT.Getenv("GITHUB_ACTOR"),
		State: history.Promoting, Started: p.env.Now(),
		Names: map[string]string{digestKey: digest(p.loaded.Objects)},
	}
	if p.replicas {
		r.Names[weightsKey] = config.ByReplicas
	}
	if p.live != nil {
		r.Previous = p.live.Number
	}
	for _, o := range p.loaded.Objects {
		b, err := json.Marshal(o.Obj.Object)
		if err != nil {
			return fmt.Errorf("record %s: %w", o, err)
		}
		r.Objects = append(r.Objects, b)
	}
	rev, err := p.store.Create(ctx, r)
	if err != nil {
		return fmt.Errorf("record the revision before any change: %w", err)
	}
	p.rev = rev
	if p.s.cfg.StrategyName() == config.BlueGreen {
		if p.plan, err = bluegreen.Build(p.loaded.Objects, p.s.app, rev.Number, p.s.namespace); err != nil {
			return err
		}
		if err := p.nameWorkloads(ctx); err != nil {
			return err
		}
	}
	p.saveState(strconv.Itoa(rev.Number))
	p.note("Revision %d recorded (state promoting) before any change; previous revision: %s.", rev.Number, previousText(p.live))
	return p.setOutputs()
}

// nameWorkloads records the names of the revision's Deployments (p.plan's)
// in its history, for a rollback, a repair and the pruning to find them.
func (p *promotion) nameWorkloads(ctx context.Context) error {
	names := map[string]string{}
	for _, w := range p.plan.Workloads {
		names[workloadPrefix+w.Base.String()] = w.Object.Obj.GetName()
	}
	rev, err := p.store.SetState(ctx, p.rev.Number, history.Promoting, "workloads named", func(r *history.Revision) {
		for k, v := range names {
			r.Names[k] = v
		}
	})
	if err != nil {
		return err
	}
	p.rev = rev
	return nil
}

func previousText(live *history.Revision) string {
	if live == nil {
		return "none (first promotion)"
	}
	return fmt.Sprintf("%d", live.Number)
}

// objectsOf decodes a revision's recorded objects.
func objectsOf(r history.Revision) ([]kube.Object, error) {
	out := make([]kube.Object, 0, len(r.Objects))
	for i, raw := range r.Objects {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("%s: object %d does not decode: %w", r, i, err)
		}
		out = append(out, kube.Object{Obj: u, Source: kube.Source{Path: fmt.Sprintf("revision %d", r.Number)}})
	}
	return out, nil
}

// planOf rebuilds a recorded blue-green revision's plan.
func (p *promotion) planOf(r history.Revision) (bluegreen.Plan, error) {
	objs, err := objectsOf(r)
	if err != nil {
		return bluegreen.Plan{}, err
	}
	plan, err := bluegreen.Build(objs, p.s.app, r.Number, p.s.namespace)
	if err != nil {
		return plan, fmt.Errorf("%s: %w", r, err)
	}
	return plan, nil
}

// repair finishes a revision a dead runner left promoting: traffic back
// to the live revision (where some Services may have been switched
// already), its workloads scaled to zero, the record marked failed.
func (p *promotion) repair(ctx context.Context, r history.Revision, all []history.Revision) (string, error) {
	var live *history.Revision
	for i := range all {
		if all[i].State == history.Live || all[i].State == history.Good {
			live = &all[i]
			break
		}
	}
	what := "no live revision to return to"
	switch {
	case r.Strategy == config.Weighted && !byReplicas(r):
		if live != nil {
			lp, err := p.planOf(*live)
			if err != nil {
				return "", err
			}
			rp, err := p.routeOf(lp)
			if err != nil {
				return "", err
			}
			if err := p.ensureRunning(ctx, lp, *live, false); err != nil {
				return "", err
			}
			if _, _, err := p.routeBack(ctx, lp, rp, live.Number); err != nil {
				return "", err
			}
			what = fmt.Sprintf("the route and the Services send all traffic to revision %d", live.Number)
		}
		if err := bluegreen.Scale(ctx, p.cl.Client, workloadsOf(r), 0); err != nil {
			return "", err
		}
	case r.Strategy == config.BlueGreen || r.Strategy == "" || byReplicas(r):
		if live != nil {
			lp, err := p.planOf(*live)
			if err != nil {
				return "", err
			}
			// Weighed by replica counts, the live revision may run fewer
			// pods: back up first.
			if err := p.ensureRunning(ctx, lp, *live, byReplicas(r)); err != nil {
				return "", err
			}
			if _, err := bluegreen.Switch(ctx, p.kc, append(lp.Selecting(live.Number), lp.Following(live.Number)...)); err != nil {
				return "", err
			}
			what = fmt.Sprintf("traffic is on revision %d", live.Number)
		}
		if err := bluegreen.Scale(ctx, p.cl.Client, workloadsOf(r), 0); err != nil {
			return "", err
		}
	case live != nil:
		objs, err := objectsOf(*live)
		if err != nil {
			return "", err
		}
		if _, err := p.kc.Apply(ctx, objs, kube.ApplyOptions{Namespace: p.s.namespace, Force: true}); err != nil {
			return "", err
		}
		what = fmt.Sprintf("revision %d's objects are applied again", live.Number)
	}
	msg := fmt.Sprintf("abandoned: the run that promoted it stopped before it finished (%s); repaired by a later run, %s", orNone(r.RunURL), what)
	if _, err := p.store.SetState(ctx, r.Number, history.Failed, msg, func(rv *history.Revision) { rv.Reason = msg; rv.Finished = p.env.Now() }); err != nil {
		return "", err
	}
	return fmt.Sprintf("Revision %d was left promoting by a run that stopped; it is marked failed and %s.", r.Number, what), nil
}

// workloadsOf lists a blue-green revision's Deployments from its record.
func workloadsOf(r history.Revision) []kube.ID {
	var out []kube.ID
	for k, name := range r.Names {
		base, ok := strings.CutPrefix(k, workloadPrefix)
		if !ok {
			continue
		}
		// base is Deployment/<namespace>/<name>.
		parts := strings.Split(base, "/")
		if len(parts) == 3 {
			out = append(out, kube.ID{Group: "apps", Kind: "Deployment", Namespace: parts[1], Name: name})
		}
	}
	return out
}

// runHook runs a configured command with the production kubeconfig and
// namespace in its environment, bounded by ten minutes.
func runHook(ctx context.Context, command, dir, kubeconfig, namespace string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Dir = dir
	// The action's inputs (the kubeconfig and tokens among them) stay out
	// of the hook's environment; it gets the kubeconfig as a file.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "INPUT_") })
	cmd.Env = append(env, "KUBECONFIG="+kubeconfig, "SHIPGATE_NAMESPACE="+namespace)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("still running after 10m: %w", err)
	}
	return strings.TrimSpace(out.String()), err
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
