package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Config
		wantErr string
	}{
		{name: "empty file is the default", in: "", want: Config{}},
		{name: "comments only", in: "# nothing\n", want: Config{}},
		{
			name: "merge-check fields",
			in:   "merge-check:\n  version-files: [cluster/VERSION]\n  ignore: ['deploy/legacy/**']\n  mergeable-attempts: 3\n",
			want: Config{MergeCheck: MergeCheck{VersionFiles: []string{"cluster/VERSION"}, Ignore: []string{"deploy/legacy/**"}, MergeableAttempts: 3}},
		},
		{
			name:    "unknown field names the section and the known fields",
			in:      "merge-check:\n  versoin-files: [x]\n",
			wantErr: `config shipgate.yml:2: unknown field "versoin-files" in merge-check; known fields: version-files, ignore, mergeable-attempts`,
		},
		{
			name:    "unknown section",
			in:      "sandbx: {}\n",
			wantErr: `config shipgate.yml:1: unknown field "sandbx" in the top level; known fields: merge-check`,
		},
		{
			name:    "out of range",
			in:      "merge-check:\n  mergeable-attempts: 99\n",
			wantErr: "merge-check.mergeable-attempts is 99; use a number from 1 to 20",
		},
		{
			name:    "path outside the repository",
			in:      "merge-check:\n  version-files: [../VERSION]\n",
			wantErr: `merge-check.version-files[0] "../VERSION" must be a path inside the repository`,
		},
		{
			name:    "wrong type",
			in:      "merge-check:\n  mergeable-attempts: many\n",
			wantErr: "cannot unmarshal !!str `many` into int",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse("shipgate.yml", []byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	if c, err := Load(".", ""); err != nil || c.MergeCheck.Attempts() != 5 {
		t.Fatalf("Load(\"\") = %+v, %v; want defaults", c, err)
	}
	missing := filepath.Join(t.TempDir(), "nope.yml")
	if _, err := Load("/", missing); err == nil || !strings.Contains(err.Error(), "input config: "+missing+" does not exist") {
		t.Fatalf("Load(missing) error = %v", err)
	}
	p := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(p, []byte("merge-check:\n  mergeable-attempts: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(t.TempDir(), p); err != nil || c.MergeCheck.Attempts() != 2 {
		t.Fatalf("Load() = %+v, %v", c, err)
	}
}
