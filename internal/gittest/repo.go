package gittest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Deleted, as the content of a path in Files, removes the path.
const Deleted = "\x00gittest:deleted\x00"

// Files are the changes of one commit: path (slash-separated) → content.
// Content is taken byte for byte, so binary content is fine; Deleted removes
// the path. A rename is a delete plus an add with similar content.
type Files map[string]string

// Repo is one repository on disk.
type Repo struct {
	// Dir is the repository's directory: the work tree, or the git
	// directory for a bare repository.
	Dir   string
	t     testing.TB
	clock *clock
	bare  bool
}

// Git runs git in the repository and returns its trimmed stdout.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return run(r.t, r.Dir, nil, args...)
}

// RevParse returns the object name rev resolves to.
func (r *Repo) RevParse(rev string) string {
	r.t.Helper()
	return r.Git("rev-parse", "--verify", "--end-of-options", rev)
}

// Branch creates (or resets) branch name at rev and returns its SHA.
func (r *Repo) Branch(name, rev string) string {
	r.t.Helper()
	sha := r.RevParse(rev + "^{commit}")
	r.Git("update-ref", "refs/heads/"+name, sha)
	r.syncWorkTree(name)
	return sha
}

// Commit commits files on top of branch and returns the new SHA. A branch
// that does not exist yet starts with this commit (no parent), like the first
// commit on main; use Branch to fork one. Nothing else in the repository
// changes, except the work tree when branch is the checked-out branch.
func (r *Repo) Commit(branch string, files Files, msg string) string {
	r.t.Helper()
	ref := "refs/heads/" + branch
	parent, _ := git(r.t, r.Dir, nil, "rev-parse", "--verify", "--quiet", ref)
	parent = strings.TrimSpace(parent)

	idx := filepath.Join(r.t.TempDir(), "index")
	env := []string{"GIT_INDEX_FILE=" + idx}
	if parent != "" {
		run(r.t, r.Dir, env, "read-tree", parent)
	} else {
		run(r.t, r.Dir, env, "read-tree", "--empty")
	}
	if info := r.indexInfo(files); len(info) > 0 {
		if out, err := gitInput(r.t, r.Dir, env, info, "update-index", "-z", "--index-info"); err != nil {
			r.t.Fatalf("gittest: %v%s", err, out)
		}
	}
	tree := run(r.t, r.Dir, env, "write-tree")

	args := []string{"commit-tree", "-m", msg}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	sha := run(r.t, r.Dir, r.clock.next(), append(args, tree)...)
	r.Git("update-ref", ref, sha)
	r.syncWorkTree(branch)
	return sha
}

// EmptyCommits adds n commits that change nothing on top of branch (which
// must exist) and returns the last SHA: cheap history for depth tests.
func (r *Repo) EmptyCommits(branch string, n int) string {
	r.t.Helper()
	ref := "refs/heads/" + branch
	sha := r.RevParse(ref)
	tree := r.RevParse(sha + "^{tree}")
	for i := range n {
		sha = run(r.t, r.Dir, r.clock.next(), "commit-tree", "-p", sha, "-m", fmt.Sprintf("empty %d", i+1), tree)
	}
	r.Git("update-ref", ref, sha)
	r.syncWorkTree(branch)
	return sha
}

// ReadFile returns the content of path at rev.
func (r *Repo) ReadFile(rev, path string) string {
	r.t.Helper()
	out, err := git(r.t, r.Dir, nil, "cat-file", "blob", rev+":"+path)
	if err != nil {
		r.t.Fatalf("gittest: %v", err)
	}
	return out
}

// indexInfo writes the blobs of files and returns update-index -z
// --index-info input: "<mode> <oid>\t<path>\0", mode 0 to remove.
func (r *Repo) indexInfo(files Files) []byte {
	r.t.Helper()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	// Write every blob with one hash-object process.
	tmp := r.t.TempDir()
	var list []string
	var added []string
	for i, p := range paths {
		if files[p] == Deleted {
			continue
		}
		name := filepath.Join(tmp, fmt.Sprint(i))
		if err := os.WriteFile(name, []byte(files[p]), 0o600); err != nil {
			r.t.Fatalf("gittest: %v", err)
		}
		list = append(list, name)
		added = append(added, p)
	}
	var oids []string
	if len(list) > 0 {
		out, err := gitInput(r.t, r.Dir, nil, []byte(strings.Join(list, "\n")+"\n"), "hash-object", "-w", "--no-filters", "--stdin-paths")
		if err != nil {
			r.t.Fatalf("gittest: %v", err)
		}
		oids = strings.Fields(out)
		if len(oids) != len(added) {
			r.t.Fatalf("gittest: hash-object wrote %d blobs for %d files", len(oids), len(added))
		}
	}
	oidOf := make(map[string]string, len(added))
	for i, p := range added {
		oidOf[p] = oids[i]
	}

	var b strings.Builder
	for _, p := range paths {
		if oid, ok := oidOf[p]; ok {
			fmt.Fprintf(&b, "100644 %s\t%s\x00", oid, p)
		} else {
			fmt.Fprintf(&b, "0 %s\t%s\x00", strings.Repeat("0", 40), p)
		}
	}
	return []byte(b.String())
}

// syncWorkTree makes the work tree match branch when it is checked out.
func (r *Repo) syncWorkTree(branch string) {
	r.t.Helper()
	if r.bare {
		return
	}
	head, _ := git(r.t, r.Dir, nil, "symbolic-ref", "--quiet", "HEAD")
	if strings.TrimSpace(head) == "refs/heads/"+branch {
		r.Git("reset", "--quiet", "--hard")
	}
}
