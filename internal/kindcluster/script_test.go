package kindcluster

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite images.yaml from testdata/kind-v0.30.0-release-notes.md with hack/update-kind-images.sh")

const notesV030 = "testdata/kind-v0.30.0-release-notes.md"

// runScript runs hack/update-kind-images.sh with bash, writing to out, and
// returns its exit code and standard error.
func runScript(t *testing.T, stdin []byte, out string, args ...string) (int, string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("the update script needs bash: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), bash, append([]string{"../../hack/update-kind-images.sh", "-o", out}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// TestUpdateScriptMakesImagesYAML proves the embedded table is the script's
// output on kind v0.30.0's release notes; -update rewrites it.
func TestUpdateScriptMakesImagesYAML(t *testing.T) {
	t.Parallel()
	if *update {
		if code, stderr := runScript(t, nil, "images.yaml", "v0.30.0", notesV030); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	notes, err := os.ReadFile(notesV030)
	if err != nil {
		t.Fatal(err)
	}
	// The releases API's JSON, as the script fetches it when online.
	apiJSON, err := json.Marshal(map[string]string{"tag_name": "v0.30.0", "body": string(notes)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	apiFile := filepath.Join(dir, "release.json")
	if err := os.WriteFile(apiFile, apiJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		stdin []byte
		args  []string
	}{
		{"notes file", nil, []string{"v0.30.0", notesV030}},
		{"version without v", nil, []string{"0.30.0", notesV030}},
		{"digest without sha256 prefix", nil, []string{"v0.30.0", "testdata/kind-v0.30.0-release-notes-no-prefix.md"}},
		{"releases API JSON", nil, []string{"v0.30.0", apiFile}},
		{"stdin", notes, []string{"v0.30.0", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "sub", "images.yaml")
			if code, stderr := runScript(t, tc.stdin, out, tc.args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(imagesYAML), string(got)); d != "" {
				t.Errorf("output differs from the embedded images.yaml (-embedded +script); run go test -run TestUpdateScript -update:\n%s", d)
			}
		})
	}
}

func TestUpdateScriptRejects(t *testing.T) {
	t.Parallel()
	notes, err := os.ReadFile(notesV030)
	if err != nil {
		t.Fatal(err)
	}
	conflict := string(notes) + "\n- v1.33.4: kindest/node:v1.33.4@sha256:" + strings.Repeat("0", 64) + "\n"
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		want        string
	}{
		{"two digests for a version", conflict, []string{"v0.30.0", "-"}, 1, "more than one digest for: v1.33.4"},
		{"no images", "Bug fixes only.\n", []string{"v0.30.0", "-"}, 1, "no kindest/node images with digests"},
		{"image without digest", "- v1.33.4: kindest/node:v1.33.4\n", []string{"v0.30.0", "-"}, 1, "no kindest/node images with digests"},
		{"bad version", "", []string{"0.30", "-"}, 2, "KIND_VERSION 0.30 is not a release version"},
		{"missing notes", "", []string{"v0.30.0", "testdata/nope.md"}, 1, "cannot read release notes testdata/nope.md"},
		{"no arguments", "", nil, 2, "usage:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "images.yaml")
			code, stderr := runScript(t, []byte(tc.stdin), out, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s was written (%v)", out, err)
			}
		})
	}
}
