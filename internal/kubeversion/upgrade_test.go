package kubeversion

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipgate/shipgate/internal/result"
)

func TestUpgradeFindings(t *testing.T) {
	t.Parallel()
	kind := func(nodes string) string {
		return "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n" + nodes
	}
	type files = map[string][]byte
	tests := []struct {
		name         string
		base, merged files
		versionFiles []string
		want         []result.Finding
	}{
		{name: "nothing changed", want: nil},
		{
			name:   "new file is not an upgrade",
			merged: files{"kind.yaml": []byte(kind("- image: kindest/node:v1.31.0\n"))},
		},
		{
			name:   "same version",
			base:   files{"a.yml": []byte("image: kindest/node:v1.31.0\n")},
			merged: files{"a.yml": []byte("# moved\nimage: kindest/node:v1.31.0@sha256:abc\n")},
		},
		{
			name:         "unknown patch on one side",
			base:         files{"k8s": []byte("1.31\n")},
			merged:       files{"k8s": []byte("v1.31.2\n")},
			versionFiles: []string{"k8s"},
		},
		{
			name:   "version file not configured",
			base:   files{"versions.env": []byte("KUBERNETES_VERSION=v1.29.0\n")},
			merged: files{"versions.env": []byte("KUBERNETES_VERSION=v1.31.0\n")},
		},
		{
			name:         "minor skip in a version file",
			base:         files{"versions.env": []byte("KUBERNETES_VERSION=v1.28.0\n")},
			merged:       files{"versions.env": []byte("KUBERNETES_VERSION=v1.31.0\n")},
			versionFiles: []string{"versions.env"},
			want: []result.Finding{{
				Check: CheckMinorSkip, Level: result.Failure, Path: "versions.env", Line: 1, Column: 20,
				Title: "Kubernetes v1.28.0 → v1.31.0 skips v1.29 and v1.30",
			}},
		},
		{
			name:   "one minor and one patch",
			base:   files{"a.yaml": []byte("a: kindest/node:v1.30.0\nb: kindest/node:v1.30.0\n")},
			merged: files{"a.yaml": []byte("a: kindest/node:v1.31.0\nb: kindest/node:v1.30.2\n")},
			want: []result.Finding{
				{Check: CheckMinor, Level: result.Notice, Path: "a.yaml", Line: 1, Column: 17, Title: "Kubernetes v1.30.0 → v1.31.0"},
				{Check: CheckPatch, Level: result.Notice, Path: "a.yaml", Line: 2, Column: 17, Title: "Kubernetes v1.30.0 → v1.30.2 (patch)"},
			},
		},
		{
			name:   "downgrade",
			base:   files{"a.yaml": []byte("image: kindest/node:v1.31.0\n")},
			merged: files{"a.yaml": []byte("image: kindest/node:v1.30.6\n")},
			want: []result.Finding{{
				Check: CheckDowngrade, Level: result.Failure, Path: "a.yaml", Line: 1, Column: 21,
				Title: "Kubernetes v1.31.0 → v1.30.6 is a downgrade",
			}},
		},
		{
			name: "worker nodes: skip allowed, downgrade warned, skew checked",
			base: files{"kind.yaml": []byte(kind(
				"- image: kindest/node:v1.31.0\n" +
					"- role: worker\n  image: kindest/node:v1.28.0\n" +
					"- role: worker\n  image: kindest/node:v1.31.0\n"))},
			merged: files{"kind.yaml": []byte(kind(
				"- image: kindest/node:v1.31.0\n" +
					"- role: worker\n  image: kindest/node:v1.31.0\n" +
					"- role: worker\n  image: kindest/node:v1.27.0\n"))},
			want: []result.Finding{
				{Check: CheckMinor, Level: result.Notice, Path: "kind.yaml", Line: 6, Column: 23, Title: "Kubernetes v1.28.0 → v1.31.0"},
				{Check: CheckDowngrade, Level: result.Warning, Path: "kind.yaml", Line: 8, Column: 23, Title: "Kubernetes v1.31.0 → v1.27.0 is a downgrade"},
				{Check: CheckKubeletSkew, Level: result.Failure, Path: "kind.yaml", Line: 8, Column: 23, Title: "kubelet v1.27.0 outside the skew policy"},
			},
		},
		{
			name:   "skew is checked in the merged tree only",
			base:   files{"kind.yaml": []byte(kind("- image: kindest/node:v1.31.0\n- role: worker\n  image: kindest/node:v1.26.0\n"))},
			merged: files{"other.yaml": []byte("x: 1\n")},
			want: []result.Finding{
				{Check: CheckRemoved, Level: result.Notice, Path: "kind.yaml", Title: "Kubernetes v1.31.0 reference removed"},
				{Check: CheckRemoved, Level: result.Notice, Path: "kind.yaml", Title: "Kubernetes v1.26.0 reference removed"},
			},
		},
		{
			name: "paths are sorted and matched separately",
			base: files{
				"b.yaml": []byte("image: kindest/node:v1.30.0\n"),
				"a.yaml": []byte("image: kindest/node:v1.29.0\n"),
			},
			merged: files{
				"a.yaml": []byte("image: kindest/node:v1.30.0\n"),
				"b.yaml": []byte("image: kindest/node:v1.32.0\n"),
			},
			want: []result.Finding{
				{Check: CheckMinor, Level: result.Notice, Path: "a.yaml", Line: 1, Column: 21, Title: "Kubernetes v1.29.0 → v1.30.0"},
				{Check: CheckMinorSkip, Level: result.Failure, Path: "b.yaml", Line: 1, Column: 21, Title: "Kubernetes v1.30.0 → v1.32.0 skips v1.31"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := UpgradeFindings(tt.base, tt.merged, tt.versionFiles)
			// Messages are covered by the golden files; here the rules and places.
			opt := cmpopts.IgnoreFields(result.Finding{}, "Message")
			if diff := cmp.Diff(tt.want, got, opt, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("UpgradeFindings mismatch (-want +got):\n%s", diff)
			}
			for _, f := range got {
				if f.Message == "" {
					t.Errorf("finding %s at %s has no message", f.Check, f.Location())
				}
			}
		})
	}
}

func TestUpgradeMessages(t *testing.T) {
	t.Parallel()
	got := UpgradeFindings(
		map[string][]byte{"v": []byte("v1.29.4\n")},
		map[string][]byte{"v": []byte("v1.31.0\n")},
		[]string{"v"},
	)
	if len(got) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(got), got)
	}
	want := "This change moves the Kubernetes version of this version file from v1.29.4 to v1.31.0, skipping v1.30. " +
		"kube-apiserver must not skip minor versions when upgrading, even in a single-instance cluster " +
		"(https://kubernetes.io/releases/version-skew-policy/#supported-component-upgrade-order). " +
		"Upgrade v1.29 → v1.30 → v1.31 in separate PRs."
	if diff := cmp.Diff(want, got[0].Message); diff != "" {
		t.Errorf("message mismatch (-want +got):\n%s", diff)
	}
}

func TestSkippedAndPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to      string
		skipped, path string
	}{
		{"v1.29.0", "v1.31.0", "v1.30", "v1.29 → v1.30 → v1.31"},
		{"v1.27.0", "v1.31.0", "v1.28, v1.29 and v1.30", "v1.27 → v1.28 → v1.29 → v1.30 → v1.31"},
		{"v1.20.0", "v1.31.0", "10 minor releases", "one minor release at a time from v1.20 to v1.31"},
	}
	for _, tt := range tests {
		from, to := MustParse(tt.from), MustParse(tt.to)
		if got := skipped(from, to); got != tt.skipped {
			t.Errorf("skipped(%s, %s) = %q, want %q", from, to, got, tt.skipped)
		}
		if got := upgradePath(from, to); got != tt.path {
			t.Errorf("upgradePath(%s, %s) = %q, want %q", from, to, got, tt.path)
		}
	}
}
