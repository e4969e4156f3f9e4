package automerge

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/stage"
)

// plan is what the inputs and the event ask for.
type plan struct {
	number int
	// tested is the head SHA the gates tested: input head-sha, or the
	// event's pull_request.head.sha.
	tested string
	method ghapi.MergeMethod
	// mergeToken makes the merge or auto-merge request; "" uses
	// github-token.
	mergeToken string
}

// supported are the events whose payload names a pull request. A reusable
// workflow (workflow_call) sees its caller's event.
var supported = []string{"pull_request", "pull_request_target", "pull_request_review"}

// fullSHA is a full commit SHA (SHA-1 or SHA-256).
var fullSHA = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// planFor validates the event and inputs; every problem is reported at once.
func planFor(env *stage.Env) (plan, error) {
	ev := env.Event
	if ev == nil {
		return plan{}, errors.New("auto-merge runs in GitHub Actions, on a pull request event; there is no pull request to merge on the command line")
	}
	var errs []error
	p := plan{mergeToken: env.Inputs.MergeToken}
	switch {
	case !slices.Contains(supported, ev.Name):
		errs = append(errs, fmt.Errorf("auto-merge does not run on %q events; trigger it on one of: %s (or call its reusable workflow from one of them)",
			ev.Name, strings.Join(supported, ", ")))
	case ev.PullRequest == nil || ev.PullRequest.Number <= 0 || ev.PullRequest.Head.SHA == "":
		errs = append(errs, fmt.Errorf("the %s event payload has no pull_request with number and head.sha", ev.Name))
	default:
		p.number, p.tested = ev.PullRequest.Number, ev.PullRequest.Head.SHA
	}
	if sha := strings.TrimSpace(env.Inputs.HeadSHA); sha != "" {
		if !fullSHA.MatchString(sha) {
			errs = append(errs, fmt.Errorf("input head-sha %q is not a full commit SHA (40 lowercase hex digits); pass the SHA the gates tested, e.g. ${{ github.event.pull_request.head.sha }}", env.Inputs.HeadSHA))
		}
		p.tested = sha
	}
	var err error
	if p.method, err = ghapi.ParseMergeMethod(env.Inputs.MergeMethod); err != nil {
		errs = append(errs, fmt.Errorf("input merge-method: %w; set it to one the repository allows (default merge)", err))
	}
	if env.GitHub == nil {
		errs = append(errs, errors.New("auto-merge needs the GitHub API: set input github-token (default ${{ github.token }})"))
	}
	return p, errors.Join(errs...)
}
