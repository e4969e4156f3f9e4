package kubeversion

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/result"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/upgrade")

// TestUpgradeFindingsGolden runs UpgradeFindings on each directory of
// testdata/upgrade: base/ and merged/ hold the changed files of each side,
// the optional version-files lists the version files one per line, and
// want.golden holds the findings as JSON. Run with -update to rewrite it.
func TestUpgradeFindingsGolden(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(filepath.Join("testdata", "upgrade"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join("testdata", "upgrade", d.Name())
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			base := readTree(t, filepath.Join(dir, "base"))
			merged := readTree(t, filepath.Join(dir, "merged"))
			var versionFiles []string
			if b, err := os.ReadFile(filepath.Join(dir, "version-files")); err == nil {
				versionFiles = strings.Fields(string(b))
			}
			got := UpgradeFindings(base, merged, versionFiles)
			if got == nil {
				got = []result.Finding{}
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			gotJSON = append(gotJSON, '\n')
			golden := filepath.Join(dir, "want.golden")
			if *update {
				if err := os.WriteFile(golden, gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(gotJSON)); diff != "" {
				t.Errorf("UpgradeFindings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// readTree maps the slash paths of the files under root to their contents;
// a missing root is an empty tree.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	tree := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		tree[filepath.ToSlash(rel)] = bytes.Clone(b)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return tree
}
