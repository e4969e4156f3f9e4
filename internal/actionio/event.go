package actionio

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Event is the part of the triggering event's payload that stages use.
type Event struct {
	// Name is GITHUB_EVENT_NAME, e.g. "pull_request".
	Name        string       `json:"-"`
	PullRequest *PullRequest `json:"pull_request"`
	MergeGroup  *MergeGroup  `json:"merge_group"`
	// Ref and After are set on push events.
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Repository struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// PullRequest is a pull_request or pull_request_target payload's pull request.
type PullRequest struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
	Head   Branch `json:"head"`
	Base   Branch `json:"base"`
}

// Branch is one side of a pull request.
type Branch struct {
	Ref  string `json:"ref"`
	SHA  string `json:"sha"`
	Repo struct {
		FullName string `json:"full_name"`
	} `json:"repo"`
}

// MergeGroup is a merge_group payload's merge group.
type MergeGroup struct {
	HeadSHA string `json:"head_sha"`
	HeadRef string `json:"head_ref"`
	BaseSHA string `json:"base_sha"`
	BaseRef string `json:"base_ref"`
}

// Event reads the triggering event from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH.
func (r *Runtime) Event() (Event, error) {
	var ev Event
	name := r.getenv("GITHUB_EVENT_NAME")
	p := r.getenv("GITHUB_EVENT_PATH")
	if name == "" || p == "" {
		return ev, fmt.Errorf("GITHUB_EVENT_NAME and GITHUB_EVENT_PATH must be set by the runner (got %q and %q)", name, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return ev, fmt.Errorf("read event payload GITHUB_EVENT_PATH: %w", err)
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("parse event payload %s: %w", p, err)
	}
	ev.Name = name
	return ev, nil
}

// Job is what the runner says about the job and repository.
type Job struct {
	Repository string // owner/name
	Workspace  string
	APIURL     string
	ServerURL  string
	RunID      int64
	RunAttempt int64
	RefName    string
	SHA        string
	Temp       string // RUNNER_TEMP
}

// Job reads the runner's job variables.
func (r *Runtime) Job() Job {
	num := func(k string) int64 { n, _ := strconv.ParseInt(r.getenv(k), 10, 64); return n }
	j := Job{
		Repository: r.getenv("GITHUB_REPOSITORY"),
		Workspace:  r.getenv("GITHUB_WORKSPACE"),
		APIURL:     strings.TrimRight(r.getenv("GITHUB_API_URL"), "/"),
		ServerURL:  strings.TrimRight(r.getenv("GITHUB_SERVER_URL"), "/"),
		RunID:      num("GITHUB_RUN_ID"),
		RunAttempt: num("GITHUB_RUN_ATTEMPT"),
		RefName:    r.getenv("GITHUB_REF_NAME"),
		SHA:        r.getenv("GITHUB_SHA"),
		Temp:       r.getenv("RUNNER_TEMP"),
	}
	if j.APIURL == "" {
		j.APIURL = "https://api.github.com"
	}
	if j.ServerURL == "" {
		j.ServerURL = "https://github.com"
	}
	return j
}

// RunURL links to the workflow run, for check runs' details.
func (j Job) RunURL() string {
	if j.Repository == "" || j.RunID == 0 {
		return ""
	}
	return fmt.Sprintf("%s/%s/actions/runs/%d", j.ServerURL, j.Repository, j.RunID)
}
