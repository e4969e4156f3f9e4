// Package risktest loads the recorded JUnit histories of
// internal/risk/testdata/histories and seeds them into the GitHub emulator
// as workflow runs with report artifacts. Tests only: it imports testing.
package risktest

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/risk"
)

// Recorded is a history as history.json records it: each run's metadata
// and its JUnit file, beside the current run's current.junit.xml.
type Recorded struct {
	BaseBranch string   `json:"base_branch"`
	Looked     int      `json:"looked"`
	Source     string   `json:"source"`
	Notes      []string `json:"notes"`
	Runs       []struct {
		ID          int64     `json:"id"`
		Branch      string    `json:"branch"`
		Base        bool      `json:"base"`
		PullRequest int       `json:"pull_request"`
		Time        time.Time `json:"time"`
		JUnit       string    `json:"junit"`
	} `json:"runs"`
}

// Dir is the directory of a recorded history by name, from any package of
// the module.
func Dir(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "internal", "risk", "testdata", "histories", name)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("risktest: no go.mod above the working directory")
		}
		dir = parent
	}
}

func read(t testing.TB, dir string) Recorded {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec Recorded
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return rec
}

// JUnit reads a JUnit file's outcomes.
func JUnit(t testing.TB, path string) map[risk.Case]risk.Outcome {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases, err := risk.ReadJUnit(f, 0)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cases
}

// Load reads a recorded history and the failed cases of its
// current.junit.xml, sorted by class and name.
func Load(t testing.TB, dir string) (risk.History, []risk.Case) {
	t.Helper()
	rec := read(t, dir)
	h := risk.History{BaseBranch: rec.BaseBranch, Looked: rec.Looked, Source: rec.Source, Notes: rec.Notes}
	for _, r := range rec.Runs {
		h.Runs = append(h.Runs, risk.Run{
			ID: r.ID, Branch: r.Branch, Base: r.Base, PullRequest: r.PullRequest, Time: r.Time,
			Cases: JUnit(t, filepath.Join(dir, r.JUnit)),
		})
	}
	var failed []risk.Case
	for c, o := range JUnit(t, filepath.Join(dir, "current.junit.xml")) {
		if o == risk.Failed {
			failed = append(failed, c)
		}
	}
	slices.SortFunc(failed, func(a, b risk.Case) int { return cmp.Or(cmp.Compare(a.Class, b.Class), cmp.Compare(a.Name, b.Name)) })
	return h, failed
}

// Seed adds the recorded runs of dir to the emulator's repository as
// completed workflow runs with their recorded IDs: base runs as pushes to
// the base branch, the others as pull_request runs of their pull request.
// Each has an artifact named artifact (e.g. "shipgate-report-smoke")
// holding its JUnit file and a markdown report beside it, as the reusable
// workflows upload the report directory.
func Seed(t testing.TB, srv *ghemu.Server, repo, dir, artifact string) {
	t.Helper()
	rec := read(t, dir)
	for _, r := range rec.Runs {
		junit, err := os.ReadFile(filepath.Join(dir, r.JUnit))
		if err != nil {
			t.Fatal(err)
		}
		run := ghemu.WorkflowRun{ID: r.ID, Repo: repo, HeadBranch: r.Branch, Event: "push", BaseBranch: rec.BaseBranch, CreatedAt: r.Time}
		if !r.Base {
			run.Event = "pull_request"
			if r.PullRequest != 0 {
				run.PullRequests = []int{r.PullRequest}
			}
		}
		if bytes.Contains(junit, []byte("<failure")) || bytes.Contains(junit, []byte("<error")) {
			run.Conclusion = "failure"
		}
		id := srv.AddWorkflowRun(run)
		srv.AddArtifact(ghemu.Artifact{RunID: id, Name: artifact, Zip: Zip(t, map[string][]byte{
			"report.junit.xml": junit,
			"report.md":        []byte("### shipgate\n"),
		})})
	}
}

// Zip is a zip archive of files.
func Zip(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
