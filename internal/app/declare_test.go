package app

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/stage"
)

// TestActionInputsMatchDeclarations keeps action.yml's inputs equal to the
// table the binary reads: every name, in order, with its default.
func TestActionInputsMatchDeclarations(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs yaml.Node `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	type input struct {
		Name, Default string
		Required      bool
	}
	var got []input
	for i := 0; i+1 < len(action.Inputs.Content); i += 2 {
		var in struct {
			Default  string `yaml:"default"`
			Required bool   `yaml:"required"`
		}
		if err := action.Inputs.Content[i+1].Decode(&in); err != nil {
			t.Fatal(err)
		}
		got = append(got, input{action.Inputs.Content[i].Value, in.Default, in.Required})
	}
	var want []input
	for _, d := range decls {
		if d.name != "" {
			want = append(want, input{d.name, d.def, d.name == "stage"})
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("action.yml inputs differ from the declarations in declare.go (-declared +action.yml):\n%s", diff)
	}
}

// TestDeclarations checks the table itself: one field per input, one flag
// name per flag, booleans defaulting to false, stages that exist.
func TestDeclarations(t *testing.T) {
	t.Parallel()
	var in stage.Inputs
	fields := map[*string]string{}
	flags := map[string]bool{}
	for _, d := range decls {
		id := d.name + "/" + d.flag
		if prev, ok := fields[d.field(&in)]; ok {
			t.Errorf("%s and %s fill the same field", prev, id)
		}
		fields[d.field(&in)] = id
		if f := d.flagName(); f != "" {
			if flags[f] {
				t.Errorf("flag --%s declared twice", f)
			}
			flags[f] = true
		}
		if d.boolean && d.flagDefault() != "false" {
			t.Errorf("boolean %s defaults to %q, want false", id, d.flagDefault())
		}
		for _, s := range d.stages {
			if _, ok := stages[s]; !ok {
				t.Errorf("%s names stage %q, not in the registry", id, s)
			}
		}
		if d.help == "" {
			t.Errorf("%s has no help", id)
		}
	}
}

// TestReadActionInputs reads every declared input from the environment the
// runner gives a step and finds it in its field.
func TestReadActionInputs(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": "/ws"}
	want := stage.Inputs{Repo: "/ws"}
	for _, d := range decls {
		if d.name == "" {
			continue
		}
		v := "value of " + d.name
		env["INPUT_"+strings.ToUpper(d.name)] = v
		*d.field(&want) = v
	}
	var out bytes.Buffer
	rt := actionio.New(func(k string) string { return env[k] }, &out)
	got, err := readInputs(rt, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	for _, secret := range []string{"value of github-token", "value of merge-token", "value of kubeconfig"} {
		if !strings.Contains(out.String(), "::add-mask::"+secret+"\n") {
			t.Errorf("%q not masked; log:\n%s", secret, out.String())
		}
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	defaults := func(st string, edit func(*stage.Inputs)) stage.Inputs {
		in := stage.Inputs{Stage: st}
		for _, d := range decls {
			if d.flagName() != "" && d.forStage(st) {
				*d.field(&in) = d.flagDefault()
			}
		}
		edit(&in)
		return in
	}
	tests := []struct {
		name string
		args []string
		want stage.Inputs
	}{
		{"bool alone", []string{"smoke", "--disruption"}, defaults("smoke", func(in *stage.Inputs) { in.Disruption = "true" })},
		{"bool =false", []string{"smoke", "--disruption=false", "--base", "release"}, defaults("smoke", func(in *stage.Inputs) { in.Base = "release" })},
		{"bool =1", []string{"sandbox", "-keep-on-failure=1"}, defaults("sandbox", func(in *stage.Inputs) { in.KeepOnFailure = "true" })},
		{"rollback inputs", []string{"rollback", "--environment", "production", "--to-revision", "7", "--fast-track", "--reason", "p95 up"},
			defaults("rollback", func(in *stage.Inputs) {
				in.Environment, in.ToRevision, in.FastTrack, in.Reason = "production", "7", "true", "p95 up"
			})},
		{"kubeconfig flag is the file", []string{"smoke", "--kubeconfig", "/k"}, defaults("smoke", func(in *stage.Inputs) { in.KubeconfigPath = "/k" })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			got, err := parseFlags(tc.args, &out)
			if err != nil {
				t.Fatalf("parseFlags(%q): %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseFlags(%q) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// TestStageHelp shows each stage's flags and no other stage's.
func TestStageHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stage         string
		want, notWant []string
	}{
		{"merge-check", []string{"-base", "-head", "-kubernetes-version", "-manifests"}, []string{"-provider", "-disruption", "-platforms"}},
		{"smoke", []string{"-disruption\n", "-smoke-command", "-provider", "-kubeconfig string"}, []string{"-platforms", "-keep-on-failure"}},
		{"build", []string{"-platforms", "-emulate\n", "-tags"}, []string{"-provider", "-disruption"}},
		{"rollback", []string{"-environment", "-to-revision", "-fast-track\n", "-reason"}, []string{"-platforms", "-smoke-command"}},
	}
	for _, tc := range tests {
		t.Run(tc.stage, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code := Run(t.Context(), []string{tc.stage, "--help"}, IO{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &out})
			if code != ExitOK {
				t.Errorf("exit %d, want %d", code, ExitOK)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), "  "+w) {
					t.Errorf("help lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out.String(), "  "+w) {
					t.Errorf("help shows %q, not a flag of %s:\n%s", w, tc.stage, out.String())
				}
			}
		})
	}
}
