package mergecheck

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/gittest"
	"github.com/shipgate/shipgate/internal/kubeversion"
	"github.com/shipgate/shipgate/internal/publish"
	"github.com/shipgate/shipgate/internal/stage"
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
          image: web:1
`

// found is a finding reduced to what a table can state.
type found struct {
	Check string
	Level string
	Where string
}

func TestStageOnRealRepositories(t *testing.T) {
	t.Parallel()
	binary := func(b byte) string { return string([]byte{0, 1, 2, b, 0, 255}) }
	tests := []struct {
		name    string
		base    gittest.Files // committed on main before the branch
		branch  gittest.Files // the pull request
		main    gittest.Files // main after the branch was cut
		cfg     config.Config
		target  string
		want    []found
		skipped []string
	}{
		{
			name:   "clean merge",
			base:   gittest.Files{"deploy/web.yaml": deployment},
			branch: gittest.Files{"deploy/web.yaml": strings.Replace(deployment, "web:1", "web:2", 1)},
			main:   gittest.Files{"README.md": "docs\n"},
		},
		{
			name:   "rename/delete",
			base:   gittest.Files{"deploy/web.yaml": deployment},
			branch: gittest.Files{"deploy/web.yaml": gittest.Deleted, "deploy/frontend.yaml": deployment},
			main:   gittest.Files{"deploy/web.yaml": gittest.Deleted},
			want:   []found{{"merge/conflicts", "failure", "deploy/frontend.yaml:1"}},
		},
		{
			name:   "modify/delete",
			base:   gittest.Files{"deploy/web.yaml": deployment},
			branch: gittest.Files{"deploy/web.yaml": strings.Replace(deployment, "replicas: 2", "replicas: 3", 1)},
			main:   gittest.Files{"deploy/web.yaml": gittest.Deleted},
			want:   []found{{"merge/conflicts", "failure", "deploy/web.yaml:1"}},
		},
		{
			name:   "add/add",
			branch: gittest.Files{"deploy/new.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"},
			main:   gittest.Files{"deploy/new.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"},
			base:   gittest.Files{"README.md": "x\n"},
			want:   []found{{"merge/conflicts", "failure", "deploy/new.yaml:4"}},
		},
		{
			name:   "binary",
			base:   gittest.Files{"deploy/logo.png": binary(1)},
			branch: gittest.Files{"deploy/logo.png": binary(2)},
			main:   gittest.Files{"deploy/logo.png": binary(3)},
			want:   []found{{"merge/conflicts", "failure", "deploy/logo.png:1"}},
		},
		{
			name: "textually clean merge yields an invalid manifest",
			base: gittest.Files{"deploy/web.yaml": deployment},
			// The branch indents a new key; main adds one beside it: both
			// edits merge without conflict, the result is not YAML.
			branch: gittest.Files{"deploy/web.yaml": strings.Replace(deployment, "  replicas: 2\n", "  replicas: 2\n  paused: false\n", 1)},
			main:   gittest.Files{"deploy/web.yaml": strings.Replace(deployment, "kind: Deployment\n", "kind: Deployment\n   bad: indent\n", 1)},
			want:   []found{{"manifest/syntax", "failure", "deploy/web.yaml:3:4"}},
		},
		{
			name:   "textually clean merge yields a duplicate object",
			base:   gittest.Files{"deploy/web.yaml": deployment},
			branch: gittest.Files{"deploy/copy.yaml": deployment},
			main:   gittest.Files{"deploy/other.yaml": strings.Replace(deployment, "apps/v1", "extensions/v1beta1", 1)},
			target: "v1.15.0",
			want: []found{
				{"apis/deprecated", "warning", "deploy/other.yaml:1:13"},
				{"manifest/duplicate-object", "failure", "deploy/other.yaml:4:3"},
				{"manifest/duplicate-object", "failure", "deploy/web.yaml:4:3"},
			},
		},
		{
			name:   "missing fields",
			base:   gittest.Files{"deploy/web.yaml": deployment},
			branch: gittest.Files{"deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\ndata: {}\n"},
			want:   []found{{"manifest/required-fields", "failure", "deploy/cm.yaml:1:1"}},
		},
		{
			name:    "removed and deprecated APIs, no target",
			base:    gittest.Files{"deploy/web.yaml": deployment},
			branch:  gittest.Files{"deploy/pdb.yaml": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\n"},
			skipped: []string{"apis/removed", "apis/deprecated"},
		},
		{
			name:   "deprecated API before its removal",
			base:   gittest.Files{"deploy/web.yaml": deployment},
			branch: gittest.Files{"deploy/pdb.yaml": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\n"},
			target: "v1.24.0",
			want:   []found{{"apis/deprecated", "warning", "deploy/pdb.yaml:1:13"}},
		},
		{
			name:   "kind node image skips a minor",
			base:   gittest.Files{"cluster/kind.yaml": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n    image: kindest/node:v1.29.4\n"},
			branch: gittest.Files{"cluster/kind.yaml": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n    image: kindest/node:v1.31.0\n"},
			want:   []found{{"upgrade/minor-skip", "failure", "cluster/kind.yaml:5:25"}},
		},
		{
			name:   "version file downgrade",
			cfg:    config.Config{MergeCheck: config.MergeCheck{VersionFiles: []string{"cluster/VERSION"}}},
			base:   gittest.Files{"cluster/VERSION": "v1.31.2\n"},
			branch: gittest.Files{"cluster/VERSION": "v1.30.6\n"},
			want:   []found{{"upgrade/downgrade", "failure", "cluster/VERSION:1:1"}},
		},
		{
			name:   "ignored paths are not checked",
			cfg:    config.Config{MergeCheck: config.MergeCheck{Ignore: []string{"deploy/legacy/**"}}},
			base:   gittest.Files{"deploy/web.yaml": deployment},
			branch: gittest.Files{"deploy/legacy/old.yaml": "not: [yaml"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := gittest.New(t)
			r.Work.Commit("main", tc.base, "base")
			r.Work.Branch("feature", "main")
			if tc.branch != nil {
				r.Work.Commit("feature", tc.branch, "change")
			}
			if tc.main != nil {
				r.Work.Commit("main", tc.main, "main moves")
			}
			r.Push("main")
			env := cliEnv(t, r.Work.Dir, tc.cfg, tc.target)
			targets, err := Stage{}.Run(t.Context(), env)
			if err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			if len(targets) != 1 {
				t.Fatalf("Run() = %d targets, want 1", len(targets))
			}
			res := targets[0].Result
			var got []found
			var skipped []string
			for _, c := range res.Checks {
				if c.Skipped != "" && c.Name != checkUpgrade {
					skipped = append(skipped, c.Name)
				}
				for _, f := range c.Findings {
					if f.Level == "notice" {
						continue
					}
					got = append(got, found{f.Check, string(f.Level), f.Location()})
				}
			}
			slices.SortFunc(got, func(a, b found) int { return strings.Compare(a.Where+a.Check, b.Where+b.Check) })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s\nall: %+v", diff, res.Findings())
			}
			if tc.target == "" {
				if diff := cmp.Diff(append(tc.skipped[:0:0], "apis/removed", "apis/deprecated"), skipped); diff != "" {
					t.Errorf("skipped checks mismatch (-want +got):\n%s", diff)
				}
			}
			if res.Failed() != slices.ContainsFunc(got, func(f found) bool { return f.Level == "failure" }) {
				t.Errorf("Failed() = %v with findings %+v", res.Failed(), got)
			}
		})
	}
}

func TestStageConflictNamesObjectAndFields(t *testing.T) {
	t.Parallel()
	r := gittest.New(t)
	r.Work.Commit("main", gittest.Files{"deploy/web.yaml": deployment}, "base")
	r.Work.Branch("feature", "main")
	r.Work.Commit("feature", gittest.Files{"deploy/web.yaml": strings.NewReplacer("replicas: 2", "replicas: 4", "web:1", "web:2").Replace(deployment)}, "change")
	r.Work.Commit("main", gittest.Files{"deploy/web.yaml": strings.NewReplacer("replicas: 2", "replicas: 3", "web:1", "web:3").Replace(deployment)}, "main moves")
	r.Push("main")
	targets, err := Stage{}.Run(t.Context(), cliEnv(t, r.Work.Dir, config.Config{}, "v1.31.0"))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, f := range targets[0].Result.Findings() {
		if f.Check != checkConflicts {
			t.Errorf("unexpected finding %+v", f)
			continue
		}
		if f.Object != "Deployment/web" {
			t.Errorf("conflict object = %q, want Deployment/web", f.Object)
		}
		msgs = append(msgs, fmt.Sprintf("%d-%d %s", f.Line, f.EndLine, f.Message))
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "(spec.replicas)") || !strings.Contains(msgs[1], "(spec.template.spec.containers[0].image)") {
		t.Errorf("conflicts = %q, want one on spec.replicas and one on the image", msgs)
	}
}

func TestStageCLIWithoutOrigin(t *testing.T) {
	t.Parallel()
	r := gittest.New(t)
	r.Work.Commit("main", gittest.Files{"deploy/web.yaml": deployment}, "base")
	r.Work.Branch("feature", "main")
	r.Work.Commit("feature", gittest.Files{"deploy/web.yaml": strings.Replace(deployment, "web:1", "web:2", 1)}, "change")
	r.Work.Git("remote", "remove", "origin")
	targets, err := Stage{}.Run(t.Context(), cliEnv(t, r.Work.Dir, config.Config{}, ""))
	if err != nil {
		t.Fatalf("Run() without origin: %v", err)
	}
	if res := targets[0].Result; res.Failed() || !strings.HasPrefix(res.Title, "Clean merge") {
		t.Errorf("result = %+v", res)
	}
}

// cliEnv is the environment of `shipgate merge-check --base main --head feature`.
func cliEnv(t *testing.T, dir string, cfg config.Config, target string) *stage.Env {
	t.Helper()
	var out bytes.Buffer
	rt := actionio.New(func(string) string { return "" }, &out)
	env := &stage.Env{
		Inputs: stage.Inputs{Stage: "merge-check", Manifests: ".", Base: "main", Head: "feature", Repo: dir, ReportDir: "r"},
		Config: cfg, RT: rt, Now: time.Now,
		Publisher: publish.New(rt, nil, "", "", time.Now),
	}
	if target != "" {
		env.Target = kubeversion.MustParse(target)
	}
	if err := (Stage{}).Validate(env); err != nil {
		t.Fatal(err)
	}
	return env
}
