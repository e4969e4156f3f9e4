package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spec    Spec
		wantErr string
	}{
		{"local", Spec{Provider: Local}, ""},
		{"kind", Spec{Provider: Kind}, ""},
		{"existing with content", Spec{Provider: Existing, Kubeconfig: "apiVersion: v1"}, ""},
		{"existing without kubeconfig", Spec{Provider: Existing}, "provider existing needs a kubeconfig"},
		{"empty", Spec{}, "input provider is empty; use one of: kind, existing, local"},
		{"unknown", Spec{Provider: "minikube"}, `input provider "minikube" is not a provider`},
		{"bad namespace", Spec{Provider: Local, Namespace: "Shop_1"}, `input namespace "Shop_1" is not a valid namespace name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.spec.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestHandlesRoundTrip(t *testing.T) {
	t.Parallel()
	hs := []Handle{
		{Provider: Kind, ClusterName: "shipgate-1-1-abcd", Namespace: "shipgate-1-1", UsedNamespace: "shipgate-1-1"},
		{Provider: Existing, UsedNamespace: "shop", Keep: true, Files: []string{"/tmp/k"}},
	}
	got, err := DecodeHandles(EncodeHandles(hs))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hs, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got, err := DecodeHandles(""); err != nil || got != nil {
		t.Errorf("DecodeHandles(\"\") = %v, %v", got, err)
	}
	if _, err := DecodeHandles("{"); err == nil || !strings.Contains(err.Error(), "saved state") {
		t.Errorf("DecodeHandles(bad) error = %v", err)
	}
}

func TestCleanupFilesAndKeep(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(f, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logged []string
	logf := func(format string, args ...any) { logged = append(logged, format) }
	// A kept handle is left alone, files included.
	if err := Cleanup(context.Background(), Handle{Provider: Local, Keep: true, Files: []string{f}}, Spec{Logf: logf}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f); err != nil {
		t.Fatalf("kept handle's file removed: %v", err)
	}
	// Otherwise its files go; a file already gone is fine.
	for range 2 {
		if err := Cleanup(context.Background(), Handle{Provider: Local, Files: []string{f}}, Spec{Logf: logf}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(f); !os.IsNotExist(err) {
		t.Errorf("file after cleanup: %v", err)
	}
	// An existing cluster's namespace needs the kubeconfig again.
	err := Cleanup(context.Background(), Handle{Provider: Existing, Namespace: "shipgate-1-1"}, Spec{Kubeconfig: "not yaml: ["})
	if err == nil || !strings.Contains(err.Error(), "delete namespace shipgate-1-1: input kubeconfig is not a valid kubeconfig") {
		t.Errorf("Cleanup(existing, bad kubeconfig) error = %v", err)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	if got := RunName(1234, 2); got != "1234-2" {
		t.Errorf("RunName(1234, 2) = %q", got)
	}
	if a, b := RunName(0, 0), RunName(0, 0); a == b || !strings.HasPrefix(a, "local-") {
		t.Errorf("RunName outside Actions = %q, %q; want distinct local- names", a, b)
	}
	if got := NamespaceFor(strings.Repeat("9", 80)); len(got) != 63 {
		t.Errorf("NamespaceFor(long) has %d characters, want 63", len(got))
	}
	if got := podCIDR("198.19.7.0/24"); got != "198.19.7.0/25" {
		t.Errorf("podCIDR() = %q", got)
	}
}
