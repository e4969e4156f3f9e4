package ghapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// Deployment is a deployment GitHub records for an environment.
type Deployment struct {
	ID          int64
	Ref, SHA    string
	Environment string
	Description string
	// Payload is the deployment's payload when it is a JSON object.
	Payload   map[string]any
	CreatedAt time.Time
}

// NewDeployment is what CreateDeployment records.
type NewDeployment struct {
	// Ref is the tested commit SHA (40 or 64 hex digits), never a branch
	// that may have moved since the gates ran.
	Ref string
	// Environment is the environment's name as the Deployments page shows
	// it ("production"); required.
	Environment string
	Description string
	// Payload is extra data for readers of the deployment (the revision,
	// the strategy); it must encode as JSON. CreateDeployment adds
	// RequestKeyField to a copy.
	Payload               map[string]any
	ProductionEnvironment bool
	TransientEnvironment  bool
}

// DeploymentStatus is a new state of a deployment.
type DeploymentStatus struct {
	// State is one of DeploymentStates.
	State string
	// EnvironmentURL is where the environment answers; LogURL where the
	// run's output is (GitHub copies it to target_url). Both are absolute
	// http(s) URLs or empty.
	EnvironmentURL, LogURL string
	// Description is cut to GitHub's 140 characters.
	Description string
	// AutoInactive nil keeps GitHub's default (true): a success marks
	// earlier successful deployments to the environment inactive, but
	// GitHub does so only for non-production, non-transient ones.
	AutoInactive *bool
}

// DeploymentStates are the states GitHub accepts for a deployment status.
var DeploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

// RequestKeyField is the payload field holding a random key per
// CreateDeployment call, by which a deployment created by a request whose
// answer was lost is found again.
const RequestKeyField = "shipgate_request"

const (
	// maxStatusDescription is GitHub's limit on a status description, in
	// characters; more answers 422.
	maxStatusDescription = 140
	// maxEnvironmentName is GitHub's limit on an environment name.
	maxEnvironmentName = 255
	// deploymentPages bounds Deployments: 10 pages of 100, the newest.
	deploymentPages = 10
)

var fullSHA = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// CreateDeployment records a deployment of d.Ref to d.Environment and
// returns its ID; it starts without a status (GitHub shows it pending).
//
// It sends auto_merge false and required_contexts []: shipgate deploys the
// exact commit its own gates (merge-check, build, sandbox, smoke) tested, so
// GitHub must neither merge the default branch into it (a different commit
// than the one tested) nor check commit statuses again (the stage's own
// check run is still in progress on that commit, so GitHub would refuse
// with 409).
//
// A POST is not idempotent: when GitHub creates the deployment but its
// answer is lost (a 502 from a proxy, a dropped connection), the retry
// transport sends the request again and GitHub creates a second one. Every
// call therefore puts a random key in the payload (RequestKeyField). When
// the request was sent more than once, or failed in a way that may hide a
// creation (a server or network error), the deployments of the commit and
// environment are listed and those carrying the key are settled: the
// newest is kept (the one Deployments lists first, so readers of the
// history see it), the others get the status inactive saying they are
// duplicates. A request that failed on every attempt but had created a
// deployment is thus recovered instead of leaving an orphan that stays
// pending. If the listing itself fails, the confirmed deployment is
// returned and a duplicate, if any, stays pending; a message is logged.
func (c *Client) CreateDeployment(ctx context.Context, d NewDeployment) (int64, error) {
	if err := d.validate(); err != nil {
		return 0, err
	}
	key, err := requestKey()
	if err != nil {
		return 0, err
	}
	payload := maps.Clone(d.Payload)
	if payload == nil {
		payload = map[string]any{}
	}
	payload[RequestKeyField] = key
	if _, err := json.Marshal(payload); err != nil {
		return 0, fmt.Errorf("NewDeployment.Payload does not encode as JSON: %w", err)
	}
	req := &github.DeploymentRequest{
		Ref:                   github.String(d.Ref),
		Task:                  github.String("deploy"),
		AutoMerge:             github.Bool(false),
		RequiredContexts:      &[]string{},
		Payload:               payload,
		Environment:           github.String(d.Environment),
		TransientEnvironment:  github.Bool(d.TransientEnvironment),
		ProductionEnvironment: github.Bool(d.ProductionEnvironment),
	}
	if d.Description != "" {
		req.Description = github.String(d.Description)
	}
	actx, attempts := countAttempts(ctx)
	dep, resp, err := c.gh.Repositories.CreateDeployment(actx, c.owner, c.repo, req)
	if err == nil && dep.GetID() == 0 {
		// 202: GitHub merged the default branch instead, which auto_merge
		// false rules out; say so rather than return ID 0.
		return 0, fmt.Errorf("create deployment of %s to %s: GitHub answered %d without a deployment", short(d.Ref), d.Environment, resp.StatusCode)
	}
	if attempts.Load() <= 1 && (err == nil || !mayHaveWritten(err)) {
		if err != nil {
			return 0, fmt.Errorf("create deployment of %s to %s: %w", short(d.Ref), d.Environment, err)
		}
		return dep.GetID(), nil
	}
	return c.settleDeployment(ctx, d, key, dep.GetID(), err)
}

// settleDeployment finds the deployments a call with key created (see
// CreateDeployment), keeps the newest and marks the others inactive.
// confirmed is the ID GitHub answered, 0 when the call failed with err.
func (c *Client) settleDeployment(ctx context.Context, d NewDeployment, key string, confirmed int64, err error) (int64, error) {
	what := fmt.Sprintf("create deployment of %s to %s", short(d.Ref), d.Environment)
	all, lerr := c.listDeployments(ctx, &github.DeploymentsListOptions{SHA: d.Ref, Environment: d.Environment}, 1)
	if lerr != nil {
		if err != nil {
			return 0, fmt.Errorf("%s: %w (and looking for a deployment it may have created failed: %w)", what, err, lerr)
		}
		c.logf("%s: the request was sent more than once and listing deployments to find a duplicate failed: %v", what, lerr)
		return confirmed, nil
	}
	var mine []int64 // newest first
	for _, dep := range all {
		if k, _ := dep.Payload[RequestKeyField].(string); k == key {
			mine = append(mine, dep.ID)
		}
	}
	keep := confirmed
	if keep == 0 {
		if len(mine) == 0 {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		keep = mine[0]
		c.logf("%s: %v; an attempt whose answer was lost created deployment %d, using it", what, err, keep)
	}
	var errs []error
	for _, id := range mine {
		if id == keep {
			continue
		}
		c.logf("%s: a retried request created deployment %d besides %d; marking it inactive", what, id, keep)
		dup := DeploymentStatus{State: "inactive", Description: fmt.Sprintf("Duplicate of deployment %d, created by a retried request.", keep)}
		if err := c.SetDeploymentStatus(ctx, id, dup); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		c.logf("%s: %v", what, errors.Join(errs...))
	}
	return keep, nil
}

// mayHaveWritten reports whether a failed request may still have been
// carried out: a server or network error, unlike GitHub's refusals (4xx).
func mayHaveWritten(err error) bool {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode >= 500
	}
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	return !errors.As(err, &rl) && !errors.As(err, &abuse) && !errors.Is(err, context.Canceled)
}

// SetDeploymentStatus adds a status to a deployment. A retried request can
// add the same status twice; the deployment's state is the same either way.
func (c *Client) SetDeploymentStatus(ctx context.Context, id int64, s DeploymentStatus) error {
	if err := s.validate(id); err != nil {
		return err
	}
	req := &github.DeploymentStatusRequest{State: github.String(s.State), AutoInactive: s.AutoInactive}
	if s.EnvironmentURL != "" {
		req.EnvironmentURL = github.String(s.EnvironmentURL)
	}
	if s.LogURL != "" {
		req.LogURL = github.String(s.LogURL)
	}
	if s.Description != "" {
		req.Description = github.String(cutRunes(s.Description, maxStatusDescription, "..."))
	}
	if _, _, err := c.gh.Repositories.CreateDeploymentStatus(ctx, c.owner, c.repo, id, req); err != nil {
		return fmt.Errorf("set deployment %d to %s: %w", id, s.State, err)
	}
	return nil
}

// Deployments lists the deployments to an environment ("" for every
// environment), newest first: at most the newest 1,000, older ones are
// history no stage needs.
func (c *Client) Deployments(ctx context.Context, environment string) ([]Deployment, error) {
	ds, err := c.listDeployments(ctx, &github.DeploymentsListOptions{Environment: environment}, deploymentPages)
	if err != nil {
		return nil, fmt.Errorf("list deployments to %q: %w", environment, err)
	}
	return ds, nil
}

// listDeployments reads up to pages pages of 100 deployments.
func (c *Client) listDeployments(ctx context.Context, opts *github.DeploymentsListOptions, pages int) ([]Deployment, error) {
	opts.PerPage = 100
	var all []Deployment
	for range pages {
		ds, resp, err := c.gh.Repositories.ListDeployments(ctx, c.owner, c.repo, opts)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", max(opts.Page, 1), err)
		}
		for _, d := range ds {
			all = append(all, toDeployment(d))
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return all, nil
}

func toDeployment(d *github.Deployment) Deployment {
	var payload map[string]any
	if json.Unmarshal(d.Payload, &payload) != nil {
		// GitHub may answer a payload sent as a string as that string.
		var s string
		if json.Unmarshal(d.Payload, &s) == nil {
			_ = json.Unmarshal([]byte(s), &payload)
		}
	}
	return Deployment{
		ID: d.GetID(), Ref: d.GetRef(), SHA: d.GetSHA(), Environment: d.GetEnvironment(),
		Description: d.GetDescription(), Payload: payload, CreatedAt: d.GetCreatedAt().Time,
	}
}

func (d NewDeployment) validate() error {
	switch {
	case !fullSHA.MatchString(d.Ref):
		return fmt.Errorf("NewDeployment.Ref %q is not a full lowercase commit SHA: deploy the SHA the gates tested, not a branch or tag that may move", d.Ref)
	case strings.TrimSpace(d.Environment) == "":
		return errors.New("NewDeployment.Environment is empty: name the environment, e.g. production")
	case utf8.RuneCountInString(d.Environment) > maxEnvironmentName:
		return fmt.Errorf("NewDeployment.Environment is %d characters; GitHub allows %d", utf8.RuneCountInString(d.Environment), maxEnvironmentName)
	case strings.ContainsFunc(d.Environment, unicode.IsControl):
		return fmt.Errorf("NewDeployment.Environment %q contains control characters", d.Environment)
	}
	return nil
}

func (s DeploymentStatus) validate(id int64) error {
	if id <= 0 {
		return fmt.Errorf("deployment ID %d: pass the ID CreateDeployment returned", id)
	}
	if !slices.Contains(DeploymentStates, s.State) {
		return fmt.Errorf("DeploymentStatus.State %q is not one of %s", s.State, strings.Join(DeploymentStates, ", "))
	}
	for _, f := range []struct{ name, value string }{{"EnvironmentURL", s.EnvironmentURL}, {"LogURL", s.LogURL}} {
		if f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("DeploymentStatus.%s %q is not an absolute http(s) URL such as https://app.example.com", f.name, f.value)
		}
	}
	return nil
}

// requestKey is 16 random hex digits.
func requestKey() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("deployment request key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// cutRunes returns s cut to at most n characters, ending with suffix when
// cut.
func cutRunes(s string, n int, suffix string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - utf8.RuneCountInString(suffix)
	i := 0
	for pos := range s {
		if i == keep {
			return s[:pos] + suffix
		}
		i++
	}
	return s
}
