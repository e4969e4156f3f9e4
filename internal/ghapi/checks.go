package ghapi

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
)

// CheckRun is what a new check run starts with.
type CheckRun struct {
	Name       string
	HeadSHA    string
	DetailsURL string
	ExternalID string
	StartedAt  time.Time
}

// Output is a check run's title and markdown.
type Output struct {
	Title   string
	Summary string
	Text    string
}

// CreateCheckRun creates an in-progress check run and returns its id.
func (c *Client) CreateCheckRun(ctx context.Context, cr CheckRun) (int64, error) {
	opts := github.CreateCheckRunOptions{
		Name:      cr.Name,
		HeadSHA:   cr.HeadSHA,
		Status:    github.String("in_progress"),
		StartedAt: &github.Timestamp{Time: cr.StartedAt},
	}
	if cr.DetailsURL != "" {
		opts.DetailsURL = github.String(cr.DetailsURL)
	}
	if cr.ExternalID != "" {
		opts.ExternalID = github.String(cr.ExternalID)
	}
	run, _, err := c.gh.Checks.CreateCheckRun(ctx, c.owner, c.repo, opts)
	if err != nil {
		return 0, fmt.Errorf("create check run %q on %s: %w", cr.Name, short(cr.HeadSHA), err)
	}
	return run.GetID(), nil
}

// CompleteCheckRun sends every annotation in batches of at most 50 and
// completes the check run with the conclusion ("success", "failure", …) on
// the last request. Findings without a file cannot be annotations; they are
// left to the summary.
func (c *Client) CompleteCheckRun(ctx context.Context, id int64, name string, out Output, conclusion string, findings []result.Finding, completed time.Time) error {
	var anns []result.Finding
	for _, f := range findings {
		if f.Path != "" {
			anns = append(anns, f)
		}
	}
	batches := report.Batches(anns, report.MaxAnnotationsPerRequest)
	if len(batches) == 0 {
		batches = [][]result.Finding{nil}
	}
	for i, batch := range batches {
		opts := github.UpdateCheckRunOptions{
			Name: name,
			Output: &github.CheckRunOutput{
				Title:       github.String(out.Title),
				Summary:     github.String(out.Summary),
				Annotations: annotations(batch),
			},
		}
		if out.Text != "" {
			opts.Output.Text = github.String(out.Text)
		}
		if i == len(batches)-1 {
			opts.Status = github.String("completed")
			opts.Conclusion = github.String(conclusion)
			opts.CompletedAt = &github.Timestamp{Time: completed}
		}
		if _, _, err := c.gh.Checks.UpdateCheckRun(ctx, c.owner, c.repo, id, opts); err != nil {
			return fmt.Errorf("update check run %d (annotation batch %d of %d): %w", id, i+1, len(batches), err)
		}
	}
	return nil
}

// annotations converts findings to GitHub's annotation objects, within
// GitHub's rules: a line is required, columns only on one-line annotations,
// the title at most 255 characters.
func annotations(fs []result.Finding) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, 0, len(fs))
	for _, f := range fs {
		start := max(f.Line, 1)
		end := max(f.EndLine, start)
		a := &github.CheckRunAnnotation{
			Path:            github.String(f.Path),
			StartLine:       github.Int(start),
			EndLine:         github.Int(end),
			AnnotationLevel: github.String(string(f.Level)),
			Message:         github.String(truncate(f.Message, 64<<10)),
			Title:           github.String(truncate(f.Title, 255)),
		}
		if f.Message == "" {
			a.Message = a.Title
		}
		if start == end && f.Column > 0 {
			a.StartColumn = github.Int(f.Column)
			a.EndColumn = github.Int(max(f.EndColumn, f.Column))
		}
		if f.Object != "" {
			a.RawDetails = github.String("object: " + f.Object)
		}
		out = append(out, a)
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
