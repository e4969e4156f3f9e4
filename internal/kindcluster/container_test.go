package kindcluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetectContainerID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dir, want string }{
		{"docker-cgroupv1", "3f1c7b2e9d8a4c6b5e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"},
		{"docker-cgroupv2", "9b8a7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f"},
		{"systemd-scope", "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"},
		{"podman", "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"},
		{"hostname-only", "a1b2c3d4e5f6"},
		{"host", ""},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "proc", tc.dir)
			host, err := os.ReadFile(filepath.Join(dir, "hostname"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := DetectContainerID(os.DirFS(dir), strings.TrimSpace(string(host)))
			if tc.want == "" {
				if !errors.Is(err, errNoContainerID) || !strings.Contains(err.Error(), `"laptop"`) {
					t.Errorf("got %q, %v; want errNoContainerID naming the hostname", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestDetectContainerIDWithoutProc(t *testing.T) {
	t.Parallel()
	// No mountinfo or cgroup to read (not Linux): only the hostname counts.
	empty := os.DirFS(t.TempDir())
	if got, err := DetectContainerID(empty, "0123456789ab"); err != nil || got != "0123456789ab" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := DetectContainerID(empty, "0123456789abc"); !errors.Is(err, errNoContainerID) {
		t.Errorf("a 13-digit hostname: %v, want errNoContainerID", err)
	}
}
