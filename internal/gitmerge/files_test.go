package gitmerge_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/gittest"
)

// countingGit writes a git wrapper that logs each invocation's subcommand
// and returns its path and the log's path.
func countingGit(t *testing.T) (bin, log string) {
	t.Helper()
	dir := t.TempDir()
	bin, log = filepath.Join(dir, "git"), filepath.Join(dir, "calls")
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	// The subcommand is the first argument after the global "-c k=v" pairs.
	script := `#!/bin/sh
for a in "$@"; do
  case "$a" in -c|--no-pager|core.*|gc.*|maintenance.*|fetch.*|merge.*|credential.*|safe.*) ;; *) echo "$a" >>'` + log + `'; break;; esac
done
exec '` + real + `' "$@"
`
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, log
}

func calls(t *testing.T, log string) []string {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func TestFiles(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := gittest.New(t)
	files := gittest.Files{"README.md": "not a manifest\n", "same/a.yaml": "same: true\n", "same/b.yaml": "same: true\n", "dir with space/ü.yaml": "u: 1\n"}
	want := map[string][]byte{"same/a.yaml": []byte("same: true\n"), "same/b.yaml": []byte("same: true\n"), "dir with space/ü.yaml": []byte("u: 1\n")}
	for i := range 500 {
		p := fmt.Sprintf("manifests/%02d/app-%03d.yaml", i%10, i)
		content := fmt.Sprintf("name: app-%03d\n%s", i, strings.Repeat("x", i*20))
		files[p] = content
		want[p] = []byte(content)
	}
	commit := r.Work.Commit("main", files, "many files")

	bin, log := countingGit(t)
	repo := &gitmerge.Repo{Dir: r.Work.Dir, Git: bin}
	got, err := repo.Files(ctx, commit, func(p string) bool { return strings.HasSuffix(p, ".yaml") })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ls-tree", "cat-file"}, calls(t, log)); diff != "" {
		t.Errorf("git processes (-want +got):\n%s", diff)
	}

	all, err := repo.Files(ctx, commit+"^{tree}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(files) {
		t.Errorf("Files with no filter read %d files, want %d", len(all), len(files))
	}
	none, err := repo.Files(ctx, commit, func(string) bool { return false })
	if err != nil || len(none) != 0 {
		t.Errorf("Files with a filter that passes nothing = %d files, %v", len(none), err)
	}
}

func TestPaths(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := gittest.New(t)
	commit := r.Work.Commit("main", gittest.Files{"README.md": "x\n", "deploy/web.yaml": "a: 1\n", "dir with space/ü.yaml": "u: 1\n", "run.sh": "#!/bin/sh\n"}, "files")
	bin, log := countingGit(t)
	repo := &gitmerge.Repo{Dir: r.Work.Dir, Git: bin}
	got, err := repo.Paths(ctx, commit)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"README.md", "deploy/web.yaml", "dir with space/ü.yaml", "run.sh"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ls-tree"}, calls(t, log)); diff != "" {
		t.Errorf("git processes (-want +got):\n%s", diff)
	}
	if _, err := repo.Paths(ctx, "-x"); err == nil || err.Error() != `list files of "-x": a revision must not start with '-'` {
		t.Errorf("Paths(-x) = %v", err)
	}
}

func TestFilesOfMergedTree(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := scenario{
		ancestor: gittest.Files{"deploy.yaml": deployment, "svc.yaml": "port: 80\n"},
		base:     gittest.Files{"deploy.yaml": strings.Replace(deployment, "replicas: 2", "replicas: 3", 1)},
		head:     gittest.Files{"deploy.yaml": strings.Replace(deployment, "replicas: 2", "replicas: 4", 1), "svc.yaml": "port: 8080\n"},
	}.build(t)
	repo := open(t, r.Work.Dir)
	fetchPR(ctx, t, repo)
	m, err := repo.Merge(ctx, baseRef, headRef)
	if err != nil {
		t.Fatal(err)
	}
	got, err := repo.Files(ctx, m.Tree, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantDeploy := strings.Replace(deployment, "  replicas: 2\n", "<<<<<<< refs/shipgate/base\n  replicas: 3\n=======\n  replicas: 4\n>>>>>>> refs/shipgate/head\n", 1)
	want := map[string][]byte{"deploy.yaml": []byte(wantDeploy), "svc.yaml": []byte("port: 8080\n")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged files (-want +got):\n%s", diff)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := gittest.New(t)
	commit := r.Work.Commit("main", gittest.Files{"a b/ü.yaml": "u: 1\n", "empty": ""}, "files")
	repo := open(t, r.Work.Dir)

	tests := []struct {
		rev, path string
		want      string
		wantErr   string
		notExist  bool
	}{
		{rev: commit, path: "a b/ü.yaml", want: "u: 1\n"},
		{rev: "main", path: "empty", want: ""},
		{rev: commit + "^{tree}", path: "a b/ü.yaml", want: "u: 1\n"},
		{rev: "main", path: "missing.yaml", wantErr: "read main:missing.yaml: file does not exist", notExist: true},
		{rev: "main", path: "a b", wantErr: "read main:a b: a tree, not a file"},
		{rev: "nope", path: "x", wantErr: `read x: resolve tree "nope": git rev-parse: exit 128: fatal: Needed a single revision`},
	}
	for _, tc := range tests {
		got, err := repo.ReadFile(ctx, tc.rev, tc.path)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ReadFile(%s, %s) error = %v, want %q", tc.rev, tc.path, err, tc.wantErr)
			}
			if errors.Is(err, fs.ErrNotExist) != tc.notExist {
				t.Errorf("ReadFile(%s, %s): errors.Is(err, fs.ErrNotExist) = %v", tc.rev, tc.path, !tc.notExist)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("ReadFile(%s, %s) = %q, %v; want %q", tc.rev, tc.path, got, err, tc.want)
		}
	}
}

func TestChanged(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := gittest.New(t)
	from := r.Work.Commit("main", gittest.Files{"keep.yaml": "k: 1\n", "edit.yaml": "e: 1\n", "gone.yaml": "g: 1\n", "old name.yaml": deployment}, "from")
	to := r.Work.Commit("main", gittest.Files{
		"edit.yaml": "e: 2\n", "gone.yaml": gittest.Deleted, "new/ü.yaml": "n: 1\n",
		"old name.yaml": gittest.Deleted, "apps/new name.yaml": strings.Replace(deployment, "web:1.0", "web:1.1", 1),
	}, "to")
	repo := open(t, r.Work.Dir)

	got, err := repo.Changed(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := []gitmerge.Change{
		{Status: gitmerge.Renamed, Path: "apps/new name.yaml", OldPath: "old name.yaml", Similarity: 84},
		{Status: gitmerge.Modified, Path: "edit.yaml"},
		{Status: gitmerge.Deleted, Path: "gone.yaml"},
		{Status: gitmerge.Added, Path: "new/ü.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// Trees work as well as commits.
	got, err = repo.Changed(ctx, from+"^{tree}", to+"^{tree}")
	if err != nil || len(got) != len(want) {
		t.Errorf("Changed on trees = %v, %v", got, err)
	}
	if got, err := repo.Changed(ctx, to, to); err != nil || len(got) != 0 {
		t.Errorf("Changed(to, to) = %v, %v; want nothing", got, err)
	}
}
