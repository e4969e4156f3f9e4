// Package build is the build stage, in two steps around the workflow's own
// per-platform build jobs. plan turns the platforms into a matrix that puts
// each platform on a runner of its own architecture (QEMU only when asked).
// merge assembles the images those jobs pushed by digest into one image
// index, pushes it, verifies it by reading it back from the registry and
// only then tags it.
package build

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/stage"
)

// CheckRunName is the name of the check run the merge step creates.
const CheckRunName = "shipgate / build"

// Defaults for empty inputs.
const (
	DefaultPlatforms = "linux/amd64,linux/arm64"
	DefaultTimeout   = 10 * time.Minute
)

// Stage is the build stage. The zero value is the production stage.
type Stage struct {
	// Registry holds registry options applied after shipgate's own (tests
	// shorten retries and use no credentials).
	Registry []imageindex.Option
}

// settings are the stage's inputs, parsed and checked.
type settings struct {
	step      string
	platforms []v1.Platform
	matrix    Matrix          // plan
	repo      name.Repository // merge
	children  []imageindex.Child
	tags      []string
	timeout   time.Duration
}

// Validate checks every input the chosen step needs.
func (Stage) Validate(env *stage.Env) error {
	_, err := parse(env.Inputs)
	return err
}

// Run runs the step that build-step names.
func (s Stage) Run(ctx context.Context, env *stage.Env) ([]report.Target, error) {
	set, err := parse(env.Inputs)
	if err != nil {
		return nil, err
	}
	if set.step == "plan" {
		return runPlan(env, set)
	}
	return s.runMerge(ctx, env, set)
}

func parse(in stage.Inputs) (settings, error) {
	set := settings{step: strings.TrimSpace(in.BuildStep)}
	platforms := in.Platforms
	if strings.TrimSpace(platforms) == "" {
		platforms = DefaultPlatforms
	}
	var err error
	if set.platforms, err = imageindex.ParsePlatforms(platforms); err != nil {
		return set, fmt.Errorf("input platforms: %w", err)
	}
	if set.timeout, err = stage.Duration("timeout", in.Timeout, DefaultTimeout); err != nil {
		return set, err
	}
	switch set.step {
	case "plan":
		emulate, err := stage.Bool("emulate", in.Emulate)
		if err != nil {
			return set, err
		}
		set.matrix, err = plan(set.platforms, in.Runners, emulate)
		return set, err
	case "merge":
		var repoErr, digestErr, tagErr error
		set.repo, repoErr = parseRepository(in.Image)
		set.children, digestErr = parseDigests(in.Digests)
		if repoErr == nil {
			set.tags, tagErr = parseTags(set.repo, in.Tags)
		}
		return set, errors.Join(repoErr, digestErr, tagErr)
	case "":
		return set, errors.New("input build-step is empty; set it to plan (the matrix for the build jobs) or merge (the verified image index after them)")
	default:
		return set, fmt.Errorf("input build-step %q is not a build step; use plan or merge", in.BuildStep)
	}
}

// headSHA is the commit the check run goes on: input head-sha, else
// env.HeadSHA (on a push, GITHUB_SHA is the event's after).
func headSHA(env *stage.Env) string {
	if env.Inputs.HeadSHA != "" {
		return env.Inputs.HeadSHA
	}
	return env.HeadSHA()
}
