package automerge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/publish"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/stage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	repoName = "octo-org/shop"
	// tested is the head the gates tested; moved is a later push.
	tested   = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	moved    = "3a1f0c9d2b7e4f6a8c0d1e2f3a4b5c6d7e8f9a0b"
	appToken = "ghs_app1111111111111111111111111111111111"
)

// fixedNow is the clock of the stage and the emulator.
var fixedNow = time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

// pullEvent is the real pull_request.opened payload (testdata/events)
// pointed at pull request number with head sha.
func pullEvent(t *testing.T, number int, sha string) *actionio.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "events", "pull_request.opened.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev actionio.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	ev.Name = "pull_request"
	ev.PullRequest.Number, ev.PullRequest.Head.SHA = number, sha
	ev.Repository.FullName = repoName
	return &ev
}

// hook runs before a request reaches the emulator: a test moves the head
// or changes mergeability between the stage's checks and its merge.
type hook struct {
	mu     sync.Mutex
	before map[string]func() // "METHOD path-suffix" → once
	bodies []string          // bodies of PUT …/merge requests
}

func (h *hook) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/merge") && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.mu.Unlock()
	}
	h.mu.Lock()
	var fn func()
	for k, f := range h.before {
		method, suffix, _ := strings.Cut(k, " ")
		if req.Method == method && strings.HasSuffix(req.URL.Path, suffix) {
			fn = f
			delete(h.before, k)
		}
	}
	h.mu.Unlock()
	if fn != nil {
		fn()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// run is one stage run with what the runner would collect.
type run struct {
	targets []report.Target
	err     error
	outputs map[string]string
	log     string
}

// runStage runs the stage in Actions against srv, the way app does: the
// GitHub client on github-token, a publisher for check runs, the outputs in
// a GITHUB_OUTPUT file.
func runStage(t *testing.T, srv *ghemu.Server, ev *actionio.Event, in stage.Inputs, h *hook) run {
	t.Helper()
	out := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out}
	var log bytes.Buffer
	rt := actionio.New(func(k string) string { return vars[k] }, &log)
	noWait := func(context.Context, time.Duration) error { return nil }
	if h == nil {
		h = &hook{}
	}
	gh, err := ghapi.New(srv.URL(), srv.Token(), repoName,
		ghapi.WithClock(time.Now, noWait), ghapi.WithHTTPClient(&http.Client{Transport: h}), ghapi.WithLogf(rt.Logf))
	if err != nil {
		t.Fatal(err)
	}
	env := &stage.Env{Inputs: in, RT: rt, Event: ev, GitHub: gh, Now: clock, Sleep: noWait}
	env.Publisher = publish.New(rt, gh, "", "", clock)
	var r run
	if r.err = (Stage{}).Validate(env); r.err == nil {
		r.targets, r.err = Stage{}.Run(t.Context(), env)
	}
	r.outputs, r.log = readOutputs(t, out), log.String()
	return r
}

// readOutputs parses GITHUB_OUTPUT's name<<delimiter format.
func readOutputs(t *testing.T, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not name<<delimiter", sc.Text())
		}
		var val []string
		for sc.Scan() && sc.Text() != delim {
			val = append(val, sc.Text())
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// golden compares got with testdata/name.md, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".md")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("report differs from %s (-want +got); run go test -update if intended:\n%s", p, diff)
	}
}
