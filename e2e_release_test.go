package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/ghemu"
)

// replayed is a job of a reusable workflow run by replayJob.
type replayed struct {
	step
	// jobOutputs and outputs are the job's and the workflow's outputs,
	// evaluated from the step's as the runner evaluates them.
	jobOutputs, outputs map[string]string
	// artifact is the path the job uploads with if: always().
	artifact string
}

// replayJob runs the job of a reusable workflow that runs the shipgate
// action the way GitHub runs it for a caller: the workflow's declared
// inputs with their defaults and the caller's with, its secrets, the
// shipgate step's with: evaluated from them and the binary run as the
// action, then the job's outputs evaluated from the step's and the
// workflow's from the job's. An input or secret the workflow does not
// declare, or a required one missing, fails the test as GitHub would.
func replayJob(t *testing.T, srv *ghemu.Server, ws, eventName string, event map[string]any, file, job string, with map[string]any, secrets map[string]string, extraEnv ...string) replayed {
	t.Helper()
	decl, ok := readReusable(t, file)
	if !ok {
		t.Fatalf("%s is not a reusable workflow", file)
	}
	ctx := exprContext{values: map[string]any{}}
	for name, in := range decl.Inputs {
		v, given := with[name]
		switch {
		case !given && in.Required:
			t.Fatalf("%s: the required input %s is not given", file, name)
		case !given && in.Default != nil:
			v = in.Default
		case !given:
			v = ""
		}
		if _, isBool := v.(bool); isBool != (in.Type == "boolean") {
			t.Fatalf("%s: input %s of type %s given %T %v", file, name, in.Type, v, v)
		}
		ctx.values["inputs."+name] = v
	}
	for name := range with {
		if _, ok := decl.Inputs[name]; !ok {
			t.Fatalf("%s declares no input %s", file, name)
		}
	}
	for name, s := range decl.Secrets {
		if _, given := secrets[name]; !given && s.Required {
			t.Fatalf("%s: the required secret %s is not given", file, name)
		}
		ctx.values["secrets."+name] = secrets[name]
	}

	body := get(get(readYAML(t, file), "jobs"), job)
	if body == nil {
		t.Fatalf("%s has no job %s", file, job)
	}
	var action *yaml.Node
	r := replayed{}
	for _, s := range get(body, "steps").Content {
		uses := scalar(get(s, "uses"))
		switch {
		case isShipgateAction(uses) && action != nil:
			t.Fatalf("%s: job %s runs shipgate twice; replayJob runs one step", file, job)
		case isShipgateAction(uses):
			action = s
		case strings.HasPrefix(uses, "actions/upload-artifact@") && scalar(get(s, "if")) == "always()":
			r.artifact = ctx.expandString(t, file+": upload path", scalar(get(get(s, "with"), "path")))
		}
	}
	if action == nil {
		t.Fatalf("%s: job %s does not run shipgate", file, job)
	}
	if cond := get(action, "if"); cond != nil {
		t.Fatalf("%s: the shipgate step has if: %s; replayJob does not evaluate conditions", file, cond.Value)
	}
	inputs := map[string]string{}
	pairs(get(action, "with"), func(k, v *yaml.Node) {
		inputs[k.Value] = ctx.expandString(t, fmt.Sprintf("%s:%d: with.%s", file, v.Line, k.Value), v.Value)
	})
	r.step = runStep(t, srv, ws, eventName, event, inputs, extraEnv...)

	id := scalar(get(action, "id"))
	stepCtx := exprContext{values: map[string]any{}, optional: []string{"steps." + id + ".outputs."}}
	for k, v := range r.step.outputs {
		stepCtx.values["steps."+id+".outputs."+k] = v
	}
	r.jobOutputs = map[string]string{}
	pairs(get(body, "outputs"), func(k, v *yaml.Node) {
		r.jobOutputs[k.Value] = stepCtx.expandString(t, fmt.Sprintf("%s:%d: job output %s", file, v.Line, k.Value), v.Value)
	})
	jobCtx := exprContext{values: map[string]any{}}
	for k, v := range r.jobOutputs {
		jobCtx.values["jobs."+job+".outputs."+k] = v
	}
	r.outputs = map[string]string{}
	for name, out := range decl.Outputs {
		r.outputs[name] = jobCtx.expandString(t, file+": output "+name, out.Value)
	}
	return r
}

// wantOutputs compares the outputs named in want, and checks that every
// *-path output names a file in the uploaded artifact.
func wantOutputs(t *testing.T, r replayed, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for k := range want {
		got[k] = r.outputs[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("workflow outputs (-want +got):\n%s\nlog:\n%s", diff, r.log)
	}
	for k, v := range r.outputs {
		if !strings.HasSuffix(k, "-path") {
			continue
		}
		if v == "" {
			t.Errorf("output %s is empty", k)
			continue
		}
		if r.artifact == "" || !strings.HasPrefix(v, strings.TrimSuffix(r.artifact, "/")+"/") {
			t.Errorf("output %s = %s is not in the artifact's path %q", k, v, r.artifact)
		}
		if fi, err := os.Stat(filepath.Join(r.ws, v)); err != nil || fi.Size() == 0 {
			t.Errorf("output %s = %s: %v", k, v, err)
		}
	}
}

// TestReleaseAndRollbackWorkflows replays release.yml's promote job on two
// pushes to main and rollback.yml's job from a workflow_dispatch, on a
// real control plane whose pod network serves the app: the inputs as the
// workflows wire them (their defaults included), the stage run as the
// action, the outputs as the workflows map them.
func TestReleaseAndRollbackWorkflows(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)
	a := newPromoteApp(t, g, srv, kubeconfig, "prod-workflows", "500ms", 5)
	common := map[string]any{"environment": "production", "config": "shipgate.yml", "namespace": a.ns, "timeout": "60s"}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range common {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	secrets := map[string]string{"kubeconfig": kubeconfig}
	release := func(version string) replayed {
		t.Helper()
		ws, sha := a.commit(version)
		a.runID++
		ev := loadEvent(t, "push.json")
		ev["after"] = sha
		return replayJob(t, srv, ws, "push", ev, ".github/workflows/release.yml", "promote", with(), secrets,
			fmt.Sprintf("GITHUB_RUN_ID=%d", a.runID), "GITHUB_SHA="+sha)
	}
	rollback := func(kv ...any) replayed {
		t.Helper()
		a.runID++
		ws := a.repos.Clone("main", 1).Dir
		return replayJob(t, srv, ws, "workflow_dispatch", loadEvent(t, "workflow_dispatch.json"), ".github/workflows/rollback.yml", "rollback", with(kv...), secrets,
			fmt.Sprintf("GITHUB_RUN_ID=%d", a.runID))
	}

	r := release("v1")
	wantCode(t, r.step, 0)
	wantOutputs(t, r, map[string]string{"revision": "1", "previous-revision": "", "result": "success", "rolled-back": "false"})
	r = release("v2")
	wantCode(t, r.step, 0)
	wantOutputs(t, r, map[string]string{"revision": "2", "previous-revision": "1", "result": "success", "rolled-back": "false"})
	if got := a.selected(); got != 2 {
		t.Fatalf("the Service selects revision %d after the release of v2, want 2", got)
	}

	r = rollback("reason", "replayed from rollback.yml", "fast-track", false)
	wantCode(t, r.step, 0)
	wantOutputs(t, r, map[string]string{"revision": "1", "previous-revision": "2", "result": "success"})
	if !strings.Contains(r.log+r.summary, "replayed from rollback.yml") {
		t.Errorf("the reason is not in the log or the summary:\n%s\n%s", r.log, r.summary)
	}
	if got := a.selected(); got != 1 {
		t.Errorf("the Service selects revision %d after the rollback, want 1", got)
	}

	// Already there: nothing rolled back, and the outputs say so.
	r = rollback("to-revision", "1", "fast-track", true)
	wantCode(t, r.step, 0)
	if diff := cmp.Diff(map[string]string{"revision": "1", "previous-revision": "", "result": "success"},
		map[string]string{"revision": r.outputs["revision"], "previous-revision": r.outputs["previous-revision"], "result": r.outputs["result"]}); diff != "" {
		t.Errorf("outputs with nothing to roll back (-want +got):\n%s\nlog:\n%s", diff, r.log)
	}
}
