package imageindex

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestLook asks go-containerregistry's registry on loopback about images
// it has, images it does not have, a repository behind a 401 and a
// registry that is gone, all in one call.
func TestLook(t *testing.T) {
	t.Parallel()
	r := newRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if strings.Contains(req.URL.Path, "/private/") {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, req)
		})
	})
	d := r.pushImage("linux/amd64", 1, false)
	if err := remote.Tag(r.repo.Tag("1.4.0"), image(t, "linux/amd64", 1, false), remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	goneHost := strings.TrimPrefix(gone.URL, "http://")
	gone.Close()
	host := r.repo.RegistryStr()
	refs := map[string]Presence{
		r.repo.String() + ":1.4.0":           Present,
		r.repo.String() + "@" + d.String():   Present,
		r.repo.String() + ":9.9.9":           Absent,
		host + "/octo/nothing:1":             Absent,
		host + "/private/web:1":              Denied,
		goneHost + "/octo/web:1":             Unreachable,
		"Not A Reference!":                   Invalid,
		r.repo.String() + ":sha256-" + d.Hex: Loaded,
		r.repo.String() + ":1.4.0" + "":      Present, // asked twice, looked up once
	}
	var list []string
	want := map[string]Presence{}
	for ref, p := range refs {
		list = append(list, ref, ref) // each asked twice, answered once
		want[ref] = p
	}
	got := Look(t.Context(), list, testOptions()...)
	gotP := map[string]Presence{}
	for ref, l := range got {
		gotP[ref] = l.Presence
		if l.Ref != ref {
			t.Errorf("Look()[%q].Ref = %q", ref, l.Ref)
		}
		if ok := l.Presence == Present || l.Presence == Loaded; ok != (l.Err == nil) {
			t.Errorf("Look()[%q] = %s with error %v", ref, l.Presence, l.Err)
		}
	}
	if diff := cmp.Diff(want, gotP); diff != "" {
		t.Errorf("Look() presence (-want +got):\n%s", diff)
	}
	if l := got[r.repo.String()+":1.4.0"]; l.Digest != d.String() || l.Registry != host {
		t.Errorf("present tag: digest %s registry %s, want %s and %s", l.Digest, l.Registry, d, host)
	}
	if l := got[goneHost+"/octo/web:1"]; l.Registry != goneHost {
		t.Errorf("unreachable registry = %q, want %q", l.Registry, goneHost)
	}
}

// TestLookDeadline gives up on a registry that does not answer when the
// context's deadline passes, and says so.
func TestLookDeadline(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-hang:
		case <-req.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hang) })
	ref := strings.TrimPrefix(srv.URL, "http://") + "/octo/web:1"
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	got := Look(ctx, []string{ref}, testOptions()...)[ref]
	if got.Presence != Unreachable || got.Err == nil || !strings.Contains(got.Err.Error(), "no answer in time") {
		t.Errorf("Look(cancelled) = %s, %v; want unreachable, no answer in time", got.Presence, got.Err)
	}
}
