package gittest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/gittest"
)

// pullRequest builds the usual setup: main with one file, a feature branch
// changing it, main pushed and the feature as pull request 1.
func pullRequest(t *testing.T) (*gittest.Repos, string, string) {
	t.Helper()
	r := gittest.New(t)
	base := r.Work.Commit("main", gittest.Files{"app.yaml": "replicas: 1\n", "README.md": "hi\n"}, "base")
	r.Work.Branch("feature", "main")
	r.Work.Commit("feature", gittest.Files{"app.yaml": "replicas: 2\n", "README.md": gittest.Deleted}, "scale up")
	r.Push("main")
	head := r.PullRequest(1, "feature")
	return r, base, head
}

func TestDeterministicSHAs(t *testing.T) {
	t.Parallel()
	_, base1, head1 := pullRequest(t)
	_, base2, head2 := pullRequest(t)
	if base1 != base2 || head1 != head2 {
		t.Errorf("same steps gave different SHAs: base %s/%s, head %s/%s", base1, base2, head1, head2)
	}
}

func TestCommit(t *testing.T) {
	t.Parallel()
	r, base, head := pullRequest(t)

	if got := r.Work.ReadFile(head, "app.yaml"); got != "replicas: 2\n" {
		t.Errorf("app.yaml at head = %q", got)
	}
	if got := r.Work.Git("ls-tree", "--name-only", head); got != "app.yaml" {
		t.Errorf("head tree = %q, want only app.yaml (README.md deleted)", got)
	}
	if got := r.Work.RevParse(head + "^"); got != base {
		t.Errorf("head's parent = %s, want %s", got, base)
	}
	// main is checked out in the workspace: its work tree follows.
	data, err := os.ReadFile(filepath.Join(r.Work.Dir, "app.yaml"))
	if err != nil || string(data) != "replicas: 1\n" {
		t.Errorf("work tree app.yaml = %q, %v", data, err)
	}
	if got := r.Work.Git("status", "--porcelain"); got != "" {
		t.Errorf("work tree not clean:\n%s", got)
	}
	// A new branch with Commit starts without a parent.
	orphan := r.Work.Commit("orphan", gittest.Files{"x": "\x00binary\x01"}, "orphan")
	if got := r.Work.Git("rev-list", "--count", orphan); got != "1" {
		t.Errorf("orphan history has %s commits", got)
	}
	if got := r.Work.ReadFile(orphan, "x"); got != "\x00binary\x01" {
		t.Errorf("binary content = %q", got)
	}
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	r, base, head := pullRequest(t)

	if got := r.Origin.RevParse("refs/pull/1/head"); got != head {
		t.Errorf("origin refs/pull/1/head = %s, want %s", got, head)
	}
	if out := r.Origin.Git("for-each-ref", "--format=%(refname)", "refs/heads/"); out != "refs/heads/main" {
		t.Errorf("origin branches = %q, want only main (the PR branch is not pushed)", out)
	}
	// Moving the base on the origin leaves the workspace's main alone.
	moved := r.Origin.Commit("main", gittest.Files{"other.yaml": "a: 1\n"}, "base moved")
	if got := r.Work.RevParse("main"); got != base {
		t.Errorf("workspace main = %s, want the stale %s", got, base)
	}
	if got := r.Origin.RevParse(moved + "^"); got != base {
		t.Errorf("moved base's parent = %s, want %s", got, base)
	}

	merge := r.PullRequestMerge(1, "main")
	parents := strings.Fields(r.Origin.Git("log", "-1", "--format=%P", merge))
	if diff := cmp.Diff([]string{moved, head}, parents); diff != "" {
		t.Errorf("merge parents (-want +got):\n%s", diff)
	}
	if got := r.Origin.ReadFile(merge, "app.yaml"); got != "replicas: 2\n" {
		t.Errorf("merged app.yaml = %q", got)
	}
}

func TestClone(t *testing.T) {
	t.Parallel()
	r, _, head := pullRequest(t)
	r.Work.EmptyCommits("main", 3)
	r.Push("main")
	merge := r.PullRequestMerge(1, "main")

	tests := []struct {
		ref         string
		depth       int
		wantHead    string
		wantShallow string
	}{
		{ref: "refs/pull/1/merge", depth: 1, wantHead: merge, wantShallow: "true"},
		{ref: "refs/pull/1/head", depth: 0, wantHead: head, wantShallow: "false"},
		{ref: "main", depth: 2, wantHead: r.Work.RevParse("main"), wantShallow: "true"},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			t.Parallel()
			w := r.Clone(tc.ref, tc.depth)
			if got := w.RevParse("HEAD"); got != tc.wantHead {
				t.Errorf("HEAD = %s, want %s", got, tc.wantHead)
			}
			if got := w.Git("rev-parse", "--is-shallow-repository"); got != tc.wantShallow {
				t.Errorf("shallow = %s, want %s", got, tc.wantShallow)
			}
			if tc.depth > 0 {
				if got := w.Git("rev-list", "--count", "HEAD"); got != map[int]string{1: "1", 2: "2"}[tc.depth] {
					t.Errorf("history has %s commits at depth %d", got, tc.depth)
				}
			}
			if url := w.Git("remote", "get-url", "origin"); url != r.URL {
				t.Errorf("origin URL = %s, want %s", url, r.URL)
			}
		})
	}
}
