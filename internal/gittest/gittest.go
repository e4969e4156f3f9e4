// Package gittest makes real git repositories for tests: a bare origin that
// stands in for GitHub and a workspace cloned from it, as actions/checkout
// leaves GITHUB_WORKSPACE. Commits have a fixed identity and a fake clock, so
// the same test produces the same SHAs on every run.
//
// A typical pull-request setup:
//
//	r := gittest.New(t)
//	r.Work.Commit("main", gittest.Files{"app.yaml": "replicas: 1\n"}, "base")
//	r.Work.Branch("feature", "main")
//	r.Work.Commit("feature", gittest.Files{"app.yaml": "replicas: 2\n"}, "scale up")
//	r.Push("main")
//	// refs/pull/1/head on the origin, as GitHub makes it:
//	head := r.PullRequest(1, "feature")
//	// actions/checkout at event time: a depth-1 clone of the merge commit.
//	r.PullRequestMerge(1, "main")
//	ws := r.Clone("refs/pull/1/merge", 1)
//	// The base moves on the origin only: ws's view is now stale.
//	r.Origin.Commit("main", gittest.Files{"README.md": "hi\n"}, "base moved")
//
// Every helper fails the test, with git's stderr, when git fails.
package gittest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Identity of every commit made by this package.
const (
	Name  = "Shipgate Test"
	Email = "test@shipgate.invalid"
)

// Epoch is the Unix time of the first commit; each later commit is one minute
// after the previous one on the same clock.
const Epoch = 1704067200 // 2024-01-01T00:00:00Z

// Repos is a bare origin and a workspace whose remote "origin" points at it.
type Repos struct {
	// Origin is the bare repository standing in for GitHub.
	Origin *Repo
	// Work is the workspace (GITHUB_WORKSPACE): non-bare, remote "origin".
	Work *Repo
	// URL is the file:// URL of Origin; file:// is what lets shallow clones
	// and fetches with --depth work against a local path.
	URL string
}

// New creates an empty bare origin and an empty workspace (both with "main"
// as the default branch and no commits) in t.TempDir.
func New(t testing.TB) *Repos {
	t.Helper()
	root := t.TempDir()
	clock := &clock{}
	origin := &Repo{Dir: filepath.Join(root, "origin.git"), t: t, clock: clock, bare: true}
	run(t, root, nil, "init", "--quiet", "--bare", "--initial-branch=main", origin.Dir)
	url := "file://" + filepath.ToSlash(origin.Dir)

	work := &Repo{Dir: filepath.Join(root, "work"), t: t, clock: clock}
	run(t, root, nil, "init", "--quiet", "--initial-branch=main", work.Dir)
	work.Git("remote", "add", "origin", url)
	return &Repos{Origin: origin, Work: work, URL: url}
}

// Push force-pushes workspace branches to the branches of the same name on
// the origin.
func (r *Repos) Push(branches ...string) {
	r.Work.t.Helper()
	args := []string{"push", "--quiet", "--force", "origin"}
	for _, b := range branches {
		args = append(args, "refs/heads/"+b+":refs/heads/"+b)
	}
	r.Work.Git(args...)
}

// PullRequest points refs/pull/<n>/head on the origin at the tip of the
// workspace's branch, as GitHub does for a pull request from that branch, and
// returns the head SHA. The branch itself is not pushed, as with a fork.
func (r *Repos) PullRequest(n int, branch string) string {
	r.Work.t.Helper()
	sha := r.Work.RevParse("refs/heads/" + branch)
	r.Work.Git("push", "--quiet", "--force", "origin", fmt.Sprintf("%s:refs/pull/%d/head", sha, n))
	return sha
}

// PullRequestMerge creates refs/pull/<n>/merge on the origin, the merge of
// refs/pull/<n>/head into the origin's base branch that actions/checkout
// checks out for pull_request events, and returns its SHA. It fails the test
// when the merge conflicts: GitHub makes no merge ref then.
func (r *Repos) PullRequestMerge(n int, base string) string {
	o := r.Origin
	o.t.Helper()
	baseSHA := o.RevParse("refs/heads/" + base)
	headSHA := o.RevParse(fmt.Sprintf("refs/pull/%d/head", n))
	tree, err := git(o.t, o.Dir, nil, "merge-tree", "--write-tree", baseSHA, headSHA)
	if err != nil {
		o.t.Fatalf("gittest: pull request %d does not merge cleanly into %s:\n%s", n, base, tree)
	}
	env := o.clock.next()
	msg := fmt.Sprintf("Merge %s into %s", headSHA, baseSHA)
	sha := run(o.t, o.Dir, env, "commit-tree", "-p", baseSHA, "-p", headSHA, "-m", msg, strings.TrimSpace(tree))
	o.Git("update-ref", fmt.Sprintf("refs/pull/%d/merge", n), sha)
	return sha
}

// Clone makes a new workspace the way actions/checkout does: init, add the
// origin, fetch ref (a branch name such as "main", or a full ref such as
// "refs/pull/1/merge") with the given depth (0 for full history), and check it
// out — on a branch of that name for a branch, detached otherwise.
func (r *Repos) Clone(ref string, depth int) *Repo {
	t := r.Work.t
	t.Helper()
	w := &Repo{Dir: filepath.Join(t.TempDir(), "work"), t: t, clock: r.Work.clock}
	run(t, filepath.Dir(w.Dir), nil, "init", "--quiet", "--initial-branch=main", w.Dir)
	w.Git("remote", "add", "origin", r.URL)

	src, dst, branch := ref, "", ""
	switch {
	case strings.HasPrefix(ref, "refs/heads/"):
		branch = strings.TrimPrefix(ref, "refs/heads/")
	case strings.HasPrefix(ref, "refs/"):
		dst = "refs/remotes/" + strings.TrimPrefix(ref, "refs/")
	default:
		branch, src = ref, "refs/heads/"+ref
	}
	if branch != "" {
		dst = "refs/remotes/origin/" + branch
	}
	args := []string{"fetch", "--quiet", "--no-tags"}
	if depth > 0 {
		args = append(args, fmt.Sprintf("--depth=%d", depth))
	}
	w.Git(append(args, "origin", "+"+src+":"+dst)...)
	if branch != "" {
		w.Git("checkout", "--quiet", "--force", "-B", branch, dst)
	} else {
		w.Git("checkout", "--quiet", "--force", "--detach", dst)
	}
	return w
}

// Run runs git in dir with the package's clean environment and returns its
// trimmed stdout; it fails the test with git's stderr when git fails.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return run(t, dir, nil, args...)
}

// Env is the environment every git command of this package runs with: no
// system or global config, no prompts, C locale, the fixed identity. Tests
// that run git themselves can use it.
func Env() []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	return []string{
		"PATH=" + path,
		"HOME=" + os.DevNull,
		"LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=" + Name,
		"GIT_AUTHOR_EMAIL=" + Email,
		"GIT_COMMITTER_NAME=" + Name,
		"GIT_COMMITTER_EMAIL=" + Email,
		fmt.Sprintf("GIT_AUTHOR_DATE=%d +0000", Epoch),
		fmt.Sprintf("GIT_COMMITTER_DATE=%d +0000", Epoch),
	}
}

// globalArgs keep the machine's defaults out of test repositories.
var globalArgs = []string{
	"-c", "core.autocrlf=false",
	"-c", "core.quotePath=false",
	"-c", "commit.gpgSign=false",
	"-c", "protocol.file.allow=always",
	"-c", "advice.detachedHead=false",
	"-c", "gc.auto=0",
	"-c", "maintenance.auto=false",
}

func run(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := git(t, dir, env, args...)
	if err != nil {
		t.Fatalf("gittest: %v", err)
	}
	return strings.TrimSpace(out)
}

// git runs git and returns stdout, or an error naming the command with stderr.
func git(t testing.TB, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	return gitInput(t, dir, env, nil, args...)
}

func gitInput(t testing.TB, dir string, env []string, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "git", append(append([]string{}, globalArgs...), args...)...)
	cmd.Dir = dir
	cmd.Env = append(Env(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("git %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// clock hands out commit dates, one minute apart, shared by the repositories
// of one Repos so their SHAs stay deterministic.
type clock struct {
	mu sync.Mutex
	n  int
}

// next returns the date variables for the next commit.
func (c *clock) next() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	date := fmt.Sprintf("%d +0000", Epoch+60*c.n)
	return []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}
}
