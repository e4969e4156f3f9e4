package gitmerge_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/gittest"
)

// TestErrors: every failure names what failed, wraps git's *Error with its
// exit code and stderr, and never looks like a conflict.
func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := scenario{
		ancestor: gittest.Files{"a.yaml": "a: 1\n"},
		head:     gittest.Files{"a.yaml": "a: 2\n"},
	}.build(t)
	repo := open(t, r.Work.Dir)
	fetchPR(ctx, t, repo)

	tests := []struct {
		name     string
		call     func() error
		want     string
		wantExit int // 0: no *Error expected
	}{{
		name:     "ResolveCommit",
		call:     func() error { _, err := repo.ResolveCommit(ctx, "nope"); return err },
		want:     `resolve commit "nope": git rev-parse: exit 128: fatal: Needed a single revision`,
		wantExit: 128,
	}, {
		name:     "Merge, bad base",
		call:     func() error { _, err := repo.Merge(ctx, "nope", headRef); return err },
		want:     `merge refs/shipgate/head into nope: base: resolve commit "nope": git rev-parse: exit 128: fatal: Needed a single revision`,
		wantExit: 128,
	}, {
		name:     "Merge, bad head",
		call:     func() error { _, err := repo.Merge(ctx, baseRef, "refs/pull/9/head"); return err },
		want:     `merge refs/pull/9/head into refs/shipgate/base: head: resolve commit "refs/pull/9/head": git rev-parse: exit 128: fatal: Needed a single revision`,
		wantExit: 128,
	}, {
		name: "Merge, option-like revision",
		call: func() error { _, err := repo.Merge(ctx, baseRef, "--output=/tmp/x"); return err },
		want: `merge --output=/tmp/x into refs/shipgate/base: head: resolve commit "--output=/tmp/x": a revision must not start with '-'`,
	}, {
		name:     "Merge, a tree is not a commit",
		call:     func() error { _, err := repo.Merge(ctx, baseRef+"^{tree}", headRef); return err },
		want:     `merge refs/shipgate/head into refs/shipgate/base^{tree}: base: resolve commit "refs/shipgate/base^{tree}": git rev-parse: exit 128:`,
		wantExit: 128,
	}, {
		name:     "MergeBase",
		call:     func() error { _, err := repo.MergeBase(ctx, "nope", baseRef); return err },
		want:     "merge base of nope and refs/shipgate/base: git merge-base: exit 128: fatal: Not a valid object name nope",
		wantExit: 128,
	}, {
		name:     "Files",
		call:     func() error { _, err := repo.Files(ctx, "nope", nil); return err },
		want:     "read files of nope: git ls-tree: exit 128: fatal: Not a valid object name nope",
		wantExit: 128,
	}, {
		name:     "Changed",
		call:     func() error { _, err := repo.Changed(ctx, "nope", headRef); return err },
		want:     "changes from nope to refs/shipgate/head: git diff-tree: exit 128: fatal: ambiguous argument 'nope'",
		wantExit: 128,
	}, {
		name:     "Fetch, missing ref",
		call:     func() error { return repo.Fetch(ctx, "origin", "+refs/pull/9/head:refs/shipgate/head") },
		want:     "fetch +refs/pull/9/head:refs/shipgate/head from origin: git fetch: exit 128: fatal: couldn't find remote ref refs/pull/9/head",
		wantExit: 128,
	}, {
		name:     "Fetch, unknown remote",
		call:     func() error { return repo.Fetch(ctx, "upstream", "+refs/heads/main:refs/shipgate/base") },
		want:     "fetch +refs/heads/main:refs/shipgate/base from upstream: git fetch: exit 128: fatal: 'upstream' does not appear to be a git repository",
		wantExit: 128,
	}, {
		name: "Fetch, no refspecs",
		call: func() error { return repo.Fetch(ctx, "origin") },
		want: "fetch from origin: no refspecs",
	}, {
		name: "Fetch, option-like remote",
		call: func() error { return repo.Fetch(ctx, "--upload-pack=touch /tmp/x", "main") },
		want: `fetch: bad remote name "--upload-pack=touch /tmp/x"`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.call()
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to start with %q", err, tc.want)
			}
			var gerr *gitmerge.Error
			switch {
			case tc.wantExit == 0 && errors.As(err, &gerr):
				t.Errorf("error wraps a git error, want a check before running git: %v", err)
			case tc.wantExit != 0 && !errors.As(err, &gerr):
				t.Errorf("error does not wrap *gitmerge.Error: %v", err)
			case tc.wantExit != 0 && gerr.ExitCode != tc.wantExit:
				t.Errorf("exit code = %d, want %d", gerr.ExitCode, tc.wantExit)
			}
		})
	}
}

func TestCanceled(t *testing.T) {
	t.Parallel()
	r := scenario{ancestor: gittest.Files{"a.yaml": "a: 1\n"}, head: gittest.Files{"a.yaml": "a: 2\n"}}.build(t)
	repo := open(t, r.Work.Dir)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := repo.Merge(ctx, "main", "feature")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	r := gittest.New(t)
	if _, err := gitmerge.Open(ctx, r.Origin.Dir); err != nil {
		t.Errorf("Open(bare origin) = %v", err)
	}
	repo, err := gitmerge.Open(ctx, filepath.Join(r.Work.Dir, ".", ""))
	if err != nil || repo.Dir != r.Work.Dir {
		t.Errorf("Open(workspace) = %+v, %v", repo, err)
	}

	dir := t.TempDir()
	_, err = gitmerge.Open(ctx, dir)
	if want := "open " + dir + ": git rev-parse: exit 128: fatal: not a git repository"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Open(not a repository) = %v, want %q…", err, want)
	}

	old := filepath.Join(t.TempDir(), "git")
	if err := os.WriteFile(old, []byte("#!/bin/sh\necho 'git version 2.36.1'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = (&gitmerge.Repo{Dir: r.Work.Dir, Git: old}).Check(ctx)
	if !errors.Is(err, gitmerge.ErrGitTooOld) || !strings.HasPrefix(err.Error(), "git 2.36 is too old: merge-check needs git ≥ 2.38 for merge-tree --write-tree") {
		t.Errorf("Check with git 2.36 = %v", err)
	}

	err = (&gitmerge.Repo{Dir: r.Work.Dir, Git: filepath.Join(dir, "no-git")}).Check(ctx)
	var gerr *gitmerge.Error
	if !errors.As(err, &gerr) || gerr.ExitCode != -1 || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Check with a missing git = %v, want a *gitmerge.Error wrapping fs.ErrNotExist", err)
	}
}

// TestSafeDirectory: a container action runs as root over a workspace owned
// by the runner's user; git refuses such a repository unless told it is safe.
func TestSafeDirectory(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root to give the repository to another user, and CI must run it: run .ci/run as root")
		}
		t.Skip("needs root to give the repository to another user")
	}
	ctx := t.Context()
	r := scenario{ancestor: gittest.Files{"a.yaml": "a: 1\n"}, head: gittest.Files{"a.yaml": "a: 2\n"}}.build(t)
	err := filepath.WalkDir(r.Work.Dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := gitmerge.Open(ctx, r.Work.Dir); err == nil || !strings.Contains(err.Error(), "detected dubious ownership") {
		t.Errorf("Open(another user's repository) = %v, want git's dubious ownership error", err)
	}
	repo := &gitmerge.Repo{Dir: r.Work.Dir, SafeDirectory: true}
	if err := repo.Check(ctx); err != nil {
		t.Fatal(err)
	}
	fetchPR(ctx, t, repo)
	if m, err := repo.Merge(ctx, baseRef, headRef); err != nil || !m.Clean {
		t.Errorf("Merge = %+v, %v; want a clean merge", m, err)
	}
}
