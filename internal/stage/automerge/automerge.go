// Package automerge is the auto-merge stage. Once the gates passed on a
// pull request's head, it has GitHub merge exactly that commit: GitHub
// auto-merge with expectedHeadOid when the pull request still waits for
// requirements (reviews, required checks), or a direct merge with sha when
// GitHub says it can be merged now. When a commit was pushed after the
// gates ran it merges nothing: the new commit gets its own run.
package automerge

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/stage"
)

// CheckRunName is the name of the check run this stage creates.
const CheckRunName = "shipgate / auto-merge"

// The stage's outputs.
const (
	// OutputMerged is "true" when the pull request is merged.
	OutputMerged = "merged"
	// OutputAutoMerge is one of the AutoMerge* values.
	OutputAutoMerge = "auto-merge"
	// OutputMergeSHA is the merge commit's SHA, empty unless merged.
	OutputMergeSHA = "merge-sha"
)

// Values of the auto-merge output.
const (
	// AutoMergeEnabled: GitHub merges the tested commit once the pull
	// request's requirements are met.
	AutoMergeEnabled = "enabled"
	// AutoMergeNotNeeded: the pull request is merged (now, or before).
	AutoMergeNotNeeded = "not-needed"
	// AutoMergeRefused: GitHub refused both auto-merge and the merge; the
	// check run says why.
	AutoMergeRefused = "refused"
	// AutoMergeNotAttempted: nothing was asked of GitHub (the head moved,
	// the pull request is closed or a draft).
	AutoMergeNotAttempted = "not-attempted"
)

// Stage is the auto-merge stage.
type Stage struct{}

// Validate checks the event and the inputs before anything is sent.
func (Stage) Validate(env *stage.Env) error {
	_, err := planFor(env)
	return err
}

// Run merges or enables auto-merge on the event's pull request and sets the
// outputs.
func (Stage) Run(ctx context.Context, env *stage.Env) ([]report.Target, error) {
	p, err := planFor(env)
	if err != nil {
		return nil, err
	}
	run := env.Publisher.Begin(ctx, CheckRunName, p.tested)
	res, out, err := mergeTested(ctx, env, p)
	if err != nil {
		return nil, fmt.Errorf("PR #%d: %w", p.number, err)
	}
	t := report.Target{Label: fmt.Sprintf("PR #%d", p.number), Result: res}
	run.End(ctx, t)
	for _, o := range [][2]string{
		{OutputMerged, strconv.FormatBool(out.merged)},
		{OutputAutoMerge, out.autoMerge},
		{OutputMergeSHA, out.mergeSHA},
	} {
		if err := env.RT.SetOutput(o[0], o[1]); err != nil {
			return nil, err
		}
	}
	return []report.Target{t}, nil
}
