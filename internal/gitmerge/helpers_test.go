package gitmerge_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/gittest"
)

var update = flag.Bool("update", false, "rewrite testdata/mergetree/*.z from real git merge-tree output")

// The refs Fetch writes, as the merge-check stage does.
const (
	baseRef = "refs/shipgate/base"
	headRef = "refs/shipgate/head"
)

// scenario is a pull request: files at the fork point, then changes on the
// base branch and on the head.
type scenario struct {
	ancestor, base, head gittest.Files
}

// build makes the repositories: main at ancestor (+ base's change), pull
// request 1 at ancestor + head's change.
func (s scenario) build(t *testing.T) *gittest.Repos {
	t.Helper()
	r := gittest.New(t)
	r.Work.Commit("main", s.ancestor, "ancestor")
	r.Work.Branch("feature", "main")
	if s.base != nil {
		r.Work.Commit("main", s.base, "base change")
	}
	r.Work.Commit("feature", s.head, "head change")
	r.Push("main")
	r.PullRequest(1, "feature")
	return r
}

// open opens dir as a gitmerge.Repo.
func open(t *testing.T, dir string) *gitmerge.Repo {
	t.Helper()
	repo, err := gitmerge.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// fetchPR fetches the base tip and pull request 1 into baseRef and headRef.
func fetchPR(ctx context.Context, t *testing.T, repo *gitmerge.Repo) {
	t.Helper()
	if err := repo.Fetch(ctx, "origin", "+refs/heads/main:"+baseRef, "+refs/pull/1/head:"+headRef); err != nil {
		t.Fatal(err)
	}
}

// capture saves merge-tree's raw output for the parser's tests and fuzz
// seeds when -update is given.
func capture(t *testing.T, dir, name string) {
	t.Helper()
	if !*update {
		return
	}
	cmd := []string{"-c", "merge.conflictStyle=merge", "merge-tree", "--write-tree", "-z", "--messages", baseRef, headRef}
	out := runRaw(t, dir, cmd...)
	file := filepath.Join("testdata", "mergetree", seedName(name)+".z")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runRaw runs git and returns stdout whatever the exit code.
func runRaw(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	// Exit status 1 (conflicts) is expected; gittest.Run would fail.
	cmd := exec.CommandContext(t.Context(), "git", args...)
	cmd.Dir, cmd.Env = dir, gittest.Env()
	out, err := cmd.Output()
	if exit, ok := err.(*exec.ExitError); err != nil && (!ok || exit.ExitCode() != 1) {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// lines splits a file into lines for checking ranges against markers.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// seedName turns a test case name into a file name: "rename/delete, renamed
// by base" → "rename-delete-renamed-by-base".
func seedName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}
