package kube

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// podSpecPath returns where the pod spec of a workload kind is, or nil for
// kinds without one.
func podSpecPath(id ID) []string {
	switch {
	case id.Group == "" && id.Kind == "Pod":
		return []string{"spec"}
	case id.Group == "apps" && slices.Contains([]string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}, id.Kind),
		id.Group == "batch" && id.Kind == "Job":
		return []string{"spec", "template", "spec"}
	case id.Group == "batch" && id.Kind == "CronJob":
		return []string{"spec", "jobTemplate", "spec", "template", "spec"}
	}
	return nil
}

// SetImages sets the image of every container and init container named in
// images (container name → image) in the pod spec of a Pod, Deployment,
// StatefulSet, DaemonSet, ReplicaSet, Job or CronJob. It returns what it
// changed as "container: old → new" lines; other kinds are left alone.
func SetImages(u *unstructured.Unstructured, images map[string]string) ([]string, error) {
	if len(images) == 0 {
		return nil, nil
	}
	path := podSpecPath(IDOf(u))
	if path == nil {
		return nil, nil
	}
	var changed []string
	for _, field := range []string{"initContainers", "containers"} {
		p := append(slices.Clone(path), field)
		list, found, err := unstructured.NestedSlice(u.Object, p...)
		if err != nil {
			return nil, fmt.Errorf("set images: %w", err)
		}
		if !found {
			continue
		}
		touched := false
		for i, c := range list {
			m, ok := c.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("set images: %s[%d] is not an object", strings.Join(p, "."), i)
			}
			name, _ := m["name"].(string)
			img, ok := images[name]
			if !ok {
				continue
			}
			old, _ := m["image"].(string)
			if old == img {
				continue
			}
			m["image"] = img
			touched = true
			changed = append(changed, fmt.Sprintf("%s: %s → %s", name, old, img))
		}
		if touched {
			if err := unstructured.SetNestedSlice(u.Object, list, p...); err != nil {
				return nil, fmt.Errorf("set images: %w", err)
			}
		}
	}
	return changed, nil
}

// ImagesFor returns, for the workloads of objs, the container name → image
// map that gives image to every container (and init container) whose image
// has the same repository as image (e.g. ghcr.io/octo/shop:pr-7 for
// ghcr.io/octo/shop:1.2 or ghcr.io/octo/shop@sha256:…). Containers of
// other repositories keep their images.
func ImagesFor(objs []Object, image string) map[string]string {
	want := Repository(image)
	out := map[string]string{}
	for _, o := range objs {
		path := podSpecPath(o.ID())
		if path == nil {
			continue
		}
		for _, field := range []string{"initContainers", "containers"} {
			list, _, _ := unstructured.NestedSlice(o.Obj.Object, append(slices.Clone(path), field)...)
			for _, c := range list {
				m, _ := c.(map[string]any)
				name, _ := m["name"].(string)
				img, _ := m["image"].(string)
				if name != "" && Repository(img) == want {
					out[name] = image
				}
			}
		}
	}
	return out
}

// Repository returns an image reference without its tag and digest, and
// with docker.io/library/ spelled out, so references to the same
// repository compare equal.
func Repository(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	first, _, _ := strings.Cut(ref, "/")
	switch {
	case !strings.Contains(ref, "/"):
		ref = "docker.io/library/" + ref
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		ref = "docker.io/" + ref
	}
	return ref
}

// ContainerImage is the image of one container (or init container) of a
// workload, where the manifest says it.
type ContainerImage struct {
	Container string
	Image     string
	// PullPolicy is the container's imagePullPolicy as written; empty when
	// the manifest gives none.
	PullPolicy string
	// Line is the line of the container's image field in the object's
	// file; the object's line when the field is not found there.
	Line int
}

// ContainerImages lists the images of a workload's containers and init
// containers, in the manifest's order; nothing for other kinds.
func ContainerImages(o Object) []ContainerImage {
	path := podSpecPath(o.ID())
	if path == nil {
		return nil
	}
	var out []ContainerImage
	for _, field := range []string{"initContainers", "containers"} {
		p := append(slices.Clone(path), field)
		list, _, _ := unstructured.NestedSlice(o.Obj.Object, p...)
		for i, c := range list {
			m, _ := c.(map[string]any)
			img, _ := m["image"].(string)
			if img == "" {
				continue
			}
			name, _ := m["name"].(string)
			policy, _ := m["imagePullPolicy"].(string)
			elem := fmt.Sprint(i)
			if name != "" {
				elem = fmt.Sprintf("name=%q", name)
			}
			line := fieldLine(o.node, "."+strings.Join(p, ".")+"["+elem+"].image")
			if line == 0 || o.node == nil {
				line = o.Source.Line
			}
			out = append(out, ContainerImage{Container: name, Image: img, PullPolicy: policy, Line: line})
		}
	}
	return out
}
