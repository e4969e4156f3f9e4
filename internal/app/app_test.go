package app

import (
	"bytes"
	"slices"
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
		{"no stage", nil, ExitError, "no stage given; use one of: auto-merge, build, history, merge-check, promote, rollback, sandbox, smoke"},
		{"help", []string{"-h"}, ExitOK, "Usage:"},
		{"flag before the stage", []string{"--base", "main"}, ExitError, "the stage comes first"},
		{"unknown stage", []string{"deploy"}, ExitError, `input stage "deploy" is not a shipgate stage`},
		{"promote without an environment", []string{"promote"}, ExitError, "input environment is empty: name the environment you promote to"},
		{"promote without a kubeconfig", []string{"promote", "--environment", "production"}, ExitError, "promote needs the production cluster's kubeconfig"},
		{"rollback to a non-number", []string{"rollback", "--environment", "production", "--kubeconfig", "/nonexistent", "--to-revision", "last"}, ExitError, `input to-revision "last": want a revision number`},
		{"stray argument", []string{"merge-check", "extra"}, ExitError, `unexpected argument "extra"`},
		{"bad version", []string{"merge-check", "--kubernetes-version", "one"}, ExitError, `input kubernetes-version: "one" is not a version`},
		{"not a repository", []string{"merge-check", "--repo", "/nonexistent-shipgate"}, ExitError, "merge-check:"},
		{"sandbox timeout", []string{"sandbox", "--timeout", "soon"}, ExitError, `input timeout "soon": want a Go duration above 0`},
		{"sandbox provider", []string{"sandbox", "--provider", "minikube"}, ExitError, `input provider "minikube" is not a provider; use one of: kind, existing, local`},
		{"sandbox keep", []string{"sandbox", "--keep-on-failure=maybe"}, ExitError, `invalid boolean value "maybe" for -keep-on-failure`},
		{"sandbox keep apart", []string{"sandbox", "--keep-on-failure", "maybe"}, ExitError, `unexpected argument "maybe" after --keep-on-failure: a boolean flag stands alone (--keep-on-failure) or takes its value with =, e.g. --keep-on-failure=false`},
		{"kind without a version", []string{"sandbox", "--provider", "kind"}, ExitError, "provider kind needs kubernetes-version"},
		{"existing without kubeconfig", []string{"sandbox", "--provider", "existing"}, ExitError, "provider existing needs a kubeconfig"},
		{"smoke with nothing to run", []string{"smoke"}, ExitError, "smoke has nothing to run"},
		{"smoke disruption", []string{"smoke", "--disruption=yes"}, ExitError, `invalid boolean value "yes" for -disruption: use --disruption alone for true, or --disruption=false`},
		{"boolean value apart", []string{"smoke", "--disruption", "true"}, ExitError, `unexpected argument "true" after --disruption: a boolean flag stands alone (--disruption) or takes its value with =, e.g. --disruption=false`},
		{"flag of another stage", []string{"merge-check", "--provider", "kind"}, ExitError, "flag provided but not defined: -provider"},
		{"version", []string{"version"}, ExitOK, "shipgate " + Version},
		{"post without state", []string{"post"}, ExitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			args := tc.args
			if len(args) > 0 && !strings.HasPrefix(args[0], "-") && !slices.Contains(args, "--repo") {
				args = append(args, "--repo", t.TempDir()) // reports of errors go there
			}
			code := Run(t.Context(), args, IO{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &out})
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Errorf("Run(%q) = %d, output:\n%s\nwant %d and %q", tc.args, code, out.String(), tc.code, tc.want)
			}
		})
	}
}
