package smokecmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipgate/shipgate/internal/result"
)

// clock is the fixed clock of the tests: every duration it measures is zero.
func clock() time.Time { return fixed }

func TestRunPlain(t *testing.T) {
	t.Parallel()
	check := func(title, msg string) result.Check {
		c := result.Check{Name: CommandCheck, Description: `runs "` + "%s" + `" and passes when it exits with status 0`}
		if title != "" {
			c.Findings = []result.Finding{{Check: CommandCheck, Level: result.Failure, Title: title, Message: msg}}
		}
		return c
	}
	for _, tc := range []struct {
		name, command string
		exit          int
		want          result.Check
	}{
		{"passes", "echo all good", 0, check("", "")},
		{"exit 3 with both streams in order", "echo GET /healthz; echo 'GET /orders: 503' >&2; echo giving up; exit 3", 3,
			check("smoke-command exited with status 3", "the last lines of its output:\nGET /healthz\nGET /orders: 503\ngiving up")},
		{"silent failure", "exit 1", 1, check("smoke-command exited with status 1", "the command printed nothing")},
		{"last 40 lines kept", "i=0; while [ $i -lt 45 ]; do i=$((i+1)); echo line $i; done; exit 2", 2,
			check("smoke-command exited with status 2", "the last lines of its output:\n[… 5 earlier lines in the log]\n"+seq("line ", 6, 45))},
		{"killed by a signal", "kill -KILL $$", -1, check("smoke-command was killed by signal SIGKILL", "the command printed nothing")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			out, err := Run(t.Context(), Options{Command: tc.command, Dir: t.TempDir(), Output: &log, Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Description = strings.Replace(tc.want.Description, "%s", tc.command, 1)
			if diff := cmp.Diff([]result.Check{tc.want}, out.Checks); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
			if out.ExitCode != tc.exit || out.Format != Plain || out.Stopped != "" {
				t.Errorf("exit %d, format %q, stopped %q; want exit %d, plain, not stopped", out.ExitCode, out.Format, out.Stopped, tc.exit)
			}
			if got := out.Checks[0].Failed(); got != (tc.exit != 0) {
				t.Errorf("Failed() = %v for exit %d", got, tc.exit)
			}
		})
	}
}

func seq(prefix string, from, to int) string {
	var lines []string
	for i := from; i <= to; i++ {
		lines = append(lines, prefix+strconv.Itoa(i))
	}
	return strings.Join(lines, "\n")
}

// TestRunStops stops commands that would run for 30 s: each must end well
// before that, with the reason in the outcome.
func TestRunStops(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, command string
		timeout       time.Duration
		cancelAfter   time.Duration
		wantStopped   string
	}{
		{name: "cancelled", command: "echo waiting; sleep 30", cancelAfter: 200 * time.Millisecond, wantStopped: "cancelled (context canceled)"},
		{name: "timeout", command: "echo waiting; sleep 30", timeout: 300 * time.Millisecond, wantStopped: "timed out after 300ms (the smoke-command timeout)"},
		// Ignored signals stay ignored across exec: sleep ignores SIGTERM too,
		// so only the SIGKILL after the grace ends it.
		{name: "ignores SIGTERM", command: "trap '' TERM; echo waiting; sleep 30", timeout: 300 * time.Millisecond, wantStopped: "timed out after 300ms (the smoke-command timeout)"},
		// A grandchild holds the output open: the group is killed, not just the shell.
		{name: "grandchild holds output", command: "(sleep 30; echo late) & echo waiting; wait", timeout: 300 * time.Millisecond, wantStopped: "timed out after 300ms (the smoke-command timeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			if tc.cancelAfter > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				time.AfterFunc(tc.cancelAfter, cancel)
			}
			begin := time.Now()
			out, err := Run(ctx, Options{Command: tc.command, Timeout: tc.timeout, KillGrace: 500 * time.Millisecond, Now: clock})
			took := time.Since(begin)
			if err != nil {
				t.Fatal(err)
			}
			if took > 5*time.Second {
				t.Errorf("Run took %s to stop the command", took)
			}
			if out.Stopped != tc.wantStopped || out.ExitCode != -1 {
				t.Errorf("stopped %q exit %d, want %q exit -1", out.Stopped, out.ExitCode, tc.wantStopped)
			}
			want := []result.Finding{{Check: CommandCheck, Level: result.Failure, Title: "smoke-command was stopped: " + tc.wantStopped, Message: "the last lines of its output:\nwaiting"}}
			if diff := cmp.Diff(want, out.Checks[0].Findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunLeftovers: a command that exits while something it started still
// runs ends promptly, and says so.
func TestRunLeftovers(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Fatalf("setsid (util-linux or busybox) is needed: %v", err)
	}
	for _, tc := range []struct {
		name, command, note string
	}{
		{"background job in the group", "sleep 30 & echo started", "1 process(es) the command left running in the background were stopped"},
		// The pid file is written after setsid: the shell exits only then.
		{"process outside the group", "setsid sh -c 'echo $$ > pid; exec sleep 30' & while [ ! -s pid ]; do sleep 0.01; done; cat pid", "a process outside the command's process group kept its output open; stopped reading 2s after the command ended"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			begin := time.Now()
			out, err := Run(t.Context(), Options{Command: tc.command, Dir: t.TempDir(), Output: &log, KillGrace: 500 * time.Millisecond, Now: clock})
			took := time.Since(begin)
			if err != nil {
				t.Fatal(err)
			}
			if pid, err := strconv.Atoi(strings.TrimSpace(log.String())); err == nil {
				t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // the setsid sleep we started
			}
			if took > drainWait+3*time.Second {
				t.Errorf("Run took %s", took)
			}
			if out.Failed() || out.ExitCode != 0 {
				t.Errorf("exit %d, checks %+v: want a pass", out.ExitCode, out.Checks)
			}
			if diff := cmp.Diff([]string{tc.note}, out.Notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

// lineWriter reports each write on a channel.
type lineWriter struct {
	mu    sync.Mutex
	lines []string
	got   chan string
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.lines = append(w.lines, string(b))
	w.mu.Unlock()
	w.got <- string(b)
	return len(b), nil
}

// TestRunStreams: the command waits until its first line has reached
// Output, so it can only finish when output is streamed while it runs.
func TestRunStreams(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w := &lineWriter{got: make(chan string, 10)}
	go func() {
		if line := <-w.got; line == "first\n" {
			_ = os.WriteFile(filepath.Join(dir, "seen"), nil, 0o644)
		}
	}()
	out, err := Run(t.Context(), Options{
		Command: "printf 'first\\n'; i=0; while [ ! -e seen ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; [ -e seen ] && echo second",
		Dir:     dir, Output: w, Timeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if diff := cmp.Diff([]string{"first\n", "second\n"}, w.lines); diff != "" {
		t.Errorf("lines written to Output (-want +got):\n%s", diff)
	}
	if out.Failed() {
		t.Errorf("the command did not see its first line streamed: %+v", out.Checks)
	}
}

func TestRunInvalidOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts Options
		want []string
	}{
		{"empty command", Options{Command: "  "}, []string{"Command is empty", "set smoke-command"}},
		{"missing dir", Options{Command: "true", Dir: "/does/not/exist"}, []string{`Dir "/does/not/exist" is not a directory`}},
		{"env without =", Options{Command: "true", Env: []string{"PATH=/bin", "TOKEN"}}, []string{`Env[1] "TOKEN" is not KEY=value`}},
		{"negative timeout", Options{Command: "true", Timeout: -time.Second}, []string{"Timeout -1s", "must not be negative"}},
		{"two at once", Options{RepoRoot: "/does/not/exist"}, []string{"Command is empty", "RepoRoot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(t.Context(), tc.opts)
			if err == nil {
				t.Fatal("Run accepted invalid options")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestRunGoTest runs the real go test on a module made here: the failing
// test's finding lands on the line of its t.Errorf.
func TestRunGoTest(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is needed on PATH: %v", err)
	}
	repo := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/gen\n\ngo 1.26\n",
		"deploy/smoke/smoke_test.go": `package smoke

import "testing"

func TestUp(t *testing.T) {}

func TestOrders(t *testing.T) {
	t.Log("GET /orders")
	t.Errorf("status 503, want 200")
}
`,
	}
	for name, body := range files {
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	const pkg = "go test/example.com/gen/deploy/smoke/"
	wantChecks := []result.Check{
		{Name: CommandCheck, Description: "runs \"" + goBin + " test %s ./smoke\" and passes when it exits with status 0", Findings: []result.Finding{{Check: CommandCheck, Level: result.Failure, Title: "smoke-command exited with status 1", Message: "1 test(s) failed: " + pkg + "TestOrders"}}},
		{Name: pkg + "TestUp", Description: "go test TestUp in example.com/gen/deploy/smoke"},
		{Name: pkg + "TestOrders", Description: "go test TestOrders in example.com/gen/deploy/smoke", Findings: []result.Finding{{
			Check: pkg + "TestOrders", Level: result.Failure, Path: "deploy/smoke/smoke_test.go", Line: 9,
			Title: "TestOrders failed", Message: "smoke_test.go:8: GET /orders\nsmoke_test.go:9: status 503, want 200",
		}}},
	}
	for _, tc := range []struct {
		flag   string
		format Format
	}{{"-v", GoTest}, {"-json", GoTestJSON}} {
		t.Run(tc.flag, func(t *testing.T) {
			t.Parallel()
			out, err := Run(t.Context(), Options{
				Command: goBin + " test " + tc.flag + " ./smoke", Dir: filepath.Join(repo, "deploy"), RepoRoot: repo, Env: env, Timeout: 5 * time.Minute,
			})
			if err != nil {
				t.Fatal(err)
			}
			if out.Format != tc.format {
				t.Errorf("format %q, want %q", out.Format, tc.format)
			}
			want := slices.Clone(wantChecks)
			want[0].Description = fmt.Sprintf(want[0].Description, tc.flag)
			if diff := cmp.Diff(want, out.Checks, cmpopts.IgnoreFields(result.Check{}, "Duration")); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
			if s := out.Suites; len(s) != 1 || s[0].Name != "example.com/gen/deploy/smoke" || s[0].Tests != 2 || s[0].Failures != 1 {
				t.Errorf("suites %+v: want one for the package with 2 tests, 1 failure", s)
			}
		})
	}
}

// TestRunExitVersusTests: the exit status and the tests' results are both
// heard: a failing test fails even when a pipe hides the status, and a
// failing status fails even when every test passed.
func TestRunExitVersusTests(t *testing.T) {
	t.Parallel()
	const passed = `=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\nok  \tp\t0.01s\n`
	const failed = `=== RUN   TestA\n    a_test.go:3: 503\n--- FAIL: TestA (0.00s)\nFAIL\nFAIL\tp\t0.01s\n`
	for _, tc := range []struct {
		name, command string
		want          map[string]string // failing check → its finding's title
	}{
		{"test failed, status hidden by a pipe", "printf '" + failed + "' | cat", map[string]string{"go test/p/TestA": "TestA failed"}},
		{"tests passed, then a later step failed", "printf '" + passed + "'; echo 'cleanup: namespace stuck'; exit 4",
			map[string]string{CommandCheck: "smoke-command exited with status 4"}},
		{"all passed", "printf '" + passed + "'", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := Run(t.Context(), Options{Command: tc.command, Dir: t.TempDir(), Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, c := range out.Checks {
				for _, f := range c.Findings {
					got[c.Name] = f.Title
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("failing checks (-want +got):\n%s", diff)
			}
			if out.Format != GoTest || len(out.Checks) != 2 {
				t.Errorf("format %q with %d checks, want go test with 2", out.Format, len(out.Checks))
			}
		})
	}
}
