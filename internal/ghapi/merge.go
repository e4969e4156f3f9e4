package ghapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Why GitHub refused to merge or to enable auto-merge; test with errors.Is
// on what EnableAutoMerge and MergePull return.
var (
	// ErrMergeableNow: the pull request can be merged right now (merge
	// state clean, unstable or has_hooks), so auto-merge has nothing to
	// wait for and GitHub refuses to enable it. Merge directly instead.
	ErrMergeableNow = errors.New("the pull request can be merged now, so GitHub does not enable auto-merge")
	// ErrAutoMergeNotAllowed: the repository's "Allow auto-merge" setting
	// is off.
	ErrAutoMergeNotAllowed = errors.New("auto-merge is not allowed in this repository")
	// ErrHeadModified: the head is not the SHA the request expected.
	ErrHeadModified = errors.New("the head branch was modified")
	// ErrNotMergeable: GitHub will not merge the pull request (REST 405:
	// conflicts, required reviews or checks missing, closed).
	ErrNotMergeable = errors.New("the pull request is not mergeable")
	// ErrNotPermitted: the token may not merge (403 or GraphQL FORBIDDEN).
	ErrNotPermitted = errors.New("the token is not permitted to merge")
)

// MergeMethod is how GitHub merges a pull request.
type MergeMethod string

// The merge methods, spelled as REST's merge_method.
const (
	MethodMerge  MergeMethod = "merge"
	MethodSquash MergeMethod = "squash"
	MethodRebase MergeMethod = "rebase"
)

// ParseMergeMethod accepts merge, squash or rebase in any case; empty is
// merge, GitHub's default.
func ParseMergeMethod(s string) (MergeMethod, error) {
	switch m := MergeMethod(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return MethodMerge, nil
	case MethodMerge, MethodSquash, MethodRebase:
		return m, nil
	}
	return "", fmt.Errorf("merge method %q is not one of merge, squash, rebase", s)
}

// PullHead is what merging needs to know about a pull request.
type PullHead struct {
	Number int
	// NodeID is the GraphQL id (node_id).
	NodeID         string
	HeadSHA        string
	BaseRef        string
	State          string // open or closed
	Draft          bool
	Merged         bool
	MergeCommitSHA string
	MergeableState string
}

// mergeableNowStates are the merge states (REST's mergeable_state) in
// which GitHub would merge at once, and so refuses to enable auto-merge.
var mergeableNowStates = []string{"clean", "unstable", "has_hooks"}

// MergeableNow reports whether the merge state says GitHub would merge the
// pull request now: auto-merge would have nothing to wait for, and GitHub
// refuses to enable it (ErrMergeableNow).
func (p PullHead) MergeableNow() bool {
	return slices.Contains(mergeableNowStates, p.MergeableState)
}

// GetPullHead reads a pull request's head and merge state.
func (c *Client) GetPullHead(ctx context.Context, number int) (PullHead, error) {
	pr, _, err := c.gh.PullRequests.Get(ctx, c.owner, c.repo, number)
	if err != nil {
		return PullHead{}, fmt.Errorf("get pull request #%d: %w", number, err)
	}
	return PullHead{
		Number: pr.GetNumber(), NodeID: pr.GetNodeID(), HeadSHA: pr.GetHead().GetSHA(), BaseRef: pr.GetBase().GetRef(),
		State: pr.GetState(), Draft: pr.GetDraft(), Merged: pr.GetMerged(), MergeCommitSHA: pr.GetMergeCommitSHA(),
		MergeableState: pr.GetMergeableState(),
	}, nil
}

// MergePull merges a pull request with REST, only if its head is still sha,
// and returns the merge commit's SHA. Refusals wrap ErrHeadModified (409),
// ErrNotMergeable (405) or ErrNotPermitted (403).
func (c *Client) MergePull(ctx context.Context, number int, sha string, method MergeMethod) (string, error) {
	res, _, err := c.gh.PullRequests.Merge(ctx, c.owner, c.repo, number, "", &github.PullRequestOptions{SHA: sha, MergeMethod: string(method)})
	if err != nil {
		var er *github.ErrorResponse
		switch {
		case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusConflict:
			err = fmt.Errorf("%w: %w", ErrHeadModified, err)
		case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusMethodNotAllowed:
			err = fmt.Errorf("%w: %w", ErrNotMergeable, err)
		case IsForbidden(err):
			err = fmt.Errorf("%w: %w", ErrNotPermitted, err)
		}
		return "", fmt.Errorf("merge pull request #%d at %s: %w", number, short(sha), err)
	}
	return res.GetSHA(), nil
}

// AutoMergeRequest is an enabled auto-merge.
type AutoMergeRequest struct {
	EnabledAt time.Time
	// Method is GraphQL's PullRequestMergeMethod: MERGE, SQUASH or REBASE.
	Method string
}

// enableAutoMerge is the mutation; expectedHeadOid makes GitHub refuse
// when the head moved since the SHA the caller checked.
const enableAutoMerge = `mutation EnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!, $expectedHeadOid: GitObjectID!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod, expectedHeadOid: $expectedHeadOid}) {
    pullRequest {
      autoMergeRequest {
        enabledAt
        mergeMethod
      }
    }
  }
}`

// EnableAutoMerge asks GitHub to merge the pull request (its GraphQL node
// id) once its requirements are met, only while its head is headSHA.
// Refusals are a *GraphQLError that matches ErrMergeableNow,
// ErrAutoMergeNotAllowed, ErrHeadModified or ErrNotPermitted with
// errors.Is when GitHub said so.
func (c *Client) EnableAutoMerge(ctx context.Context, nodeID string, method MergeMethod, headSHA string) (AutoMergeRequest, error) {
	var out struct {
		Enable *struct {
			PullRequest struct {
				AutoMergeRequest *struct {
					EnabledAt   time.Time `json:"enabledAt"`
					MergeMethod string    `json:"mergeMethod"`
				} `json:"autoMergeRequest"`
			} `json:"pullRequest"`
		} `json:"enablePullRequestAutoMerge"`
	}
	vars := map[string]any{"pullRequestId": nodeID, "mergeMethod": strings.ToUpper(string(method)), "expectedHeadOid": headSHA}
	if err := c.graphql(ctx, enableAutoMerge, vars, &out); err != nil {
		return AutoMergeRequest{}, fmt.Errorf("enable auto-merge (%s) at %s: %w", method, short(headSHA), err)
	}
	if out.Enable == nil || out.Enable.PullRequest.AutoMergeRequest == nil {
		return AutoMergeRequest{}, fmt.Errorf("enable auto-merge (%s) at %s: GitHub answered without an auto-merge request", method, short(headSHA))
	}
	am := out.Enable.PullRequest.AutoMergeRequest
	return AutoMergeRequest{EnabledAt: am.EnabledAt, Method: am.MergeMethod}, nil
}

// WithToken returns a client for the same API and repository that sends
// token instead; opts are as for New.
func (c *Client) WithToken(token string, opts ...Option) (*Client, error) {
	if token == "" {
		return nil, errors.New("the token is empty")
	}
	return New(c.gh.BaseURL.String(), token, c.owner+"/"+c.repo, opts...)
}

// GraphQLURL is the GraphQL endpoint that goes with a REST API base URL
// (GITHUB_API_URL): https://api.github.com/graphql for api.github.com,
// https://HOST/api/graphql for GitHub Enterprise Server's
// https://HOST/api/v3, and BASE/graphql otherwise (GHE.com's
// https://api.SUBDOMAIN.ghe.com).
func GraphQLURL(apiURL string) (string, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL such as https://api.github.com", apiURL)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if rest, ok := strings.CutSuffix(p, "/api/v3"); ok {
		u.Path = rest + "/api/graphql"
	} else {
		u.Path = p + "/graphql"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// GraphQLError is a GraphQL response's errors; GitHub answers them with
// HTTP 200.
type GraphQLError struct {
	Errors []GraphQLErrorEntry
}

// GraphQLErrorEntry is one GraphQL error as GitHub sends it.
type GraphQLErrorEntry struct {
	// Type is GitHub's classification: UNPROCESSABLE, FORBIDDEN,
	// NOT_FOUND, ...; empty for validation errors.
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

// Error joins the messages.
func (e *GraphQLError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, x := range e.Errors {
		msgs[i] = x.Message
	}
	return "GraphQL: " + strings.Join(msgs, "; ")
}

// Is matches the refusals GitHub words in its messages.
func (e *GraphQLError) Is(target error) bool {
	for _, x := range e.Errors {
		m := x.Message
		switch {
		case target == ErrMergeableNow && slices.ContainsFunc(mergeableNowStates, func(s string) bool { return strings.Contains(m, "is in "+s+" status") }),
			target == ErrAutoMergeNotAllowed && strings.Contains(m, "Auto merge is not allowed"),
			target == ErrHeadModified && strings.Contains(m, "Head branch was modified"),
			target == ErrNotPermitted && x.Type == "FORBIDDEN":
			return true
		}
	}
	return false
}

// Message is what GitHub said in err: the GraphQL or REST error message,
// or err's text when GitHub said nothing.
func Message(err error) string {
	var ge *GraphQLError
	var er *github.ErrorResponse
	switch {
	case errors.As(err, &ge):
		return strings.TrimPrefix(ge.Error(), "GraphQL: ")
	case errors.As(err, &er) && er.Message != "":
		return er.Message
	}
	return err.Error()
}

// graphql runs one GraphQL operation through the client's authenticated,
// retrying transport and decodes its data into out.
func (c *Client) graphql(ctx context.Context, query string, vars map[string]any, out any) error {
	endpoint, err := GraphQLURL(c.gh.BaseURL.String())
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("encode GraphQL request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("GraphQL request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.gh.UserAgent)
	resp, err := c.gh.Client().Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	if err := github.CheckResponse(resp); err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage     `json:"data"`
		Errors []GraphQLErrorEntry `json:"errors"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 10<<20)).Decode(&r); err != nil {
		return fmt.Errorf("decode GraphQL answer from %s: %w", endpoint, err)
	}
	if len(r.Errors) > 0 {
		return &GraphQLError{Errors: r.Errors}
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("decode GraphQL data from %s: %w", endpoint, err)
	}
	return nil
}
