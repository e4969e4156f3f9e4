package smokecmd

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixed is the clock of every golden file.
var fixed = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// TestGoTestGolden reads checked-in go test outputs of testdata/mod (made by
// testdata/regen.sh) as a run's output and compares the outcome with
// testdata/gotest/*.golden.json.
func TestGoTestGolden(t *testing.T) {
	t.Parallel()
	mod, err := filepath.Abs(filepath.Join("testdata", "mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file    string
		exit    int
		stopped string
	}{
		{file: "verbose.txt", exit: 1},
		{file: "json.txt", exit: 1},
		{file: "short.txt", exit: 1},
		{file: "killed.txt", exit: -1, stopped: "timed out after 1m0s (the smoke-command timeout)"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("testdata", "gotest", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Command: "go test ./...", Dir: filepath.Join("testdata", "mod"), RepoRoot: "testdata"}
			r := &run{exitCode: tc.exit, stopped: tc.stopped, sink: newSink(io.Discard, opts.converter(fixed))}
			r.sink.copyFrom(bytes.NewReader(bytes.ReplaceAll(raw, []byte("@MOD@"), []byte(mod))))
			out, err := outcome(opts, r, fixed, fixed)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("gotest", strings.TrimSuffix(tc.file, ".txt")+".golden.json"), render(t, out, mod))
		})
	}
}

// render is an outcome as golden JSON: durations zeroed, and the module's
// absolute path as @MOD@.
func render(t *testing.T, out Outcome, mod string) []byte {
	t.Helper()
	v := struct {
		Format   Format
		ExitCode int
		Stopped  string   `json:",omitempty"`
		Notes    []string `json:",omitempty"`
		Suites   []Suite
		Checks   any
	}{Format: out.Format, ExitCode: out.ExitCode, Stopped: out.Stopped, Notes: out.Notes, Suites: out.Suites}
	for i := range out.Checks {
		out.Checks[i].Duration = 0
	}
	v.Checks = out.Checks
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.ReplaceAll(b, []byte(mod), []byte("@MOD@")), '\n')
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}
