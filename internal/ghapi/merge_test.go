package ghapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/ghemu"
)

const (
	repoName = "octo-org/octo-repo"
	headSHA  = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	otherSHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
)

// client is a ghapi client for srv with token that retries without waiting.
func client(t *testing.T, srv *ghemu.Server, token string, opts ...ghapi.Option) *ghapi.Client {
	t.Helper()
	noWait := func(context.Context, time.Duration) error { return nil }
	c, err := ghapi.New(srv.URL(), token, repoName, append([]ghapi.Option{ghapi.WithClock(time.Now, noWait)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGraphQLURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ api, want string }{
		{"https://api.github.com", "https://api.github.com/graphql"},
		{"https://api.github.com/", "https://api.github.com/graphql"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
		{"http://127.0.0.1:8080/api/v3", "http://127.0.0.1:8080/api/graphql"},
		{"https://api.octo.ghe.com", "https://api.octo.ghe.com/graphql"},
	}
	for _, tt := range tests {
		got, err := ghapi.GraphQLURL(tt.api)
		if err != nil || got != tt.want {
			t.Errorf("GraphQLURL(%q) = %q, %v; want %q", tt.api, got, err, tt.want)
		}
	}
	if _, err := ghapi.GraphQLURL("ftp://x"); err == nil || !strings.Contains(err.Error(), "GITHUB_API_URL") {
		t.Errorf("GraphQLURL(ftp://x): %v, want an error naming GITHUB_API_URL", err)
	}
}

func TestParseMergeMethod(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]ghapi.MergeMethod{"": ghapi.MethodMerge, "Squash": ghapi.MethodSquash, " rebase ": ghapi.MethodRebase, "merge": ghapi.MethodMerge} {
		if got, err := ghapi.ParseMergeMethod(in); err != nil || got != want {
			t.Errorf("ParseMergeMethod(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ghapi.ParseMergeMethod("fast-forward"); err == nil || !strings.Contains(err.Error(), "merge, squash, rebase") {
		t.Errorf("ParseMergeMethod(fast-forward): %v, want an error listing the methods", err)
	}
}

func TestEnableAutoMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		state    string
		disallow bool
		head     string
		want     error // nil: enabled
	}{
		{name: "blocked: enabled", state: "blocked"},
		{name: "clean", state: "clean", want: ghapi.ErrMergeableNow},
		{name: "unstable", state: "unstable", want: ghapi.ErrMergeableNow},
		{name: "not allowed", state: "blocked", disallow: true, want: ghapi.ErrAutoMergeNotAllowed},
		{name: "head moved", state: "blocked", head: otherSHA, want: ghapi.ErrHeadModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)
			srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return now }))
			srv.AddPull(repoName, ghemu.Pull{Number: 7, HeadSHA: headSHA, MergeableState: tt.state})
			srv.AllowAutoMerge(repoName, !tt.disallow)
			c := client(t, srv, srv.Token())
			pr, err := c.GetPullHead(t.Context(), 7)
			if err != nil {
				t.Fatal(err)
			}
			head := headSHA
			if tt.head != "" {
				head = tt.head
			}
			am, err := c.EnableAutoMerge(t.Context(), pr.NodeID, ghapi.MethodSquash, head)
			if tt.want == nil {
				if err != nil || !am.EnabledAt.Equal(now) || am.Method != "SQUASH" {
					t.Fatalf("EnableAutoMerge = %+v, %v; want enabled at %s with SQUASH", am, err, now)
				}
				calls := srv.GraphQLCalls()
				want := map[string]any{"pullRequestId": pr.NodeID, "mergeMethod": "SQUASH", "expectedHeadOid": headSHA}
				if len(calls) != 1 || cmp.Diff(want, calls[0].Variables) != "" {
					t.Errorf("GraphQL calls = %+v, want one with %v", calls, want)
				}
				return
			}
			var ge *ghapi.GraphQLError
			if !errors.Is(err, tt.want) || !errors.As(err, &ge) {
				t.Fatalf("EnableAutoMerge error = %v, want a GraphQLError matching %q", err, tt.want)
			}
			for _, other := range []error{ghapi.ErrMergeableNow, ghapi.ErrAutoMergeNotAllowed, ghapi.ErrHeadModified, ghapi.ErrNotPermitted} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("error %v also matches %q", err, other)
				}
			}
			if _, ok := srv.AutoMerge(repoName, 7); ok {
				t.Error("auto-merge enabled although GitHub refused")
			}
		})
	}
}

// bodies records the bodies of requests to one path suffix.
type bodies struct {
	suffix string
	mu     sync.Mutex
	seen   []string
}

func (b *bodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, b.suffix) && req.Body != nil {
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(strings.NewReader(string(data)))
		b.mu.Lock()
		b.seen = append(b.seen, string(data))
		b.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestMergePull(t *testing.T) {
	t.Parallel()
	mergeable, conflicting := true, false
	tests := []struct {
		name     string
		pull     ghemu.Pull
		sha      string
		readOnly bool
		want     error // nil: merged
	}{
		{name: "merged at the tested head", pull: ghemu.Pull{Mergeable: &mergeable}, sha: headSHA},
		{name: "head moved", pull: ghemu.Pull{Mergeable: &mergeable}, sha: otherSHA, want: ghapi.ErrHeadModified},
		{name: "conflicts", pull: ghemu.Pull{Mergeable: &conflicting}, sha: headSHA, want: ghapi.ErrNotMergeable},
		{name: "read-only token", pull: ghemu.Pull{Mergeable: &mergeable}, sha: headSHA, readOnly: true, want: ghapi.ErrNotPermitted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []ghemu.Option
			if tt.readOnly {
				opts = append(opts, ghemu.WithReadOnlyToken())
			}
			srv := ghemu.New(t, opts...)
			tt.pull.Number, tt.pull.HeadSHA = 9, headSHA
			srv.AddPull(repoName, tt.pull)
			rec := &bodies{suffix: "/pulls/9/merge"}
			c := client(t, srv, srv.Token(), ghapi.WithHTTPClient(&http.Client{Transport: rec}))
			sha, err := c.MergePull(t.Context(), 9, tt.sha, ghapi.MethodSquash)
			var sent struct {
				SHA         string `json:"sha"`
				MergeMethod string `json:"merge_method"`
			}
			if len(rec.seen) != 1 {
				t.Fatalf("%d merge requests, want 1", len(rec.seen))
			}
			if err := json.Unmarshal([]byte(rec.seen[0]), &sent); err != nil {
				t.Fatal(err)
			}
			if sent.SHA != tt.sha || sent.MergeMethod != "squash" {
				t.Errorf("merge request body %s, want sha %s and merge_method squash", rec.seen[0], tt.sha)
			}
			merges := srv.Merges()
			if tt.want == nil {
				if err != nil || len(merges) != 1 || sha != merges[0].MergeCommitSHA || merges[0].HeadSHA != headSHA {
					t.Fatalf("MergePull = %q, %v; merges %+v; want one merge of %s answered with its SHA", sha, err, merges, headSHA)
				}
				return
			}
			if !errors.Is(err, tt.want) || len(merges) != 0 {
				t.Errorf("MergePull = %q, %v; merges %+v; want nothing merged and an error matching %q", sha, err, merges, tt.want)
			}
		})
	}
}

func TestWithTokenSendsTheOtherToken(t *testing.T) {
	t.Parallel()
	const appToken = "ghs_app0000000000000000000000000000000000"
	srv := ghemu.New(t, ghemu.WithExtraToken(appToken))
	srv.AddPull(repoName, ghemu.Pull{Number: 3, HeadSHA: headSHA, MergeableState: "blocked"})
	srv.AllowAutoMerge(repoName, true)
	c := client(t, srv, srv.Token())
	pr, err := c.GetPullHead(t.Context(), 3)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := c.WithToken(appToken, ghapi.WithClock(time.Now, func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mc.EnableAutoMerge(t.Context(), pr.NodeID, ghapi.MethodMerge, headSHA); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, call := range srv.CallsWithToken(appToken) {
		got = append(got, call.Operation)
	}
	if diff := cmp.Diff([]string{"graphql/enablePullRequestAutoMerge"}, got); diff != "" {
		t.Errorf("calls with the other token (-want +got):\n%s", diff)
	}
	if _, err := c.WithToken(""); err == nil {
		t.Error("WithToken(\"\") did not fail")
	}
}

func TestGraphQLServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(repoName, ghemu.Pull{Number: 4, HeadSHA: headSHA, MergeableState: "behind"})
	srv.AllowAutoMerge(repoName, true)
	c := client(t, srv, srv.Token())
	pr, err := c.GetPullHead(t.Context(), 4)
	if err != nil {
		t.Fatal(err)
	}
	srv.Fail(ghemu.ServerError(http.MethodPost, ghemu.GraphQLPath, 2))
	if _, err := c.EnableAutoMerge(t.Context(), pr.NodeID, ghapi.MethodRebase, headSHA); err != nil {
		t.Fatalf("EnableAutoMerge after two 502s: %v", err)
	}
	var statuses []int
	for _, call := range srv.CallsTo("graphql/enablePullRequestAutoMerge") {
		statuses = append(statuses, call.Status)
	}
	if diff := cmp.Diff([]int{502, 502, 200}, statuses); diff != "" {
		t.Errorf("GraphQL statuses (-want +got):\n%s", diff)
	}
	if am, ok := srv.AutoMerge(repoName, 4); !ok || am.Method != "REBASE" {
		t.Errorf("auto-merge = %+v, %v; want REBASE", am, ok)
	}
}
