package build

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// Job is one entry of the build matrix.
type Job struct {
	Platform string `json:"platform"`
	Runner   string `json:"runner"`
	// Slug is the platform fit for artifact and cache names: linux-arm-v7.
	Slug    string `json:"slug"`
	Emulate bool   `json:"emulate,omitempty"`
}

// Matrix is the value of a job's strategy.matrix, read with fromJSON.
type Matrix struct {
	Include []Job `json:"include"`
}

// EmulationRunner runs every platform when emulate is true.
const EmulationRunner = "ubuntu-24.04"

// nativeRunners maps platforms (by imageindex.Key) to GitHub-hosted runners
// whose CPU runs them without emulation.
var nativeRunners = map[string]string{
	"linux/amd64/v1":   "ubuntu-24.04",
	"linux/386":        "ubuntu-24.04",
	"linux/arm64/v8":   "ubuntu-24.04-arm",
	"windows/amd64/v1": "windows-2025",
}

// plan maps each platform to its runner. runners holds platform=runner
// overrides; emulate puts every platform on one runner with QEMU.
func plan(platforms []v1.Platform, runners string, emulate bool) (Matrix, error) {
	overrides, err := parseRunners(platforms, runners)
	if err != nil {
		return Matrix{}, err
	}
	var m Matrix
	for _, p := range platforms {
		name := imageindex.Format(p)
		job := Job{Platform: name, Slug: strings.ReplaceAll(name, "/", "-"), Emulate: emulate}
		native, known := nativeRunners[imageindex.Key(p)]
		switch override, ok := overrides[imageindex.Key(p)]; {
		case ok:
			job.Runner = override
		case emulate && p.OS != "linux":
			return Matrix{}, fmt.Errorf("input emulate: %s cannot be emulated with QEMU on a Linux runner; build it on %s or name a runner for it in runners", name, orAny(native))
		case emulate:
			job.Runner = EmulationRunner
		case known:
			job.Runner = native
		default:
			return Matrix{}, fmt.Errorf("input platforms: %s has no GitHub-hosted runner of its architecture; name one in runners (%s=<runner label>) or set emulate: true to build it with QEMU", name, name)
		}
		m.Include = append(m.Include, job)
	}
	return m, nil
}

func orAny(runner string) string {
	if runner == "" {
		return "a runner of its own"
	}
	return runner
}

// parseRunners reads platform=runner items, one per line or comma-separated.
func parseRunners(platforms []v1.Platform, s string) (map[string]string, error) {
	requested := map[string]bool{}
	var names []string
	for _, p := range platforms {
		requested[imageindex.Key(p)] = true
		names = append(names, imageindex.Format(p))
	}
	out := map[string]string{}
	for i, item := range imageindex.SplitList(s) {
		plat, runner, ok := strings.Cut(item, "=")
		runner = strings.TrimSpace(runner)
		if !ok || runner == "" {
			return nil, fmt.Errorf("input runners item %d %q: want platform=runner, e.g. linux/arm64=my-arm-runner", i+1, item)
		}
		if strings.ContainsAny(runner, " \t\"'=") {
			return nil, fmt.Errorf("input runners item %d: runner label %q has spaces, quotes or '='; give one runner label", i+1, runner)
		}
		p, err := imageindex.ParsePlatform(plat)
		if err != nil {
			return nil, fmt.Errorf("input runners item %d: %w", i+1, err)
		}
		key := imageindex.Key(p)
		if !requested[key] {
			return nil, fmt.Errorf("input runners names %s, which is not in platforms (%s); add it to platforms or drop the line", imageindex.Format(p), strings.Join(names, ", "))
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("input runners names %s twice; keep one line per platform", imageindex.Format(p))
		}
		out[key] = runner
	}
	return out, nil
}

// runPlan sets the matrix output and summarises the plan.
func runPlan(env *stage.Env, set settings) ([]report.Target, error) {
	started := env.Now()
	data, err := json.Marshal(set.matrix)
	if err != nil {
		return nil, fmt.Errorf("encode matrix: %w", err)
	}
	if err := env.RT.SetOutput("matrix", string(data)); err != nil {
		return nil, err
	}
	res := result.Result{Stage: "build", Started: started, Finished: started,
		Checks: []result.Check{{Name: "build/plan", Description: "every platform has a runner"}}}
	runners := map[string]bool{}
	emulated := false
	for _, j := range set.matrix.Include {
		note := fmt.Sprintf("`%s` on `%s`", j.Platform, j.Runner)
		if j.Emulate {
			note += " (emulated with QEMU)"
			emulated = true
		}
		res.Notes = append(res.Notes, note)
		runners[j.Runner] = true
	}
	res.Title = fmt.Sprintf("Build plan: %d platform(s) on %s", len(set.matrix.Include), strings.Join(slices.Sorted(maps.Keys(runners)), ", "))
	if emulated {
		res.Title += ", emulated with QEMU"
	}
	return []report.Target{{Result: res}}, nil
}
