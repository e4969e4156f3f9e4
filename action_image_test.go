package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// actionImageScript is the run: script of .github/actions/action-image,
// the step before every shipgate step of the reusable workflows and CI.
func actionImageScript(t *testing.T) (script string, env map[string]string) {
	t.Helper()
	const path = ".github/actions/action-image/action.yml"
	steps := get(get(readYAML(t, path), "runs"), "steps")
	if steps == nil {
		t.Fatalf("%s has no steps", path)
	}
	for _, s := range steps.Content {
		if scalar(get(s, "id")) == "image" {
			env = map[string]string{}
			pairs(get(s, "env"), func(k, v *yaml.Node) { env[k.Value] = v.Value })
			return scalar(get(s, "run")), env
		}
	}
	t.Fatalf("%s has no step with id image", path)
	return "", nil
}

// TestActionImageStep runs the step on checkouts of shipgate: a release
// (its prebuilt image runs), a commit whose action builds from the
// Dockerfile or that predates prebuilt images (refused), and CI's image
// under test (docker load, then action.yml points at it; docker is a
// stand-in, there is no engine here).
func TestActionImageStep(t *testing.T) {
	t.Parallel()
	script, stepEnv := actionImageScript(t)
	release, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	tool, err := os.ReadFile(".github/action-image.sh")
	if err != nil {
		t.Fatal(err)
	}
	const pinned = "docker://ghcr.io/shipgate/shipgate@sha256:5f2cbd0e8a2b1c0a4b9d2d6c3f0e1a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5"
	tests := []struct {
		name, image, artifact string
		noTool                bool
		wantCode              int
		wantImage, wantLog    string
	}{
		{name: "release", image: pinned, wantImage: strings.TrimPrefix(pinned, "docker://")},
		{name: "main between releases", image: "docker://ghcr.io/shipgate/shipgate:v1", wantImage: "ghcr.io/shipgate/shipgate:v1"},
		{name: "built from the Dockerfile", image: "Dockerfile", wantCode: 1,
			wantLog: "::error title=shipgate-ref::the shipgate action in .shipgate would build its image (Dockerfile) in every job"},
		{name: "before prebuilt images", image: "Dockerfile", noTool: true, wantCode: 1,
			wantLog: "::error title=shipgate-ref::.shipgate is a commit of shipgate from before prebuilt images"},
		{name: "image under test", image: "docker://ghcr.io/shipgate/shipgate:v1", artifact: "shipgate-image",
			wantImage: "shipgate:ci-42-1", wantLog: "runs the image under test, shipgate:ci-42-1, instead of ghcr.io/shipgate/shipgate:v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws, temp, bin := t.TempDir(), t.TempDir(), t.TempDir()
			checkout := filepath.Join(ws, ".shipgate")
			if err := os.MkdirAll(filepath.Join(checkout, ".github"), 0o755); err != nil {
				t.Fatal(err)
			}
			action := strings.Replace(string(release), "  image: docker://ghcr.io/shipgate/shipgate:v1\n", "  image: "+tt.image+"\n", 1)
			if err := os.WriteFile(filepath.Join(checkout, "action.yml"), []byte(action), 0o644); err != nil {
				t.Fatal(err)
			}
			if !tt.noTool {
				if err := os.WriteFile(filepath.Join(checkout, ".github", "action-image.sh"), tool, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			standIn(t, bin, "docker", `[ "$1 $2 $3" = "load --input `+filepath.Join(temp, "shipgate-action-image", "shipgate-image.tar")+`" ] || exit 3`+"\necho 'Loaded image: shipgate:ci-42-1'\n")
			env := withEnv(t, stepEnv, map[string]string{"ACTION_PATH": ".shipgate", "ARTIFACT": tt.artifact, "IMAGES": filepath.Join(temp, "shipgate-action-image")})
			env["PATH"] = bin + ":" + os.Getenv("PATH")
			code, log, out := runScript(t, "cd "+ws+"\n"+script, env)
			if code != tt.wantCode || !strings.Contains(log, tt.wantLog) || out["image"] != tt.wantImage {
				t.Fatalf("exit code %d, output image %q; want %d, %q and a log with %q:\n%s", code, out["image"], tt.wantCode, tt.wantImage, tt.wantLog, log)
			}
			if tt.artifact == "" {
				return
			}
			got, err := os.ReadFile(filepath.Join(checkout, "action.yml"))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Replace(action, "  image: "+tt.image+"\n", "  image: docker://"+tt.wantImage+"\n", 1); string(got) != want {
				t.Errorf("action.yml after the step:\n%s\nwant only runs.image changed to docker://%s", got, tt.wantImage)
			}
		})
	}
}

// TestActionImageScript checks .github/action-image.sh on what it must
// refuse: an action.yml with no or two runs.image lines (the input named
// image does not count), and an image that is not a prebuilt reference.
func TestActionImageScript(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yml string
		args      []string
		wantCode  int
		want      string
	}{
		{name: "get", yml: "inputs:\n  image:\n    default: x\nruns:\n  using: docker\n  image: 'docker://a/b:v1' # moving\n", args: []string{"get"}, want: "docker://a/b:v1\n"},
		{name: "no runs.image", yml: "inputs:\n  image:\n    default: x\nruns:\n  using: composite\n", args: []string{"get"}, wantCode: 1, want: "want exactly one runs.image line, found none"},
		{name: "a build", yml: "runs:\n  using: docker\n  image: Dockerfile\n", args: []string{"set", "Dockerfile"}, wantCode: 1, want: "Dockerfile is not a prebuilt image"},
		{name: "short digest", yml: "runs:\n  using: docker\n  image: Dockerfile\n", args: []string{"set", "docker://a/b@sha256:abc"}, wantCode: 1, want: "is not a prebuilt image"},
		{name: "a local registry", yml: "runs:\n  using: docker\n  image: Dockerfile\n", args: []string{"set", "docker://127.0.0.1:5000/a/b@sha256:" + strings.Repeat("0", 64)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "action.yml")
			if err := os.WriteFile(f, []byte(tt.yml), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{".github/action-image.sh", tt.args[0], f}, tt.args[1:]...)
			out, err := exec.CommandContext(t.Context(), "bash", args...).CombinedOutput()
			code, log := 0, string(out)
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || !strings.Contains(log, tt.want) {
				t.Errorf("exit code %d, output %q; want %d and %q", code, log, tt.wantCode, tt.want)
			}
		})
	}
}
