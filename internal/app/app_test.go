package app

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunCLIArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no stage", nil, ExitError, "no stage given; use one of: merge-check"},
		{"help", []string{"-h"}, ExitOK, "Usage:"},
		{"flag before the stage", []string{"--base", "main"}, ExitError, "the stage comes first"},
		{"unknown stage", []string{"deploy"}, ExitError, `input stage "deploy" is not a shipgate stage`},
		{"later stage", []string{"promote"}, ExitError, `stage "promote" is not available in shipgate`},
		{"stray argument", []string{"merge-check", "extra"}, ExitError, `unexpected argument "extra"`},
		{"bad version", []string{"merge-check", "--kubernetes-version", "one"}, ExitError, `input kubernetes-version: "one" is not a version`},
		{"not a repository", []string{"merge-check", "--repo", "/nonexistent-shipgate"}, ExitError, "merge-check:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code := Run(t.Context(), tc.args, IO{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &out})
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Errorf("Run(%q) = %d, output:\n%s\nwant %d and %q", tc.args, code, out.String(), tc.code, tc.want)
			}
		})
	}
}
