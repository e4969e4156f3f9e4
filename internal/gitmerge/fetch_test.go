package gitmerge_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/gittest"
)

// TestMergeAgainstCurrentBase: the base branch moves after the event; the
// merge must use the tip fetched now, not the workspace's stale view.
func TestMergeAgainstCurrentBase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := scenario{
		ancestor: gittest.Files{"deploy.yaml": deployment},
		head:     gittest.Files{"deploy.yaml": strings.Replace(deployment, "replicas: 2", "replicas: 4", 1)},
	}.build(t)
	eventBase := r.Origin.RevParse("main")
	ws := r.Clone("main", 0) // actions/checkout at event time
	moved := r.Origin.Commit("main", gittest.Files{"deploy.yaml": strings.Replace(deployment, "replicas: 2", "replicas: 3", 1)}, "base moved")

	repo := open(t, ws.Dir)
	fetchPR(ctx, t, repo)

	stale, err := repo.Merge(ctx, "refs/remotes/origin/main", headRef)
	if err != nil {
		t.Fatal(err)
	}
	if !stale.Clean || stale.Base != eventBase {
		t.Errorf("merge with the stale base: clean %v, base %s; want clean against %s", stale.Clean, stale.Base, eventBase)
	}
	current, err := repo.Merge(ctx, baseRef, headRef)
	if err != nil {
		t.Fatal(err)
	}
	if current.Base != moved {
		t.Errorf("Base = %s, want the moved tip %s", current.Base, moved)
	}
	want := []gitmerge.Conflict{{
		Type: "contents", Paths: []string{"deploy.yaml"}, Path: "deploy.yaml",
		Message: "CONFLICT (content): Merge conflict in deploy.yaml", Ranges: []gitmerge.LineRange{{Start: 6, End: 10}},
	}}
	if diff := cmp.Diff(want, current.Conflicts); diff != "" {
		t.Errorf("conflicts against the current base (-want +got):\n%s", diff)
	}
	if current.Tree == stale.Tree {
		t.Error("both merges gave the same tree")
	}
	if got := ws.RevParse("refs/remotes/origin/main"); got != eventBase {
		t.Errorf("Fetch moved origin/main to %s; it must only write the refspecs' destinations", got)
	}
}

// recorder is a gitmerge.Logger that keeps the lines.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recorder) count(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.lines {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// TestFetchShallow starts from actions/checkout's default, a depth-1 clone
// of the pull request's merge commit, with ShallowDepth 1 so history is
// fetched 1, 2, 4, …, 64 commits deep, then unshallowed.
func TestFetchShallow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		behind        int // commits on main after the fork point
		orphan        bool
		wantDeepen    int
		wantUnshallow bool
	}{
		{name: "base at the fork point", behind: 0, wantDeepen: 1},
		{name: "base 5 commits ahead", behind: 5, wantDeepen: 3},
		{name: "base 70 commits ahead", behind: 70, wantDeepen: 6, wantUnshallow: true},
		// Deepening reaches the roots of this short history: the repository
		// is complete, so the refs really are unrelated; no --unshallow.
		{name: "unrelated histories", orphan: true, wantDeepen: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			r := gittest.New(t)
			r.Work.Commit("main", gittest.Files{"deploy.yaml": deployment, "svc.yaml": "port: 80\n"}, "ancestor")
			r.Work.EmptyCommits("main", 3) // history below the fork point
			fork := r.Work.Branch("feature", "main")
			if tc.orphan {
				r.Work.Commit("orphan", gittest.Files{"other.yaml": "a: 1\n"}, "unrelated")
				r.Work.Branch("feature", "orphan")
			}
			r.Work.Commit("feature", gittest.Files{"svc.yaml": "port: 8080\n"}, "head change")
			if tc.behind > 0 {
				r.Work.EmptyCommits("main", tc.behind)
			}
			r.Push("main")
			r.PullRequest(1, "feature")
			var ws *gittest.Repo
			if tc.orphan {
				ws = r.Clone("main", 1)
			} else {
				r.PullRequestMerge(1, "main")
				ws = r.Clone("refs/pull/1/merge", 1)
			}

			log := &recorder{}
			repo := &gitmerge.Repo{Dir: ws.Dir, ShallowDepth: 1, Log: log}
			if shallow, err := repo.IsShallow(ctx); err != nil || !shallow {
				t.Fatalf("workspace shallow = %v, %v; want a shallow clone", shallow, err)
			}
			fetchPR(ctx, t, repo)

			if got := log.count("deepening"); got != tc.wantDeepen {
				t.Errorf("%d deepening rounds, want %d; log:\n%s", got, tc.wantDeepen, strings.Join(log.lines, "\n"))
			}
			if got := log.count("--unshallow") > 0; got != tc.wantUnshallow {
				t.Errorf("unshallowed = %v, want %v", got, tc.wantUnshallow)
			}

			base, err := repo.MergeBase(ctx, baseRef, headRef)
			if tc.orphan {
				if !errors.Is(err, gitmerge.ErrNoMergeBase) {
					t.Errorf("MergeBase = %s, %v; want ErrNoMergeBase", base, err)
				}
				if _, err := repo.Merge(ctx, baseRef, headRef); !errors.Is(err, gitmerge.ErrUnrelatedHistories) {
					t.Errorf("Merge error = %v, want ErrUnrelatedHistories", err)
				}
				return
			}
			if err != nil || base != fork {
				t.Fatalf("MergeBase = %s, %v; want the fork point %s", base, err, fork)
			}
			m, err := repo.Merge(ctx, baseRef, headRef)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Clean {
				t.Errorf("merge not clean: %+v", m.Conflicts)
			}
			got, err := repo.ReadFile(ctx, m.Tree, "svc.yaml")
			if err != nil || string(got) != "port: 8080\n" {
				t.Errorf("merged svc.yaml = %q, %v", got, err)
			}
		})
	}
}

func TestUnrelatedHistories(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := gittest.New(t)
	r.Work.Commit("main", gittest.Files{"a.yaml": "a: 1\n"}, "main")
	r.Work.Commit("orphan", gittest.Files{"a.yaml": "a: 2\n", "b.yaml": "b: 1\n"}, "unrelated")
	r.Push("main")
	r.PullRequest(1, "orphan")
	repo := open(t, r.Work.Dir)
	fetchPR(ctx, t, repo)

	_, err := repo.Merge(ctx, baseRef, headRef)
	if !errors.Is(err, gitmerge.ErrUnrelatedHistories) {
		t.Fatalf("error = %v, want ErrUnrelatedHistories", err)
	}
	if want := "merge refs/shipgate/head into refs/shipgate/base: refusing to merge unrelated histories"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want it to start with %q", err, want)
	}

	m, err := repo.Merge(ctx, baseRef, headRef, gitmerge.AllowUnrelatedHistories())
	if err != nil {
		t.Fatal(err)
	}
	want := []gitmerge.Conflict{{
		Type: "add/add", Paths: []string{"a.yaml"}, Path: "a.yaml",
		Message: "CONFLICT (add/add): Merge conflict in a.yaml", Ranges: []gitmerge.LineRange{{Start: 1, End: 5}},
	}}
	if diff := cmp.Diff(want, m.Conflicts); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
}
