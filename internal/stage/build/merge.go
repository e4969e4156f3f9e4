package build

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// runMerge assembles, pushes, verifies and tags the index, reporting on
// the check run; problems with the images are findings.
func (s Stage) runMerge(ctx context.Context, env *stage.Env, set settings) ([]report.Target, error) {
	started := env.Now()
	run := env.Publisher.Begin(ctx, CheckRunName, headSHA(env))
	opts := append([]imageindex.Option{
		imageindex.WithKeychain(imageindex.GitHubKeychain(env.Inputs.GitHubToken, env.RT.Getenv("GITHUB_ACTOR"))),
		imageindex.WithLogf(env.RT.Logf),
	}, s.Registry...)
	mctx, cancel := context.WithTimeout(ctx, set.timeout)
	defer cancel()
	req := imageindex.Request{Repository: set.repo, Platforms: set.platforms, Children: set.children, Tags: set.tags}
	out, err := imageindex.Merge(mctx, req, opts...)
	if err != nil {
		if errors.Is(mctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("image index in %s: the registry did not finish within %s (input timeout): %w", set.repo, set.timeout, err)
		}
		return nil, fmt.Errorf("image index in %s: %w", set.repo, err)
	}
	if out.OK() {
		ref := out.Ref()
		if err := errors.Join(env.RT.SetOutput("image", ref), env.RT.SetOutput("digest", out.Digest.String())); err != nil {
			return nil, err
		}
	}
	t := report.Target{Result: mergeResult(set, out)}
	t.Result.Started, t.Result.Finished = started, env.Now()
	run.End(ctx, t)
	return []report.Target{t}, nil
}

// mergeResult turns the outcome into checks: one per platform (its image
// as handed on and as the index holds it), the index as a whole, the tags.
func mergeResult(set settings, out imageindex.Outcome) result.Result {
	res := result.Result{Stage: "build"}
	var checks []result.Check
	at := map[string]int{} // platform → its check's index in checks
	platformCheck := func(p string) int {
		if i, ok := at[p]; ok {
			return i
		}
		at[p] = len(checks)
		checks = append(checks, result.Check{Name: "image/" + p,
			Description: fmt.Sprintf("the %s image is in the registry, built for %s, and in the index exactly once", p, p)})
		return len(checks) - 1
	}
	for _, p := range set.platforms {
		platformCheck(imageindex.Format(p))
	}
	index := result.Check{Name: "index/verify", Description: "the index read back from the registry holds the requested platforms and nothing else"}
	tags := result.Check{Name: "index/tags", Description: "every tag points at the verified index"}
	add := func(c *result.Check, p imageindex.Problem) {
		c.Findings = append(c.Findings, result.Finding{Check: c.Name, Level: result.Failure, Title: p.Title, Message: p.Message})
	}
	for _, p := range slices.Concat(out.Children.Problems, indexProblems(out)) {
		if p.Platform == "" {
			add(&index, p)
			continue
		}
		i := platformCheck(p.Platform)
		add(&checks[i], p)
	}
	for _, p := range out.TagProblems {
		add(&tags, p)
	}
	switch {
	case out.Index == nil:
		index.Skipped = "no index was pushed: the platform images have problems"
		tags.Skipped = index.Skipped
	case len(out.Index.Problems) > 0:
		tags.Skipped = "the index failed verification; no tag was pushed"
	case len(set.tags) == 0:
		tags.Skipped = "no tags given; the index is pushed by digest only"
	}
	res.Checks = append(checks, index, tags)
	res.Title, res.Notes = summary(set, out)
	return res
}

func indexProblems(out imageindex.Outcome) []imageindex.Problem {
	if out.Index == nil {
		return nil
	}
	return out.Index.Problems
}

// summary is the headline and one note per platform: digest and size.
func summary(set settings, out imageindex.Outcome) (string, []string) {
	entries := out.Children.Entries
	var title string
	switch {
	case out.OK():
		title = fmt.Sprintf("Verified image index for %d platform(s): %s", len(set.platforms), out.Ref())
		entries = out.Index.Entries
	case out.Index == nil:
		title = fmt.Sprintf("%d problem(s) with the platform images; nothing was pushed", len(out.Children.Problems))
	case len(out.Index.Problems) > 0:
		title = fmt.Sprintf("The pushed index %s failed verification (%d problem(s)); no tag points at it", out.Ref(), len(out.Index.Problems))
	default:
		title = fmt.Sprintf("%d tag(s) do not point at the verified index %s", len(out.TagProblems), out.Ref())
	}
	var notes []string
	if out.Index != nil {
		tagNote := "no tags (pushed by digest only)"
		if len(out.Tags) > 0 {
			tagNote = "tags `" + strings.Join(out.Tags, "`, `") + "`"
		}
		notes = append(notes, fmt.Sprintf("index `%s` (%s), %s", out.Ref(), out.MediaType, tagNote))
	}
	for _, e := range entries {
		plat := "(no platform)"
		if e.Platform != nil {
			plat = imageindex.Format(*e.Platform)
		}
		note := fmt.Sprintf("`%s`: `%s`", plat, e.Digest)
		if e.Found {
			note += fmt.Sprintf(", %s (manifest %s)", size(e.ImageSize), size(e.ManifestSize))
		} else {
			note += ", not in the registry"
		}
		if e.Via.Hex != "" {
			note += fmt.Sprintf(", taken from index `%s` (its attestations are not carried over)", e.Via)
		}
		notes = append(notes, note)
	}
	return title, notes
}

// size renders a size in binary units.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
