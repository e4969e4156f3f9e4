package ghapi

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/risk"
)

// HistoryQuery says which earlier runs' JUnit results TestHistory reads.
// The zero value of each bound is its default.
type HistoryQuery struct {
	// BaseBranch is the branch whose runs are the base runs, e.g. "main";
	// required.
	BaseBranch string
	// CurrentRunID is this run, left out.
	CurrentRunID int64
	// PullRequest and HeadBranch name this run's change: its own earlier
	// runs are left out (a change that breaks a case fails it every run,
	// which says nothing of the case).
	PullRequest int
	HeadBranch  string
	// MaxRuns bounds the completed runs looked at, newest first (30).
	MaxRuns int
	// ArtifactPrefix selects the report artifacts by name
	// ("shipgate-report": the reusable workflows upload
	// shipgate-report-<stage>).
	ArtifactPrefix string
	// MaxArtifactBytes bounds one archive (50 MiB); larger ones are
	// skipped with a note.
	MaxArtifactBytes int64
}

// The defaults of HistoryQuery.
const (
	DefaultHistoryRuns        = 30
	DefaultArtifactPrefix     = "shipgate-report"
	DefaultMaxArtifactBytes   = 50 << 20
	maxArtifactsListedPerRun  = 100
	historyRunsPerPageMaximum = 100
)

// TestHistory reads the JUnit results of the repository's earlier
// completed workflow runs from their report artifacts: it lists the runs
// newest first (at most MaxRuns), each run's artifacts, downloads the
// archives whose name has ArtifactPrefix (streamed to a temporary file of
// at most MaxArtifactBytes) and reads every *.junit.xml in them, a case at
// a time. A run without such an artifact, an expired or oversized
// artifact or an unreadable file is counted in the history's notes; only
// a failure to list the runs, or ctx ending, is an error.
func (c *Client) TestHistory(ctx context.Context, q HistoryQuery) (risk.History, error) {
	if q.BaseBranch == "" {
		return risk.History{}, errors.New("history: the base branch is empty")
	}
	if q.MaxRuns <= 0 {
		q.MaxRuns = DefaultHistoryRuns
	}
	if q.ArtifactPrefix == "" {
		q.ArtifactPrefix = DefaultArtifactPrefix
	}
	if q.MaxArtifactBytes <= 0 {
		q.MaxArtifactBytes = DefaultMaxArtifactBytes
	}
	runs, err := c.completedRuns(ctx, q.MaxRuns)
	if err != nil {
		return risk.History{}, err
	}
	h := risk.History{
		BaseBranch: q.BaseBranch,
		Source:     fmt.Sprintf("the last %d completed workflow run(s) of %s/%s, artifacts %s*", len(runs), c.owner, c.repo, q.ArtifactPrefix),
	}
	var n notes
	for _, run := range runs {
		if run.GetID() == q.CurrentRunID || ownRun(run, q) {
			continue
		}
		h.Looked++
		r, matched, err := c.runResults(ctx, run, q, &n)
		if ctx.Err() != nil {
			return risk.History{}, fmt.Errorf("history: run %d: %w", run.GetID(), ctx.Err())
		}
		if err != nil {
			n.add("%d run(s) could not be read (run %d: %v)", run.GetID(), err)
			continue
		}
		if r.Cases == nil && !matched {
			n.add("%d run(s) had no %s* artifact (run %d)", q.ArtifactPrefix, run.GetID())
		}
		if r.Cases == nil {
			continue
		}
		h.Runs = append(h.Runs, r)
	}
	h.Notes = n.lines()
	return h, nil
}

// completedRuns lists up to max completed runs, newest first.
func (c *Client) completedRuns(ctx context.Context, max int) ([]*github.WorkflowRun, error) {
	opts := &github.ListWorkflowRunsOptions{Status: "completed", ListOptions: github.ListOptions{PerPage: min(max, historyRunsPerPageMaximum)}}
	var out []*github.WorkflowRun
	for len(out) < max {
		page, resp, err := c.gh.Actions.ListRepositoryWorkflowRuns(ctx, c.owner, c.repo, opts)
		if err != nil {
			return nil, fmt.Errorf("history: list workflow runs: %w", err)
		}
		out = append(out, page.WorkflowRuns...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out[:min(len(out), max)], nil
}

// ownRun reports whether run is one of this change's own earlier runs.
func ownRun(run *github.WorkflowRun, q HistoryQuery) bool {
	if !isPullRequestEvent(run.GetEvent()) {
		return false
	}
	for _, pr := range run.PullRequests {
		if q.PullRequest != 0 && pr.GetNumber() == q.PullRequest {
			return true
		}
	}
	// A fork's pull request runs list no pull requests; its head branch
	// names it.
	return len(run.PullRequests) == 0 && q.HeadBranch != "" && run.GetHeadBranch() == q.HeadBranch
}

func isPullRequestEvent(e string) bool {
	return e == "pull_request" || e == "pull_request_target"
}

// runResults reads the JUnit results of one run's report artifacts; Cases
// is nil when it had none. matched says whether any artifact had the
// prefix (one that was expired, too large or unreadable is noted apart).
func (c *Client) runResults(ctx context.Context, run *github.WorkflowRun, q HistoryQuery, n *notes) (r risk.Run, matched bool, err error) {
	r = risk.Run{
		ID: run.GetID(), URL: run.GetHTMLURL(), Branch: run.GetHeadBranch(),
		Base: run.GetHeadBranch() == q.BaseBranch && !isPullRequestEvent(run.GetEvent()),
		Time: run.GetCreatedAt().Time,
	}
	if len(run.PullRequests) > 0 {
		r.PullRequest = run.PullRequests[0].GetNumber()
	}
	arts, _, err := c.gh.Actions.ListWorkflowRunArtifacts(ctx, c.owner, c.repo, run.GetID(), &github.ListOptions{PerPage: maxArtifactsListedPerRun})
	if err != nil {
		return r, false, fmt.Errorf("list artifacts: %w", err)
	}
	for _, a := range arts.Artifacts {
		if strings.HasPrefix(a.GetName(), q.ArtifactPrefix) {
			matched = true
		}
		switch {
		case !strings.HasPrefix(a.GetName(), q.ArtifactPrefix):
		case a.GetExpired():
			n.add("%d artifact(s) had expired (%s of run %d)", a.GetName(), run.GetID())
		case a.GetSizeInBytes() > q.MaxArtifactBytes:
			n.add("%d artifact(s) were over %d bytes and skipped (%s of run %d)", q.MaxArtifactBytes, a.GetName(), run.GetID())
		default:
			if err := c.readArtifact(ctx, a, q.MaxArtifactBytes, &r); err != nil {
				if ctx.Err() != nil {
					return r, matched, err
				}
				n.add("%d artifact(s) could not be read (%s of run %d: %v)", a.GetName(), run.GetID(), err)
			}
		}
	}
	return r, matched, nil
}

// readArtifact downloads an artifact's zip and merges the results of its
// JUnit files into r (a case failed in any file failed).
func (c *Client) readArtifact(ctx context.Context, a *github.Artifact, limit int64, r *risk.Run) error {
	loc, _, err := c.gh.Actions.DownloadArtifact(ctx, c.owner, c.repo, a.GetID(), 0)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	f, err := os.CreateTemp("", "shipgate-artifact-*.zip")
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	size, err := c.fetch(ctx, loc.String(), f, limit)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("open zip: %w", err)
	}
	// The archive as a whole is bounded too: entries' sizes in a zip are
	// the writer's word, so what is read is counted.
	budget, entries := int64(maxArchiveJUnitBytes), 0
	for _, zf := range zr.File {
		if !strings.HasSuffix(path.Base(zf.Name), ".junit.xml") {
			continue
		}
		if entries++; entries > maxArchiveJUnitFiles {
			return fmt.Errorf("more than %d JUnit files in the archive", maxArchiveJUnitFiles)
		}
		if zf.UncompressedSize64 > risk.MaxJUnitBytes {
			return fmt.Errorf("%s: %d bytes, over %d", zf.Name, zf.UncompressedSize64, risk.MaxJUnitBytes)
		}
		cases, n, err := readZipJUnit(zf, min(budget, risk.MaxJUnitBytes))
		if err != nil {
			return err
		}
		if budget -= n; budget <= 0 {
			return fmt.Errorf("the archive's JUnit files hold more than %d bytes", maxArchiveJUnitBytes)
		}
		if r.Cases == nil {
			r.Cases = map[risk.Case]risk.Outcome{}
		}
		for k, o := range cases {
			if prev, ok := r.Cases[k]; !ok || o == risk.Failed || prev == risk.Skipped {
				r.Cases[k] = o
			}
		}
	}
	return nil
}

// Bounds of one report archive's JUnit files, whatever the zip claims.
const (
	maxArchiveJUnitBytes = 256 << 20
	maxArchiveJUnitFiles = 64
)

// readZipJUnit reads one JUnit file of an archive, at most limit bytes,
// and says how many it read.
func readZipJUnit(zf *zip.File, limit int64) (map[risk.Case]risk.Outcome, int64, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", zf.Name, err)
	}
	defer rc.Close()
	cr := &countingReader{r: rc}
	cases, err := risk.ReadJUnit(cr, limit)
	if err != nil {
		return nil, cr.n, fmt.Errorf("%s: %w", zf.Name, err)
	}
	return cases, cr.n, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fetch copies the body at url (a signed storage URL: no token is sent) to
// w, at most limit bytes, and returns its size.
func (c *Client) fetch(ctx context.Context, url string, w io.Writer, limit int64) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.storage.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("artifact storage answered %s", resp.Status)
	}
	if resp.ContentLength > limit {
		return 0, fmt.Errorf("%d bytes, over %d", resp.ContentLength, limit)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, err
	}
	if n > limit {
		return 0, fmt.Errorf("over %d bytes", limit)
	}
	return n, nil
}

// notes counts what TestHistory left out, one line per kind with its
// first example.
type notes struct {
	order []string
	count map[string]int
	first map[string][]any
}

// add counts one occurrence of format, whose first verb is the count and
// the rest the example's arguments.
func (n *notes) add(format string, args ...any) {
	if n.count == nil {
		n.count, n.first = map[string]int{}, map[string][]any{}
	}
	if n.count[format] == 0 {
		n.order = append(n.order, format)
		n.first[format] = args
	}
	n.count[format]++
}

func (n *notes) lines() []string {
	var out []string
	for _, f := range n.order {
		out = append(out, fmt.Sprintf(f+".", append([]any{n.count[f]}, n.first[f]...)...))
	}
	return out
}

// HistorySource is a risk.Source reading q's history through c.
func (c *Client) HistorySource(q HistoryQuery) risk.Source { return historySource{c, q} }

type historySource struct {
	c *Client
	q HistoryQuery
}

func (s historySource) History(ctx context.Context) (risk.History, error) {
	return s.c.TestHistory(ctx, s.q)
}
