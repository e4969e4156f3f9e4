package ghapi

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
)

// Pull is the part of a pull request shipgate uses.
type Pull struct {
	Number  int
	Title   string
	HeadSHA string
	HeadRef string
	// HeadRepo is the head's "owner/name"; it differs from the base
	// repository for a pull request from a fork.
	HeadRepo string
	BaseRef  string
	BaseSHA  string
	Draft    bool
	HTMLURL  string
	// Mergeable is GitHub's own view: nil while GitHub is still computing it.
	Mergeable      *bool
	MergeableState string
}

// GetPull returns one pull request.
func (c *Client) GetPull(ctx context.Context, number int) (Pull, error) {
	pr, _, err := c.gh.PullRequests.Get(ctx, c.owner, c.repo, number)
	if err != nil {
		return Pull{}, fmt.Errorf("get pull request #%d: %w", number, err)
	}
	return toPull(pr), nil
}

// WaitMergeable asks for a pull request until GitHub has computed whether it
// is mergeable, at most attempts times with a doubling wait from first. When
// GitHub still has no answer the pull is returned with Mergeable nil: the
// caller reports "unknown", it does not fail.
func (c *Client) WaitMergeable(ctx context.Context, number, attempts int, first time.Duration, sleep func(context.Context, time.Duration) error) (Pull, error) {
	if sleep == nil {
		sleep = sleepCtx
	}
	wait := first
	var pr Pull
	for i := 1; ; i++ {
		var err error
		if pr, err = c.GetPull(ctx, number); err != nil {
			return Pull{}, err
		}
		if pr.Mergeable != nil || i >= attempts {
			return pr, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return pr, fmt.Errorf("wait for GitHub to compute mergeability of #%d: %w", number, err)
		}
		wait *= 2
	}
}

// OpenPulls lists every open pull request whose base is the branch, all pages.
func (c *Client) OpenPulls(ctx context.Context, base string) ([]Pull, error) {
	opts := &github.PullRequestListOptions{State: "open", Base: base, ListOptions: github.ListOptions{PerPage: 100}}
	var all []Pull
	for page := 1; page <= 50; page++ { // at most 5,000 open pull requests
		prs, resp, err := c.gh.PullRequests.List(ctx, c.owner, c.repo, opts)
		if err != nil {
			return nil, fmt.Errorf("list open pull requests into %s (page %d): %w", base, opts.Page, err)
		}
		for _, pr := range prs {
			all = append(all, toPull(pr))
		}
		if resp.NextPage == 0 {
			return all, nil
		}
		opts.Page = resp.NextPage
	}
	return all, fmt.Errorf("list open pull requests into %s: more than 50 pages", base)
}

func toPull(pr *github.PullRequest) Pull {
	return Pull{
		Number:         pr.GetNumber(),
		Title:          pr.GetTitle(),
		HeadSHA:        pr.GetHead().GetSHA(),
		HeadRef:        pr.GetHead().GetRef(),
		HeadRepo:       pr.GetHead().GetRepo().GetFullName(),
		BaseRef:        pr.GetBase().GetRef(),
		BaseSHA:        pr.GetBase().GetSHA(),
		Draft:          pr.GetDraft(),
		HTMLURL:        pr.GetHTMLURL(),
		Mergeable:      pr.Mergeable,
		MergeableState: pr.GetMergeableState(),
	}
}
