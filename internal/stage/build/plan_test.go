package build

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/stage"
)

func TestPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      stage.Inputs
		want    string // the matrix output, exactly
		wantErr []string
	}{
		{
			name: "defaults: native runners",
			in:   stage.Inputs{},
			want: `{"include":[{"platform":"linux/amd64","runner":"ubuntu-24.04","slug":"linux-amd64"},{"platform":"linux/arm64","runner":"ubuntu-24.04-arm","slug":"linux-arm64"}]}`,
		},
		{
			name: "variants and 386",
			in:   stage.Inputs{Platforms: "linux/arm64/v8\nlinux/386\nwindows/amd64"},
			want: `{"include":[{"platform":"linux/arm64/v8","runner":"ubuntu-24.04-arm","slug":"linux-arm64-v8"},{"platform":"linux/386","runner":"ubuntu-24.04","slug":"linux-386"},{"platform":"windows/amd64","runner":"windows-2025","slug":"windows-amd64"}]}`,
		},
		{
			name: "runners override, lines and commas",
			in:   stage.Inputs{Platforms: "linux/amd64,linux/arm64,linux/arm/v7", Runners: "linux/arm64/v8 = ghes-arm64\nlinux/arm/v7=pi-farm, linux/amd64=ghes-x64"},
			want: `{"include":[{"platform":"linux/amd64","runner":"ghes-x64","slug":"linux-amd64"},{"platform":"linux/arm64","runner":"ghes-arm64","slug":"linux-arm64"},{"platform":"linux/arm/v7","runner":"pi-farm","slug":"linux-arm-v7"}]}`,
		},
		{
			name: "emulate puts everything on one runner",
			in:   stage.Inputs{Platforms: "linux/amd64,linux/arm/v7,linux/s390x", Emulate: "true"},
			want: `{"include":[{"platform":"linux/amd64","runner":"ubuntu-24.04","slug":"linux-amd64","emulate":true},{"platform":"linux/arm/v7","runner":"ubuntu-24.04","slug":"linux-arm-v7","emulate":true},{"platform":"linux/s390x","runner":"ubuntu-24.04","slug":"linux-s390x","emulate":true}]}`,
		},
		{
			name: "emulate with a runner override",
			in:   stage.Inputs{Platforms: "linux/riscv64", Emulate: "true", Runners: "linux/riscv64=big-x64"},
			want: `{"include":[{"platform":"linux/riscv64","runner":"big-x64","slug":"linux-riscv64","emulate":true}]}`,
		},
		{
			name:    "platform without a native runner",
			in:      stage.Inputs{Platforms: "linux/amd64,linux/arm/v7"},
			wantErr: []string{"input platforms", "linux/arm/v7", "runners", "emulate: true"},
		},
		{name: "unknown architecture", in: stage.Inputs{Platforms: "linux/amd64,linux/aarch64"}, wantErr: []string{"input platforms", `"linux/aarch64"`, "GOARCH"}},
		{name: "duplicate platform", in: stage.Inputs{Platforms: "linux/arm64,linux/arm64/v8"}, wantErr: []string{"input platforms", "listed twice"}},
		{name: "runners without =", in: stage.Inputs{Runners: "linux/arm64 my-runner"}, wantErr: []string{"input runners item 1", "platform=runner"}},
		{name: "runner label with a space", in: stage.Inputs{Runners: "linux/arm64=self hosted"}, wantErr: []string{"input runners item 1", `"self hosted"`}},
		{name: "runners for a platform not planned", in: stage.Inputs{Runners: "linux/s390x=z"}, wantErr: []string{"input runners", "linux/s390x", "not in platforms (linux/amd64, linux/arm64)"}},
		{name: "runners twice", in: stage.Inputs{Runners: "linux/arm64=a\nlinux/arm64/v8=b"}, wantErr: []string{"input runners", "twice"}},
		{name: "emulate windows", in: stage.Inputs{Platforms: "windows/amd64", Emulate: "true"}, wantErr: []string{"input emulate", "windows/amd64", "windows-2025"}},
		{name: "emulate not a boolean", in: stage.Inputs{Emulate: "yes"}, wantErr: []string{"input emulate", `"yes"`, "true or false"}},
		{name: "bad timeout", in: stage.Inputs{Timeout: "ten minutes"}, wantErr: []string{"input timeout", "10m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.in.BuildStep = "plan"
			env, outputs, _ := newEnv(t, tt.in)
			err := (Stage{}).Validate(env)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Validate() = nil, want an error with %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Validate() error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			targets, err := (Stage{}).Run(t.Context(), env)
			if err != nil {
				t.Fatal(err)
			}
			got := outputs()
			if diff := cmp.Diff(map[string]string{"matrix": tt.want}, got); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			// The output is what fromJSON reads into strategy.matrix.
			var m Matrix
			if err := json.Unmarshal([]byte(got["matrix"]), &m); err != nil || strings.Contains(got["matrix"], "\n") {
				t.Errorf("matrix is not one line of JSON: %v", err)
			}
			if len(targets) != 1 || len(targets[0].Result.Notes) != len(m.Include) || targets[0].Result.Failed() {
				t.Errorf("plan result: %+v", targets)
			}
		})
	}
}

func TestStepInput(t *testing.T) {
	t.Parallel()
	for step, want := range map[string]string{
		"":      "input build-step is empty; set it to plan",
		"build": `input build-step "build" is not a build step; use plan or merge`,
	} {
		env, _, _ := newEnv(t, stage.Inputs{BuildStep: step})
		if err := (Stage{}).Validate(env); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("build-step %q: Validate() = %v, want %q", step, err, want)
		}
	}
}
