package kubeversion

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScan(t *testing.T) {
	t.Parallel()
	img := func(v string, line, col int, r role) ref {
		return ref{version: MustParse(v), text: v, line: line, column: col, source: sourceImage, role: r}
	}
	vf := func(v string, line, col int) ref {
		return ref{version: MustParse(v), text: v, line: line, column: col, source: sourceVersionFile}
	}
	tests := []struct {
		name        string
		path        string
		content     string
		versionFile bool
		want        []ref
	}{
		{
			name:    "image with registry and digest",
			path:    "values.yaml",
			content: "kind:\n  image: docker.io/kindest/node:v1.30.0@sha256:abc\n",
			want:    []ref{img("v1.30.0", 2, 33, roleCluster)},
		},
		{
			name:    "columns count characters",
			path:    "a.yml",
			content: "größe: kindest/node:v1.30.0\n",
			want:    []ref{img("v1.30.0", 1, 21, roleCluster)},
		},
		{
			name:    "two images on a line",
			path:    "a.yaml",
			content: "matrix: [kindest/node:v1.29.4, kindest/node:v1.30.0]\n",
			want:    []ref{img("v1.29.4", 1, 23, roleCluster), img("v1.30.0", 1, 45, roleCluster)},
		},
		{
			name: "comments, tags that are not versions, look-alike names",
			path: "a.yaml",
			content: "# kindest/node:v1.28.0\n" +
				"a: kindest/node:latest\n" +
				"b: kindest/node:v1.31.0-rc.1\n" +
				"c: mykindest/node:v1.30.0\n" +
				"d: kindest/node:v1.30.1 # was kindest/node:v1.29.0\n" +
				"e: url#kindest/node:v1.30.2\n",
			want: []ref{img("v1.30.1", 5, 17, roleCluster), img("v1.30.2", 6, 21, roleCluster)},
		},
		{
			name:    "not YAML and not a version file",
			path:    "Makefile",
			content: "KIND_IMAGE ?= kindest/node:v1.30.0\n",
		},
		{
			name:        "version file with an image line",
			path:        "Makefile",
			content:     "KIND_IMAGE ?= kindest/node:v1.30.0\n",
			versionFile: true,
			want:        []ref{img("v1.30.0", 1, 28, roleCluster)},
		},
		{
			name:        "bare version with CRLF",
			path:        ".kubernetes-version",
			content:     "# pinned\r\nv1.31.0\r\n",
			versionFile: true,
			want:        []ref{vf("v1.31.0", 2, 1)},
		},
		{
			name:        "KEY=version lines prefer kube keys",
			path:        "versions.env",
			content:     "GO_VERSION=1.22.3\nexport K8S_VERSION='1.31'\nKUBERNETES_VERSION=\"v1.31.0\" # cp\n",
			versionFile: true,
			want:        []ref{vf("1.31", 2, 21), vf("v1.31.0", 3, 21)},
		},
		{
			name:        "only other keys: all count",
			path:        "version.yaml",
			content:     "version: v1.30.2\n",
			versionFile: true,
			want:        []ref{vf("v1.30.2", 1, 10)},
		},
		{
			name:        "JSON key",
			path:        "versions.json",
			content:     "{\n  \"go\": \"1.23.0\",\n  \"kubernetes\": \"1.31.0\",\n}\n",
			versionFile: true,
			want:        []ref{vf("1.31.0", 3, 18)},
		},
		{
			name: "kind config roles",
			path: "kind.yaml",
			content: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n" +
				"- image: kindest/node:v1.31.0\n" +
				"- role: worker\n  image: kindest/node:v1.30.0\n" +
				"- role: worker\n" +
				"---\nimage: kindest/node:v1.29.0\n",
			want: []ref{
				img("v1.31.0", 4, 23, roleControlPlane),
				img("v1.30.0", 6, 23, roleWorker),
				img("v1.29.0", 9, 21, roleCluster),
			},
		},
		{
			name:    "other kinds are not kind configs",
			path:    "pod.yaml",
			content: "kind: Cluster\napiVersion: cluster.x-k8s.io/v1beta1\nnodes:\n- role: worker\n  image: kindest/node:v1.30.0\n",
			want:    []ref{img("v1.30.0", 5, 23, roleCluster)},
		},
		{
			name:    "invalid YAML still yields images",
			path:    "chart/templates/job.yaml",
			content: "{{- if .Values.kind }}\nimage: kindest/node:v1.30.0\n{{- end }}\n",
			want:    []ref{img("v1.30.0", 2, 21, roleCluster)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := scan(tt.path, []byte(tt.content), tt.versionFile)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(ref{})); diff != "" {
				t.Errorf("scan mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchVersionFile(t *testing.T) {
	t.Parallel()
	files := []string{"./.kubernetes-version", "hack/*.env", " ci/k8s.txt "}
	for name, want := range map[string]bool{
		".kubernetes-version": true,
		"hack/versions.env":   true,
		"hack/sub/x.env":      false,
		"ci/k8s.txt":          true,
		"k8s.txt":             false,
	} {
		if got := matchVersionFile(name, files); got != want {
			t.Errorf("matchVersionFile(%q) = %v, want %v", name, got, want)
		}
	}
}
