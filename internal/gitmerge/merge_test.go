package gitmerge_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/gittest"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: web:1.0
`

// numbered returns "line 1\n" … "line n\n" with some lines replaced.
func numbered(n int, replace map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if s, ok := replace[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func TestMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		scenario
		want       []gitmerge.Conflict
		markerSize int // 0 means git's default, 7
	}{{
		name: "clean",
		scenario: scenario{
			ancestor: gittest.Files{"a.yaml": "a: 1\n", "b.yaml": "b: 1\n"},
			base:     gittest.Files{"a.yaml": "a: 2\n"},
			head:     gittest.Files{"b.yaml": "b: 2\n"},
		},
	}, {
		name: "contents",
		scenario: scenario{
			ancestor: gittest.Files{"deploy.yaml": deployment},
			base:     gittest.Files{"deploy.yaml": strings.Replace(deployment, "replicas: 2", "replicas: 3", 1)},
			head:     gittest.Files{"deploy.yaml": strings.Replace(deployment, "replicas: 2", "replicas: 4", 1)},
		},
		want: []gitmerge.Conflict{{Type: "contents", Paths: []string{"deploy.yaml"}, Path: "deploy.yaml", Ranges: []gitmerge.LineRange{{Start: 6, End: 10}}}},
	}, {
		name: "several hunks in one file",
		scenario: scenario{
			ancestor: gittest.Files{"list.txt": numbered(20, nil)},
			base:     gittest.Files{"list.txt": numbered(20, map[int]string{2: "base 2", 18: "base 18"})},
			head:     gittest.Files{"list.txt": numbered(20, map[int]string{2: "head 2", 18: "head 18"})},
		},
		want: []gitmerge.Conflict{{Type: "contents", Paths: []string{"list.txt"}, Path: "list.txt", Ranges: []gitmerge.LineRange{{Start: 2, End: 6}, {Start: 22, End: 26}}}},
	}, {
		name: "add/add",
		scenario: scenario{
			ancestor: gittest.Files{"README.md": "hi\n"},
			base:     gittest.Files{"new.yaml": "a: 1\n"},
			head:     gittest.Files{"new.yaml": "a: 2\n"},
		},
		want: []gitmerge.Conflict{{Type: "add/add", Paths: []string{"new.yaml"}, Path: "new.yaml", Ranges: []gitmerge.LineRange{{Start: 1, End: 5}}}},
	}, {
		name: "modify/delete, deleted by base",
		scenario: scenario{
			ancestor: gittest.Files{"svc.yaml": "port: 80\n"},
			base:     gittest.Files{"svc.yaml": gittest.Deleted},
			head:     gittest.Files{"svc.yaml": "port: 8080\n"},
		},
		want: []gitmerge.Conflict{{Type: "modify/delete", Paths: []string{"svc.yaml"}, Path: "svc.yaml", DeletedBy: gitmerge.BaseSide}},
	}, {
		name: "modify/delete, deleted by head",
		scenario: scenario{
			ancestor: gittest.Files{"svc.yaml": "port: 80\n"},
			base:     gittest.Files{"svc.yaml": "port: 8080\n"},
			head:     gittest.Files{"svc.yaml": gittest.Deleted},
		},
		want: []gitmerge.Conflict{{Type: "modify/delete", Paths: []string{"svc.yaml"}, Path: "svc.yaml", DeletedBy: gitmerge.HeadSide}},
	}, {
		name: "rename/delete, renamed by head",
		scenario: scenario{
			ancestor: gittest.Files{"old.yaml": deployment},
			base:     gittest.Files{"old.yaml": gittest.Deleted},
			head:     gittest.Files{"old.yaml": gittest.Deleted, "apps/new.yaml": deployment},
		},
		want: []gitmerge.Conflict{{
			Type: "rename/delete", Paths: []string{"apps/new.yaml", "old.yaml"}, Path: "apps/new.yaml", OldPath: "old.yaml",
			DeletedBy: gitmerge.BaseSide, RenamedBy: gitmerge.HeadSide,
		}},
	}, {
		name: "rename/delete, renamed by base",
		scenario: scenario{
			ancestor: gittest.Files{"old.yaml": deployment},
			base:     gittest.Files{"old.yaml": gittest.Deleted, "apps/new.yaml": deployment},
			head:     gittest.Files{"old.yaml": gittest.Deleted},
		},
		want: []gitmerge.Conflict{{
			Type: "rename/delete", Paths: []string{"apps/new.yaml", "old.yaml"}, Path: "apps/new.yaml", OldPath: "old.yaml",
			DeletedBy: gitmerge.HeadSide, RenamedBy: gitmerge.BaseSide,
		}},
	}, {
		name: "rename/rename",
		scenario: scenario{
			ancestor: gittest.Files{"old.yaml": deployment},
			base:     gittest.Files{"old.yaml": gittest.Deleted, "base.yaml": deployment},
			head:     gittest.Files{"old.yaml": gittest.Deleted, "head.yaml": deployment},
		},
		want: []gitmerge.Conflict{{Type: "rename/rename", Paths: []string{"old.yaml", "base.yaml", "head.yaml"}, Path: "base.yaml", OldPath: "old.yaml"}},
	}, {
		name: "binary",
		scenario: scenario{
			ancestor: gittest.Files{"logo.png": "\x89PNG\x00\x01"},
			base:     gittest.Files{"logo.png": "\x89PNG\x00\x02"},
			head:     gittest.Files{"logo.png": "\x89PNG\x00\x03"},
		},
		want: []gitmerge.Conflict{{Type: "binary", Paths: []string{"logo.png"}, Path: "logo.png", Binary: true}},
	}, {
		name: "file/directory",
		scenario: scenario{
			ancestor: gittest.Files{"README.md": "hi\n"},
			base:     gittest.Files{"conf": "a file\n"},
			head:     gittest.Files{"conf/app.yaml": "a: 1\n"},
		},
		want: []gitmerge.Conflict{{
			Type: "file/directory", Paths: []string{"conf~refs_shipgate_base", "conf"}, Path: "conf~refs_shipgate_base", OldPath: "conf",
		}},
	}, {
		name: "spaces and unicode",
		scenario: scenario{
			ancestor: gittest.Files{"my app/dép loy ✓.yaml": deployment},
			base:     gittest.Files{"my app/dép loy ✓.yaml": strings.Replace(deployment, "web:1.0", "web:1.1", 1)},
			head:     gittest.Files{"my app/dép loy ✓.yaml": strings.Replace(deployment, "web:1.0", "web:2.0", 1)},
		},
		want: []gitmerge.Conflict{{Type: "contents", Paths: []string{"my app/dép loy ✓.yaml"}, Path: "my app/dép loy ✓.yaml", Ranges: []gitmerge.LineRange{{Start: 11, End: 15}}}},
	}, {
		name: "crlf",
		scenario: scenario{
			ancestor: gittest.Files{"win.txt": "a\r\nb\r\nc\r\n"},
			base:     gittest.Files{"win.txt": "a\r\nB\r\nc\r\n"},
			head:     gittest.Files{"win.txt": "a\r\nβ\r\nc\r\n"},
		},
		want: []gitmerge.Conflict{{Type: "contents", Paths: []string{"win.txt"}, Path: "win.txt", Ranges: []gitmerge.LineRange{{Start: 2, End: 6}}}},
	}, {
		// git 2.39's merge-tree reads .gitattributes from the work tree
		// (main is checked out here), not from the commits merged.
		name: "conflict-marker-size attribute",
		scenario: scenario{
			ancestor: gittest.Files{".gitattributes": "*.md conflict-marker-size=10\n", "notes.md": "a\n=======\nb\n"},
			base:     gittest.Files{"notes.md": "a\n=======\nB\n"},
			head:     gittest.Files{"notes.md": "a\n=======\nβ\n"},
		},
		want:       []gitmerge.Conflict{{Type: "contents", Paths: []string{"notes.md"}, Path: "notes.md", Ranges: []gitmerge.LineRange{{Start: 3, End: 7}}}},
		markerSize: 10,
	}, {
		name: "several files",
		scenario: scenario{
			ancestor: gittest.Files{"a.yaml": "a: 1\n", "b.yaml": "b: 1\n", "c.yaml": "c: 1\n"},
			base:     gittest.Files{"a.yaml": "a: 2\n", "c.yaml": gittest.Deleted},
			head:     gittest.Files{"a.yaml": "a: 3\n", "b.yaml": "b: 3\n", "c.yaml": "c: 3\n"},
		},
		want: []gitmerge.Conflict{
			{Type: "contents", Paths: []string{"a.yaml"}, Path: "a.yaml", Ranges: []gitmerge.LineRange{{Start: 1, End: 5}}},
			{Type: "modify/delete", Paths: []string{"c.yaml"}, Path: "c.yaml", DeletedBy: gitmerge.BaseSide},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			r := tc.build(t)
			repo := open(t, r.Work.Dir)
			fetchPR(ctx, t, repo)
			capture(t, r.Work.Dir, tc.name)

			m, err := repo.Merge(ctx, baseRef, headRef)
			if err != nil {
				t.Fatal(err)
			}
			if m.Clean != (len(tc.want) == 0) {
				t.Errorf("Clean = %v, want %v", m.Clean, len(tc.want) == 0)
			}
			if diff := cmp.Diff(tc.want, m.Conflicts, cmpopts.IgnoreFields(gitmerge.Conflict{}, "Message"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("conflicts (-want +got):\n%s", diff)
			}
			size := tc.markerSize
			if size == 0 {
				size = gitmerge.DefaultMarkerSize
			}
			for _, c := range m.Conflicts {
				if !strings.HasPrefix(c.Message, "CONFLICT (") && !strings.HasPrefix(c.Message, "warning: Cannot merge binary files") {
					t.Errorf("%s conflict message = %q, want git's CONFLICT message", c.Type, c.Message)
				}
				checkMarkers(t, r.Work, m.Tree, c, size)
			}
			if want := r.Work.RevParse(baseRef); m.Base != want {
				t.Errorf("Base = %s, want %s", m.Base, want)
			}
			if want := r.Work.RevParse(headRef); m.Head != want {
				t.Errorf("Head = %s, want %s", m.Head, want)
			}
		})
	}
}

// checkMarkers checks each range against the merged blob: it opens with
// "<<<<<<< <base>" and closes with ">>>>>>> <head>" (size characters; labels
// may carry ":<path>" after a rename), and no marker is left outside the
// ranges.
func checkMarkers(t *testing.T, w *gittest.Repo, tree string, c gitmerge.Conflict, size int) {
	t.Helper()
	if len(c.Ranges) == 0 {
		return
	}
	text := lines(strings.ReplaceAll(w.ReadFile(tree, c.Path), "\r\n", "\n"))
	inside := map[int]bool{}
	for _, rg := range c.Ranges {
		if rg.Start < 1 || rg.End > len(text) || rg.Start >= rg.End {
			t.Errorf("%s: range %v outside the file's %d lines", c.Path, rg, len(text))
			continue
		}
		if open := text[rg.Start-1]; !strings.HasPrefix(open, strings.Repeat("<", size)+" "+baseRef) {
			t.Errorf("%s: line %d = %q, want the opening marker", c.Path, rg.Start, open)
		}
		if end := text[rg.End-1]; !strings.HasPrefix(end, strings.Repeat(">", size)+" "+headRef) {
			t.Errorf("%s: line %d = %q, want the closing marker", c.Path, rg.End, end)
		}
		for i := rg.Start; i <= rg.End; i++ {
			inside[i] = true
		}
	}
	for i, l := range text {
		if !inside[i+1] && (strings.HasPrefix(l, "<<<<<<< ") || strings.HasPrefix(l, ">>>>>>> ")) {
			t.Errorf("%s: marker %q at line %d is outside every range", c.Path, l, i+1)
		}
	}
}
