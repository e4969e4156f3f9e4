package ghapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// MaxCommentLen is GitHub's limit on a comment body, in characters.
const MaxCommentLen = 65536

// pullPages bounds PullsForCommit: a commit belongs to a handful of pull
// requests, 10 pages of 100 is far beyond.
const pullPages = 10

// PullsForCommit returns the numbers of the pull requests GitHub associates
// with a commit, in GitHub's order: for a commit on the default branch, the
// merged pull request that introduced it; for another commit, the open and
// merged pull requests that contain it. sha must be a full commit SHA.
func (c *Client) PullsForCommit(ctx context.Context, sha string) ([]int, error) {
	if !fullSHA.MatchString(sha) {
		return nil, fmt.Errorf("commit SHA %q is not a full lowercase commit SHA (40 or 64 hex digits)", sha)
	}
	opts := &github.ListOptions{PerPage: 100}
	var numbers []int
	for range pullPages {
		prs, resp, err := c.gh.PullRequests.ListPullRequestsWithCommit(ctx, c.owner, c.repo, sha, opts)
		if err != nil {
			return nil, fmt.Errorf("list pull requests of commit %s (page %d): %w", short(sha), max(opts.Page, 1), err)
		}
		for _, pr := range prs {
			if n := pr.GetNumber(); !slices.Contains(numbers, n) {
				numbers = append(numbers, n)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return numbers, nil
}

// CommentOnPull comments on a pull request and returns the comment's ID. A
// body over GitHub's 65,536 characters is cut, with a note saying so.
//
// The retry transport may send the request again after a server error; if
// GitHub had created the comment but its answer was lost, the pull request
// gets the same comment twice. That is noise, not wrong state, and cheaper
// than listing the comments before every retry.
func (c *Client) CommentOnPull(ctx context.Context, number int, body string) (int64, error) {
	if number <= 0 {
		return 0, fmt.Errorf("pull request number %d: want the number of a pull request (> 0)", number)
	}
	if strings.TrimSpace(body) == "" {
		return 0, errors.New("comment body is empty: say what happened")
	}
	comment, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.repo, number, &github.IssueComment{Body: github.String(cutComment(body))})
	if err != nil {
		return 0, fmt.Errorf("comment on pull request #%d: %w", number, err)
	}
	return comment.GetID(), nil
}

// cutComment cuts body to MaxCommentLen characters, the last of them a note
// saying how long the body was.
func cutComment(body string) string {
	n := utf8.RuneCountInString(body)
	if n <= MaxCommentLen {
		return body
	}
	note := fmt.Sprintf("\n\n---\n*Cut: the comment had %d characters; GitHub allows %d.*", n, MaxCommentLen)
	return cutRunes(body, MaxCommentLen-utf8.RuneCountInString(note), "") + note
}
