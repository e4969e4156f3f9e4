package kindcluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestExecRunner(t *testing.T) {
	t.Parallel()
	out, err := ExecRunner{}.Run(t.Context(), "sh", "-c", "echo hello")
	if err != nil || string(out) != "hello\n" {
		t.Errorf("got %q, %v", out, err)
	}
	_, err = ExecRunner{}.Run(t.Context(), "sh", "-c", "echo 'no such network' >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "sh -c") || !strings.Contains(err.Error(), "exit status 3: no such network") {
		t.Errorf("error %v, want the command, its status and its stderr", err)
	}
}

func TestConnectNetwork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		err     error
		wantErr string
	}{
		{"connected", nil, ""},
		{"already connected", errors.New("exit status 1: Error response from daemon: endpoint with name x already exists in network kind"), ""},
		{"no network", errors.New("exit status 1: Error response from daemon: network kind not found"), "connect container abc to docker network kind: exit status 1: Error response from daemon: network kind not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &FakeRunner{T: t, RunFunc: func(context.Context, string, ...string) ([]byte, error) { return nil, tc.err }}
			err := connectNetwork(t.Context(), r, "abc")
			if (tc.wantErr == "") != (err == nil) || (err != nil && err.Error() != tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			if got := r.Calls(); len(got) != 1 || got[0] != "docker network connect kind abc" {
				t.Errorf("calls %q", got)
			}
		})
	}
}

// TestFakesFailLoudly: a call with no function set fails the test.
func TestFakesFailLoudly(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	p := &FakeProvider{T: rec}
	if err := p.Create("x", CreateOptions{}); err == nil {
		t.Error("Create returned no error")
	}
	if _, err := (&FakeRunner{T: rec}).Run(context.Background(), "docker", "ps"); err == nil {
		t.Error("Run returned no error")
	}
	want := []string{"unexpected call Create x", "unexpected call docker ps"}
	if strings.Join(rec.errs, "|") != strings.Join(want, "|") {
		t.Errorf("reported %q, want %q", rec.errs, want)
	}
}

type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
