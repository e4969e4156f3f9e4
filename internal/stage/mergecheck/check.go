package mergecheck

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/kubeapis"
	"github.com/shipgate/shipgate/internal/kubeversion"
	"github.com/shipgate/shipgate/internal/manifest"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// The stable names of the checks, one JUnit test case each.
const (
	checkConflicts  = "merge/conflicts"
	checkSyntax     = "manifest/syntax"
	checkFields     = "manifest/required-fields"
	checkDuplicates = "manifest/duplicate-object"
	checkRemoved    = "apis/removed"
	checkDeprecated = "apis/deprecated"
	checkUpgrade    = "upgrade/path"
	checkMergeable  = "github/mergeable"
)

// checks collects findings by check, in a fixed order, with their timings.
type checks struct {
	order []string
	by    map[string]*result.Check
}

func newChecks(names ...string) *checks {
	c := &checks{order: names, by: map[string]*result.Check{}}
	for _, n := range names {
		c.by[n] = &result.Check{Name: n}
	}
	return c
}

func (c *checks) add(name string, fs ...result.Finding) {
	c.by[name].Findings = append(c.by[name].Findings, fs...)
}
func (c *checks) skip(name, why string)              { c.by[name].Skipped = why }
func (c *checks) timed(name string, start time.Time) { c.by[name].Duration += time.Since(start) }

func (c *checks) list() []result.Check {
	var out []result.Check
	for _, n := range c.order {
		out = append(out, *c.by[n])
	}
	return out
}

// check merges one target and checks the merged tree.
func check(ctx context.Context, env *stage.Env, repo *gitmerge.Repo, t target, tip string) (result.Result, error) {
	res := result.Result{Stage: "merge-check", Started: env.Now()}
	names := []string{checkConflicts, checkSyntax, checkFields, checkDuplicates, checkRemoved, checkDeprecated, checkUpgrade}
	if env.GitHub != nil && t.pull != 0 {
		names = append(names, checkMergeable)
	}
	cs := newChecks(names...)

	start := time.Now()
	m, err := repo.Merge(ctx, tip, t.headSHA)
	if err != nil {
		return res, err
	}
	res.Notes = append(res.Notes, fmt.Sprintf("Merged %s into %s at %s (merged tree %s).", short(t.headSHA), t.base, short(tip), short(m.Tree)))
	if t.eventBaseSHA != "" && t.eventBaseSHA != tip {
		res.Notes = append(res.Notes, fmt.Sprintf("The base moved since the event (%s → %s); the merge is checked against the current tip.", short(t.eventBaseSHA), short(tip)))
	}
	conflicted := map[string]bool{}
	for _, c := range m.Conflicts {
		conflicted[c.Path] = true
	}
	files, err := repo.Files(ctx, m.Tree, func(p string) bool { return isManifest(env, p) })
	if err != nil {
		return res, err
	}
	if len(files) == 0 {
		note, err := noManifests(ctx, env, repo, m.Tree)
		if err != nil {
			return res, err
		}
		res.Notes = append(res.Notes, note)
	}
	cs.add(checkConflicts, conflictFindings(ctx, repo, m)...)
	cs.timed(checkConflicts, start)

	start = time.Now()
	var objs []manifest.Object
	for _, p := range sortedKeys(files) {
		if conflicted[p] {
			continue // its conflict markers are reported as the conflict
		}
		o, fs := manifest.Parse(p, files[p])
		objs = append(objs, o...)
		for _, f := range fs {
			cs.add(f.Check, f)
		}
	}
	cs.timed(checkSyntax, start)
	start = time.Now()
	cs.add(checkDuplicates, manifest.Duplicates(objs)...)
	cs.timed(checkDuplicates, start)

	start = time.Now()
	if env.Target.IsZero() {
		why := "input kubernetes-version is not set"
		cs.skip(checkRemoved, why)
		cs.skip(checkDeprecated, why)
	} else {
		for _, o := range objs {
			if o.LocalConfig {
				continue // kustomize and kind files are not sent to the API server
			}
			if f, ok := kubeapis.Finding(o.Path, o.APIVersionPos.Line, o.APIVersionPos.Column, o.String(), o.APIVersion, o.Kind, env.Target); ok {
				cs.add(f.Check, f)
			}
		}
	}
	cs.timed(checkRemoved, start)

	start = time.Now()
	ups, err := upgradeFindings(ctx, env, repo, tip, m.Tree)
	if err != nil {
		return res, err
	}
	cs.add(checkUpgrade, ups...)
	if len(ups) == 0 {
		cs.skip(checkUpgrade, "the change does not touch a Kubernetes version")
	}
	cs.timed(checkUpgrade, start)

	if env.GitHub != nil && t.pull != 0 {
		start = time.Now()
		f, note, err := githubMergeable(ctx, env, t.pull, m.Clean)
		if err != nil {
			return res, err
		}
		cs.add(checkMergeable, f...)
		res.Notes = append(res.Notes, note)
		cs.timed(checkMergeable, start)
	}

	res.Checks = cs.list()
	res.Title = title(res, len(m.Conflicts))
	res.Finished = env.Now()
	return res, nil
}

// isManifest says whether a merged-tree path is Kubernetes YAML the stage checks.
func isManifest(env *stage.Env, p string) bool {
	if !manifest.IsManifestPath(p) || !manifest.Match(env.Inputs.Manifests, p) {
		return false
	}
	for _, g := range env.Config.MergeCheck.Ignore {
		if manifest.Match(g, p) {
			return false
		}
	}
	return true
}

// upgradeFindings compares Kubernetes version references of files the merge
// changes: kind node images in any YAML, and the configured version files.
func upgradeFindings(ctx context.Context, env *stage.Env, repo *gitmerge.Repo, tip, tree string) ([]result.Finding, error) {
	changes, err := repo.Changed(ctx, tip, tree)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, c := range changes {
		for _, p := range []string{c.Path, c.OldPath} {
			if p != "" && (manifest.IsManifestPath(p) || slices.Contains(env.Config.MergeCheck.VersionFiles, p)) {
				want[p] = true
			}
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	keep := func(p string) bool { return want[p] }
	base, err := repo.Files(ctx, tip, keep)
	if err != nil {
		return nil, err
	}
	merged, err := repo.Files(ctx, tree, keep)
	if err != nil {
		return nil, err
	}
	return kubeversion.UpgradeFindings(base, merged, env.Config.MergeCheck.VersionFiles), nil
}

func title(r result.Result, conflicts int) string {
	fails := r.Count(result.Failure) - countCheck(r, checkConflicts)
	warns := r.Count(result.Warning)
	var parts []string
	if conflicts > 0 {
		parts = append(parts, plural(conflicts, "conflicted path"))
	}
	if fails > 0 {
		parts = append(parts, plural(fails, "failure"))
	}
	if warns > 0 {
		parts = append(parts, plural(warns, "warning"))
	}
	if len(parts) == 0 {
		return "Clean merge; the merged tree passed every check"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func countCheck(r result.Result, name string) int {
	for _, c := range r.Checks {
		if c.Name == name {
			return len(c.Findings)
		}
	}
	return 0
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
