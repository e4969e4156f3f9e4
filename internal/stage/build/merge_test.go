package build

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/stage"
)

// found is a finding reduced to what a table states.
type found struct{ Check, Title string }

func TestMergeStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		digests  func(t *testing.T, push func(platform string, seed int64) string) string
		tags     string
		want     []found
		skipped  []string
		annotate []string // in the step log as ::error annotations
	}{
		{
			name: "verified",
			digests: func(t *testing.T, push func(string, int64) string) string {
				return "linux/amd64=" + push("linux/amd64", 1) + "\nlinux/arm64=" + push("linux/arm64", 2) + "\n"
			},
			tags: "1.2.3, latest",
		},
		{
			name: "no tags",
			digests: func(t *testing.T, push func(string, int64) string) string {
				return "linux/amd64=" + push("linux/amd64", 1) + ",linux/arm64=" + push("linux/arm64", 2)
			},
			skipped: []string{"index/tags"},
		},
		{
			name: "wrong architecture",
			digests: func(t *testing.T, push func(string, int64) string) string {
				return "linux/amd64=" + push("linux/amd64", 1) + "\nlinux/arm64=" + push("linux/amd64", 3)
			},
			tags:     "latest",
			want:     []found{{"image/linux/arm64", "linux/arm64: built for linux/amd64"}},
			skipped:  []string{"index/verify", "index/tags"},
			annotate: []string{"::error title=linux/arm64%3A built for linux/amd64::The image sha256:"},
		},
		{
			name: "missing, unknown and extra",
			digests: func(t *testing.T, push func(string, int64) string) string {
				return "linux/arm64=sha256:" + strings.Repeat("0", 64) + "\nlinux/s390x=" + push("linux/s390x", 4)
			},
			want: []found{
				{"image/linux/amd64", "linux/amd64: no image"},
				{"image/linux/arm64", "linux/arm64: unknown digest"},
				{"image/linux/s390x", "linux/s390x: not requested"},
			},
			skipped: []string{"index/verify", "index/tags"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo, _ := newRegistry(t)
			push := func(platform string, seed int64) string { return pushImage(t, repo, platform, seed).String() }
			in := stage.Inputs{BuildStep: "merge", Image: repo.String(), Digests: tt.digests(t, push), Tags: tt.tags}
			env, outputs, stdout := newEnv(t, in)
			if err := testStage.Validate(env); err != nil {
				t.Fatal(err)
			}
			targets, err := testStage.Run(t.Context(), env)
			if err != nil {
				t.Fatal(err)
			}
			if len(targets) != 1 {
				t.Fatalf("Run() returned %d targets", len(targets))
			}
			res := targets[0].Result
			var got []found
			var skipped []string
			for _, c := range res.Checks {
				for _, f := range c.Findings {
					got = append(got, found{f.Check, f.Title})
				}
				if c.Skipped != "" {
					skipped = append(skipped, c.Name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.skipped, skipped); diff != "" {
				t.Errorf("skipped checks (-want +got):\n%s", diff)
			}
			for _, a := range tt.annotate {
				if !strings.Contains(stdout.String(), a) {
					t.Errorf("step log has no annotation %q:\n%s", a, stdout)
				}
			}
			// The summary, with the registry's random port made stable.
			md := strings.ReplaceAll(report.Markdown(targets, report.MaxStepSummary, ""), repo.RegistryStr(), "registry.test")
			golden(t, "merge-"+strings.NewReplacer(" ", "-", ",", "").Replace(tt.name)+".md", md)

			outs := outputs()
			if len(tt.want) > 0 {
				if !res.Failed() || len(outs) != 0 {
					t.Errorf("a failed merge: Failed() = %v, outputs %v; want failed and no outputs", res.Failed(), outs)
				}
				return
			}
			digest := outs["digest"]
			if diff := cmp.Diff(map[string]string{"image": repo.String() + "@" + digest, "digest": digest}, outs); diff != "" || !strings.HasPrefix(digest, "sha256:") {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			// The output names what the registry holds under every tag.
			for _, tag := range imageindex.SplitList(tt.tags) {
				d, err := remote.Head(repo.Tag(tag), remote.WithContext(t.Context()))
				if err != nil {
					t.Fatal(err)
				}
				if d.Digest.String() != digest {
					t.Errorf("tag %s = %s, want the output digest %s", tag, d.Digest, digest)
				}
			}
		})
	}
}

func TestMergeStageRegistryDown(t *testing.T) {
	t.Parallel()
	repo, srv := newRegistry(t)
	d := pushImage(t, repo, "linux/amd64", 1)
	srv.Close()
	env, outputs, _ := newEnv(t, stage.Inputs{BuildStep: "merge", Platforms: "linux/amd64", Image: repo.String(), Digests: "linux/amd64=" + d.String()})
	if _, err := testStage.Run(t.Context(), env); err == nil || !strings.Contains(err.Error(), "image index in "+repo.String()) {
		t.Errorf("Run() with the registry down: err = %v, want an error naming %s", err, repo)
	}
	if got := outputs(); len(got) != 0 {
		t.Errorf("outputs after an error: %v", got)
	}
}

func TestMergeInputs(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		in      stage.Inputs
		wantErr []string
	}{
		{"empty image and digests", stage.Inputs{}, []string{"input image is empty", "input digests is empty"}},
		{"image with a tag", stage.Inputs{Image: "ghcr.io/octo/shop:1.0", Digests: "linux/amd64=" + digest}, []string{"input image", "tags input"}},
		{"image with a digest", stage.Inputs{Image: "ghcr.io/octo/shop@" + digest, Digests: "linux/amd64=" + digest}, []string{"input image", "tag or digest"}},
		{"registry port is fine, bad repository is not", stage.Inputs{Image: "localhost:5000/Octo", Digests: "linux/amd64=" + digest}, []string{`input image "localhost:5000/Octo"`}},
		{"digest line without =", stage.Inputs{Image: "ghcr.io/octo/shop", Digests: digest}, []string{"input digests item 1", "platform=digest"}},
		{"digest not a digest", stage.Inputs{Image: "ghcr.io/octo/shop", Digests: "linux/amd64=latest"}, []string{"input digests item 1", "sha256:"}},
		{"digest platform unknown", stage.Inputs{Image: "ghcr.io/octo/shop", Digests: "linux/amd65=" + digest}, []string{"input digests item 1", "linux/amd65"}},
		{"bad tag", stage.Inputs{Image: "ghcr.io/octo/shop", Digests: "linux/amd64=" + digest, Tags: "v1,-bad"}, []string{"input tags", `"-bad"`}},
		{"bad platforms", stage.Inputs{Image: "ghcr.io/octo/shop", Digests: "linux/amd64=" + digest, Platforms: "linux"}, []string{"input platforms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.in.BuildStep = "merge"
			env, _, _ := newEnv(t, tt.in)
			err := (Stage{}).Validate(env)
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() error %q does not say %q", err, w)
				}
			}
		})
	}
}

// The plan's summary, as the step summary shows it.
func TestPlanSummary(t *testing.T) {
	t.Parallel()
	env, _, _ := newEnv(t, stage.Inputs{BuildStep: "plan", Platforms: "linux/amd64,linux/arm64,linux/arm/v7", Runners: "linux/arm/v7=pi-farm"})
	targets, err := (Stage{}).Run(t.Context(), env)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.md", report.Markdown(targets, report.MaxStepSummary, ""))
}
