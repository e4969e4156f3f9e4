package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"math/rand"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/ghemu"
)

const publishYML = ".github/workflows/publish.yml"

// publishPlatforms checks that publish.yml's PLATFORMS (what build merge
// verifies) lists exactly the build matrix's platforms, each on a native
// runner, and returns them with their slugs.
func publishPlatforms(t *testing.T) (list string, slugs map[string]string) {
	t.Helper()
	root := readYAML(t, publishYML)
	list = scalar(get(get(root, "env"), "PLATFORMS"))
	var include []struct{ Platform, Runner, Slug string }
	if err := get(get(get(get(get(root, "jobs"), "build"), "strategy"), "matrix"), "include").Decode(&include); err != nil {
		t.Fatalf("%s: the build matrix: %v", publishYML, err)
	}
	native := map[string]string{"linux/amd64": "ubuntu-24.04", "linux/arm64": "ubuntu-24.04-arm"}
	slugs = map[string]string{}
	var built []string
	for _, m := range include {
		built = append(built, m.Platform)
		slugs[m.Platform] = m.Slug
		if native[m.Platform] != m.Runner {
			t.Errorf("%s builds %s on %s; want the native runner %s", publishYML, m.Platform, m.Runner, native[m.Platform])
		}
	}
	if diff := cmp.Diff(strings.Split(list, ","), built); diff != "" {
		t.Errorf("%s: env PLATFORMS differs from the build matrix (-PLATFORMS +matrix):\n%s", publishYML, diff)
	}
	return list, slugs
}

// elfHeader is the start of a 64-bit little-endian Linux executable for
// the machine (0x3e amd64, 0xb7 arm64): what the assets step reads.
func elfHeader(machine byte) []byte {
	h := make([]byte, 64)
	copy(h, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	h[16], h[18] = 2, machine
	return h
}

// standIn writes an executable that records its arguments (one per line)
// in dir/<name>.args and exits 0: cosign and gh, which need the internet.
func standIn(t *testing.T, dir, name, extra string) {
	t.Helper()
	script := "#!/bin/bash\nprintf '%s\\n' \"$@\" >> " + filepath.Join(dir, name+".args") + "\n" + extra
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=maintainer", "GIT_AUTHOR_EMAIL=m@example.com",
		"GIT_COMMITTER_NAME=maintainer", "GIT_COMMITTER_EMAIL=m@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPublishWorkflow replays shipgate's release (publish.yml) on this
// machine: the build jobs' hand-on for each platform of the image's own
// list, then every run: step of the publish job in order, in one runner
// temp directory, against go-containerregistry's registry on loopback and
// the GitHub emulator. shipgate is built from this source by the
// workflow's own step and its build merge assembles the index; the docker
// CLI measures the budget; git moves the tags in a real repository;
// cosign and gh, which need the internet, are stand-ins that record what
// they were asked.
func TestPublishWorkflow(t *testing.T) {
	t.Parallel()
	platforms, slugs := publishPlatforms(t)
	regSrv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(regSrv.Close)
	u, err := url.Parse(regSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	image := u.Host + "/shipgate/shipgate"
	repo, err := name.NewRepository(image)
	if err != nil {
		t.Fatal(err)
	}
	gh := ghemu.New(t)
	gh.AddRepo(repoName)
	temp, bin := t.TempDir(), t.TempDir()
	standIn(t, bin, "cosign", "")
	standIn(t, bin, "gh", `while [ $# -gt 0 ]; do [ "$1" = --notes-file ] && cp "$2" `+filepath.Join(bin, "notes.md")+`; shift; done`+"\n")

	// The maintainer's tag v1.2.3 on a commit of this repository's
	// action.yml, in an origin the workflow checks out and pushes to.
	const tag = "v1.2.3"
	origin, work := filepath.Join(t.TempDir(), "origin.git"), t.TempDir()
	git(t, work, "init", "--quiet", "--bare", origin)
	git(t, work, "init", "--quiet", "-b", "main")
	for _, f := range []string{"action.yml", ".github/action-image.sh"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(work, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, work, "add", ".")
	git(t, work, "commit", "--quiet", "-m", "shipgate")
	source := git(t, work, "rev-parse", "HEAD")
	git(t, work, "tag", tag)
	git(t, work, "push", "--quiet", origin, "main", tag)
	ws := filepath.Join(t.TempDir(), "ws")
	git(t, work, "clone", "--quiet", origin, ws)
	git(t, ws, "checkout", "--quiet", "--detach", tag)

	eventPath := filepath.Join(temp, "event.json")
	ev, _ := json.Marshal(map[string]any{"ref": "refs/tags/" + tag, "after": source, "repository": map[string]any{"full_name": repoName}})
	if err := os.WriteFile(eventPath, ev, 0o600); err != nil {
		t.Fatal(err)
	}
	// job is what the runner gives every step: the workflow's env and
	// the GitHub context of a tag push.
	job := append([]string{"IMAGE=" + image, "PLATFORMS=" + platforms,
		"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + temp, "RUNNER_TEMP=" + temp,
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_EVENT_NAME=push", "GITHUB_EVENT_PATH=" + eventPath,
		"GITHUB_REPOSITORY=" + repoName, "GITHUB_WORKSPACE=" + ws, "GITHUB_SHA=" + source,
		"GITHUB_REF=refs/tags/" + tag, "GITHUB_REF_NAME=" + tag, "GITHUB_API_URL=" + gh.URL(),
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4242", "GITHUB_RUN_ATTEMPT=1", "GITHUB_ACTOR=maintainer",
	}, offline...)
	for _, k := range []string{"GOCACHE", "GOPATH", "GOMODCACHE", "GOPROXY", "GOFLAGS", "GONOSUMDB", "GOSUMDB", "GOTOOLCHAIN", "GOPRIVATE"} {
		if v, ok := os.LookupEnv(k); ok {
			job = append(job, k+"="+v)
		} else if v := goEnv(t, k); v != "" {
			job = append(job, k+"="+v)
		}
	}
	run := func(t *testing.T, jobName, id, dir string, set map[string]string) (int, string, map[string]string) {
		t.Helper()
		script, env := stepScript(t, publishYML, jobName, id)
		env = withEnv(t, env, set)
		for _, kv := range job {
			k, v, _ := strings.Cut(kv, "=")
			if _, ok := env[k]; !ok {
				env[k] = v
			}
		}
		if dir != "" {
			script = "cd " + dir + "\n" + script
		}
		return runScript(t, script, env)
	}
	mustRun := func(t *testing.T, jobName, id, dir string, set map[string]string) map[string]string {
		t.Helper()
		code, log, out := run(t, jobName, id, dir, set)
		if code != 0 {
			t.Fatalf("%s/%s: exit code %d:\n%s", jobName, id, code, log)
		}
		return out
	}

	// The build jobs: each platform's image pushed by digest, its binary
	// exported, handed on.
	machine := map[string]byte{"linux/amd64": 0x3e, "linux/arm64": 0xb7}
	for i, p := range strings.Split(platforms, ",") {
		d := pushPlatformImage(t, repo, p, int64(i+1))
		if err := os.MkdirAll(filepath.Join(temp, "shipgate-binary"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(temp, "shipgate-binary", "shipgate"), elfHeader(machine[p]), 0o755); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "build", "hand-on", "", map[string]string{"PLATFORM": p, "DIGEST": d.String(), "SLUG": slugs[p]})
	}

	// shipgate from this source, with the tag as its version.
	if _, log, _ := run(t, "publish", "shipgate", "", map[string]string{"TAG": "1.2.3"}); !strings.Contains(log, "not a release version") {
		t.Errorf("a tag without v was taken:\n%s", log)
	}
	mustRun(t, "publish", "shipgate", "", map[string]string{"TAG": tag})
	if out, err := exec.CommandContext(t.Context(), filepath.Join(temp, "shipgate"), "version").Output(); err != nil || strings.TrimSpace(string(out)) != "shipgate "+tag {
		t.Fatalf("shipgate version: %q, %v; want shipgate %s", out, err, tag)
	}

	// The index, by shipgate's build merge.
	out := mustRun(t, "publish", "merge", ws, map[string]string{"TOKEN": gh.Token()})
	digest := out["digest"]
	if !strings.HasPrefix(digest, "sha256:") || out["image"] != image+"@"+digest {
		t.Fatalf("merge outputs %v; want the index's digest and image", out)
	}
	idx, err := remote.Index(repo.Digest(digest), remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range im.Manifests {
		listed = append(listed, m.Platform.OS+"/"+m.Platform.Architecture)
	}
	if diff := cmp.Diff(strings.Split(platforms, ","), listed); diff != "" {
		t.Errorf("the index's platforms (-PLATFORMS +index):\n%s", diff)
	}
	if runs := gh.CheckRuns(repoName); len(runs) != 1 || runs[0].HeadSHA != source {
		t.Errorf("check runs %+v; want build merge's one, on the tagged commit %s", runs, source)
	}

	t.Run("budget", func(t *testing.T) {
		if _, err := exec.LookPath("docker"); err != nil {
			if os.Getenv("SHIPGATE_SKIP_KIND") == "1" {
				t.Skip("SHIPGATE_SKIP_KIND=1 and no docker CLI on PATH; the size step reads the registry with docker manifest inspect")
			}
			t.Fatal("no docker CLI on PATH: the size step reads the registry with docker manifest inspect; `bash .ci/build-kind-node.sh` (run by hack/test.sh) installs it")
		}
		_, env := stepScript(t, publishYML, "publish", "size")
		if env["BUDGET"] != "50000000" {
			t.Errorf("the budget is %s bytes; the README promises 50 MB", env["BUDGET"])
		}
		code, log, _ := run(t, "publish", "size", "", map[string]string{"DIGEST": digest})
		if code != 0 || strings.Count(log, "bytes compressed") != 2 {
			t.Fatalf("size: exit code %d, want 0 and a line per platform:\n%s", code, log)
		}
		// The same images over a budget below their size.
		code, log, _ = run(t, "publish", "size", "", map[string]string{"DIGEST": digest, "BUDGET": "1000"})
		if code != 1 || !strings.Contains(log, "::error title=image budget::linux/arm64: the image is") {
			t.Errorf("size over budget: exit code %d, want 1 and an error per platform:\n%s", code, log)
		}
	})

	mustRun(t, "publish", "sign", "", map[string]string{"DIGEST": digest})
	if args, _ := os.ReadFile(filepath.Join(bin, "cosign.args")); string(args) != "sign\n--yes\n"+image+"@"+digest+"\n" {
		t.Errorf("cosign was run with %q; want sign --yes %s@%s", args, image, digest)
	}

	// The assets: both binaries, checked for their architecture.
	out = mustRun(t, "publish", "assets", "", nil)
	dist := out["dir"]
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	check := exec.CommandContext(t.Context(), "sha256sum", "--check", "SHA256SUMS")
	check.Dir = dist
	if out, err := check.CombinedOutput(); err != nil || strings.Count(string(sums), "shipgate-linux-") != 2 {
		t.Errorf("SHA256SUMS:\n%s\nsha256sum --check: %v\n%s", sums, err, out)
	}

	// The release commit, and the version and major tags moved to it.
	out = mustRun(t, "publish", "pin", ws, map[string]string{"TAG": tag, "DIGEST": digest, "TOKEN": gh.Token(), "SERVER": "https://github.com"})
	commit, major := out["commit"], out["major"]
	if major != "v1" {
		t.Errorf("pin's major output is %q; want v1 (%s is the newest v1 release)", major, tag)
	}
	for _, ref := range []string{tag, "v1"} {
		if got := git(t, work, "--git-dir", origin, "rev-parse", ref+"^{commit}"); got != commit {
			t.Errorf("origin's %s is %s; want the release commit %s", ref, got, commit)
		}
	}
	if got := git(t, work, "--git-dir", origin, "rev-parse", commit+"^"); got != source {
		t.Errorf("the release commit's parent is %s; want the tagged commit %s", got, source)
	}
	released := filepath.Join(t.TempDir(), "action.yml")
	if err := os.WriteFile(released, []byte(git(t, work, "--git-dir", origin, "show", tag+":action.yml")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := exec.CommandContext(t.Context(), "bash", ".github/action-image.sh", "get", released).Output(); err != nil || strings.TrimSpace(string(got)) != "docker://"+image+"@"+digest {
		t.Errorf("the released action.yml runs %q (%v); want docker://%s@%s", got, err, image, digest)
	}
	assertSameBut(t, "action.yml", released, "image: docker://"+image+"@"+digest)

	// The image tags, by build merge again, read back from the registry.
	mustRun(t, "publish", "tags", ws, map[string]string{"TAG": tag, "MAJOR": major, "TOKEN": gh.Token()})
	for _, ref := range []string{tag, "v1"} {
		desc, err := remote.Head(repo.Tag(ref), remote.WithContext(t.Context()))
		if err != nil || desc.Digest.String() != digest {
			t.Errorf("%s:%s is %v (%v); want the index %s", image, ref, desc, err, digest)
		}
	}

	// A backport older than the newest v1 release gets its own tag; v1
	// stays on the newest.
	git(t, ws, "checkout", "--quiet", "--detach", source)
	out = mustRun(t, "publish", "pin", ws, map[string]string{"TAG": "v1.0.9", "DIGEST": digest, "TOKEN": gh.Token(), "SERVER": "https://github.com"})
	if out["major"] != "" {
		t.Errorf("a backport's pin moved the major tag (major output %q)", out["major"])
	}
	if got := git(t, work, "--git-dir", origin, "rev-parse", "v1^{commit}"); got != commit {
		t.Errorf("after the backport v1 is %s; want it still on %s's release commit %s", got, tag, commit)
	}
	if got := git(t, work, "--git-dir", origin, "rev-parse", "v1.0.9^{commit}"); got != out["commit"] {
		t.Errorf("the backport's tag is %s; want its release commit %s", got, out["commit"])
	}

	mustRun(t, "publish", "release", "", map[string]string{"TAG": tag, "DIGEST": digest, "COMMIT": commit, "DIST": dist, "REPOSITORY": "shipgate/shipgate", "GH_TOKEN": "token"})
	args, _ := os.ReadFile(filepath.Join(bin, "gh.args"))
	want := strings.Join([]string{"release", "create", tag, "--repo", "shipgate/shipgate", "--verify-tag", "--title", tag, "--notes-file", filepath.Join(temp, "notes.md"),
		filepath.Join(dist, "SHA256SUMS"), filepath.Join(dist, "shipgate-linux-amd64"), filepath.Join(dist, "shipgate-linux-arm64")}, "\n") + "\n"
	if diff := cmp.Diff(want, string(args)); diff != "" {
		t.Errorf("gh's arguments (-want +got):\n%s", diff)
	}
	notes, _ := os.ReadFile(filepath.Join(bin, "notes.md"))
	for _, s := range []string{"uses: shipgate/shipgate@" + commit + " # " + tag, image + "@" + digest, "cosign verify " + image + "@" + digest} {
		if !bytes.Contains(notes, []byte(s)) {
			t.Errorf("the release notes lack %q:\n%s", s, notes)
		}
	}
}

// TestPublishAssetsRefuseWrongArchitecture: an amd64 binary handed on as
// the arm64 asset fails the assets step.
func TestPublishAssetsRefuseWrongArchitecture(t *testing.T) {
	t.Parallel()
	script, env := stepScript(t, publishYML, "publish", "assets")
	temp := t.TempDir()
	if err := os.MkdirAll(filepath.Join(temp, "publish"), 0o755); err != nil {
		t.Fatal(err)
	}
	for slug, m := range map[string]byte{"linux-amd64": 0x3e, "linux-arm64": 0x3e} {
		if err := os.WriteFile(filepath.Join(temp, "publish", "shipgate-"+slug), elfHeader(m), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env["RUNNER_TEMP"], env["PLATFORMS"] = temp, "linux/amd64,linux/arm64"
	code, log, _ := runScript(t, script, env)
	if code != 1 || !strings.Contains(log, "shipgate-linux-arm64 is not a Linux binary for linux/arm64") {
		t.Errorf("exit code %d, want 1 and the arm64 asset refused:\n%s", code, log)
	}
}

// assertSameBut checks that released differs from orig only in runs.image.
func assertSameBut(t *testing.T, orig, released, line string) {
	t.Helper()
	a, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(released)
	if err != nil {
		t.Fatal(err)
	}
	var was, now map[string]any
	if err := yaml.Unmarshal(a, &was); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &now); err != nil {
		t.Fatalf("the released action.yml is not YAML: %v", err)
	}
	was["runs"].(map[string]any)["image"] = strings.TrimPrefix(line, "image: ")
	if diff := cmp.Diff(was, now); diff != "" {
		t.Errorf("the released action.yml changes more than runs.image (-want +got):\n%s", diff)
	}
}

// pushPlatformImage pushes a generated image whose config says it is built
// for platform, and returns its digest.
func pushPlatformImage(t *testing.T, repo name.Repository, platform string, seed int64) v1.Hash {
	t.Helper()
	img, err := random.Image(2048, 2, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.OS, p.Architecture
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Digest(d.String()), img, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	return d
}

// goEnv is go env's value of key.
func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "env", key).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", key, err)
	}
	return strings.TrimSpace(string(out))
}
