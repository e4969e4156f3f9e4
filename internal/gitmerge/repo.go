// Package gitmerge merges a pull request's head into the current tip of its
// base branch with git itself (git merge-tree --write-tree, git ≥ 2.38),
// without touching the work tree or the index, and describes every conflict
// as data: git's conflict type, the paths, git's message and the line ranges
// of the conflict hunks in the merged file.
//
// All git commands run through a Repo with a clean, explicit environment:
// no system or global config, no terminal prompts, the C locale, no hooks,
// and stderr captured into the returned *Error.
package gitmerge

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Minimum git version: merge-tree --write-tree appeared in git 2.38.
const (
	minMajor = 2
	minMinor = 38
)

// Logger receives progress lines (fetch rounds, deepening); *log.Logger fits.
type Logger interface {
	Printf(format string, args ...any)
}

// Repo is a git repository that commands run in. The zero value of every
// field but Dir is the default. A Repo holds no state between calls and is
// safe for concurrent use.
type Repo struct {
	// Dir is the repository's top directory (or git directory when bare).
	Dir string
	// Git is the git executable; "git" (looked up in PATH) when empty.
	Git string
	// Env is added to git's environment, e.g. GIT_SSH_COMMAND. PATH and
	// HOME come from the process; everything else is fixed (see env).
	Env []string
	// SafeDirectory marks Dir as safe (-c safe.directory=Dir) so git works
	// on a repository owned by another user: a container action runs as
	// root over the runner user's workspace, which git otherwise refuses
	// with "detected dubious ownership".
	SafeDirectory bool
	// ShallowDepth is how many commits behind each tip a fetch into a
	// shallow repository first asks for; each deepening round doubles the
	// history fetched (see Fetch). Zero means 64.
	ShallowDepth int
	// Log receives progress lines; nil discards them.
	Log Logger
}

// Open checks that git is recent enough and that dir is a git repository,
// and returns a Repo for it with default settings. To change settings,
// make the Repo yourself and call Check.
func Open(ctx context.Context, dir string) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	r := &Repo{Dir: abs}
	if err := r.Check(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Check returns an error unless git is at least 2.38 and Dir is a git
// repository git is willing to work in.
func (r *Repo) Check(ctx context.Context) error {
	out, err := r.output(ctx, nil, "version")
	if err != nil {
		return fmt.Errorf("check git version: %w", err)
	}
	if err := checkVersion(string(out)); err != nil {
		return err
	}
	if _, err := r.output(ctx, nil, "rev-parse", "--git-dir"); err != nil {
		return fmt.Errorf("open %s: %w", r.Dir, err)
	}
	return nil
}

var versionRE = regexp.MustCompile(`^git version (\d+)\.(\d+)`)

// checkVersion parses `git version` output ("git version 2.39.5",
// "git version 2.39.3 (Apple Git-146)", "git version 2.41.0.windows.1").
func checkVersion(out string) error {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(out))
	if m == nil {
		return fmt.Errorf("cannot parse git's version from %q", strings.TrimSpace(out))
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major < minMajor || major == minMajor && minor < minMinor {
		return fmt.Errorf("git %d.%d is too old: merge-check needs git ≥ %d.%d for merge-tree --write-tree: %w",
			major, minor, minMajor, minMinor, ErrGitTooOld)
	}
	return nil
}

// Errors callers can test for with errors.Is.
var (
	// ErrGitTooOld means git predates merge-tree --write-tree (2.38).
	ErrGitTooOld = errors.New("git too old")
	// ErrUnrelatedHistories means the two commits share no history.
	ErrUnrelatedHistories = errors.New("refusing to merge unrelated histories")
	// ErrNoMergeBase means MergeBase found no common ancestor.
	ErrNoMergeBase = errors.New("no merge base")
)

// checkRev rejects revisions git could take for options.
func checkRev(what, rev string) error {
	switch {
	case rev == "":
		return fmt.Errorf("%s: empty revision", what)
	case strings.HasPrefix(rev, "-"):
		return fmt.Errorf("%s %q: a revision must not start with '-'", what, rev)
	case strings.ContainsAny(rev, "\x00\n"):
		return fmt.Errorf("%s %q: a revision must not contain NUL or newline", what, rev)
	}
	return nil
}
