package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

func mustObject(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := sigsyaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSetImages(t *testing.T) {
	t.Parallel()
	images := map[string]string{"web": "ghcr.io/o/web@sha256:abc", "migrate": "ghcr.io/o/migrate:pr-7"}
	tests := []struct {
		name, yaml string
		path       []string
		want       []string
	}{
		{
			name: "deployment with init container",
			yaml: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {
				initContainers: [{name: migrate, image: m:1}],
				containers: [{name: web, image: w:1}, {name: sidecar, image: s:1}]}}}}`,
			path: []string{"spec", "template", "spec"},
			want: []string{"migrate: m:1 → ghcr.io/o/migrate:pr-7", "web: w:1 → ghcr.io/o/web@sha256:abc"},
		},
		{
			name: "cronjob",
			yaml: `{apiVersion: batch/v1, kind: CronJob, metadata: {name: c}, spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: web, image: w:1}]}}}}}}`,
			path: []string{"spec", "jobTemplate", "spec", "template", "spec"},
			want: []string{"web: w:1 → ghcr.io/o/web@sha256:abc"},
		},
		{
			name: "pod",
			yaml: `{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: web, image: w:1}]}}`,
			path: []string{"spec"},
			want: []string{"web: w:1 → ghcr.io/o/web@sha256:abc"},
		},
		{name: "statefulset", yaml: `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: s}, spec: {template: {spec: {containers: [{name: web, image: w:1}]}}}}`,
			path: []string{"spec", "template", "spec"}, want: []string{"web: w:1 → ghcr.io/o/web@sha256:abc"}},
		{name: "daemonset", yaml: `{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: s}, spec: {template: {spec: {containers: [{name: web, image: w:1}]}}}}`,
			path: []string{"spec", "template", "spec"}, want: []string{"web: w:1 → ghcr.io/o/web@sha256:abc"}},
		{name: "job", yaml: `{apiVersion: batch/v1, kind: Job, metadata: {name: s}, spec: {template: {spec: {containers: [{name: web, image: w:1}]}}}}`,
			path: []string{"spec", "template", "spec"}, want: []string{"web: w:1 → ghcr.io/o/web@sha256:abc"}},
		{name: "already set", yaml: `{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: web, image: "ghcr.io/o/web@sha256:abc"}]}}`,
			path: []string{"spec"}},
		{name: "not a workload", yaml: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {web: x}}`},
		{name: "custom kind named Deployment", yaml: `{apiVersion: example.com/v1, kind: Deployment, metadata: {name: c}, spec: {template: {spec: {containers: [{name: web, image: w:1}]}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := mustObject(t, tt.yaml)
			got, err := SetImages(u, images)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if tt.path == nil {
				return
			}
			cs, _, _ := unstructured.NestedSlice(u.Object, append(tt.path, "containers")...)
			for _, c := range cs {
				m := c.(map[string]any)
				if img, ok := images[m["name"].(string)]; ok && m["image"] != img {
					t.Errorf("container %s image = %v, want %s", m["name"], m["image"], img)
				}
				if m["name"] == "sidecar" && m["image"] != "s:1" {
					t.Errorf("sidecar image changed to %v", m["image"])
				}
			}
		})
	}
}

func TestSetImagesNone(t *testing.T) {
	t.Parallel()
	u := mustObject(t, `{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: web, image: w:1}]}}`)
	if got, err := SetImages(u, nil); got != nil || err != nil {
		t.Errorf("SetImages(nil) = %v, %v", got, err)
	}
}

func TestRepository(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"nginx":                              "docker.io/library/nginx",
		"nginx:1.27":                         "docker.io/library/nginx",
		"library/nginx@sha256:abc":           "docker.io/library/nginx",
		"ghcr.io/octo/shop:pr-7":             "ghcr.io/octo/shop",
		"ghcr.io/octo/shop@sha256:0123":      "ghcr.io/octo/shop",
		"localhost:5000/shop:v1":             "localhost:5000/shop",
		"registry.local:5000/team/shop:v1.2": "registry.local:5000/team/shop",
	} {
		if got := Repository(in); got != want {
			t.Errorf("Repository(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestImagesFor(t *testing.T) {
	t.Parallel()
	dep := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"initContainers": []any{map[string]any{"name": "migrate", "image": "ghcr.io/octo/shop:1.0"}},
			"containers": []any{
				map[string]any{"name": "web", "image": "ghcr.io/octo/shop:1.0"},
				map[string]any{"name": "proxy", "image": "envoyproxy/envoy:v1.30"},
			},
		}}},
	}}
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}}}
	got := ImagesFor([]Object{{Obj: dep}, {Obj: cm}}, "ghcr.io/octo/shop@sha256:feed")
	want := map[string]string{"migrate": "ghcr.io/octo/shop@sha256:feed", "web": "ghcr.io/octo/shop@sha256:feed"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ImagesFor() mismatch (-want +got):\n%s", diff)
	}
}
