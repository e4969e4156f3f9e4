package kube

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/shipgate/shipgate/internal/manifest"
	"github.com/shipgate/shipgate/internal/result"
)

// CheckKustomize is the check of kustomize builds that fail.
const CheckKustomize = "kube/kustomize"

// originAnnotation is where kustomize records the file an object came from
// when the kustomization asks for buildMetadata: [originAnnotations].
const originAnnotation = "config.kubernetes.io/origin"

// kustomize builds the kustomization in dir and adds its objects.
//
// Tracing built objects back to their files: the build runs on the disk
// as it is, except that the top kustomization file is read with
// buildMetadata: [originAnnotations] added, so kustomize annotates every
// object with the file it came from (config.kubernetes.io/origin, a path
// relative to dir; for generated objects the kustomization that configured
// the generator). The annotation is removed again unless the kustomization
// asked for it itself. In that file the object is the one of the same kind
// whose metadata.name is the longest part of the built name (name prefixes
// and suffixes and generator hashes are added around it); a generated
// object is placed at the line naming it in the kustomization. Objects from
// remote bases, and those that cannot be placed, get the kustomization
// file, at line 0 when even the line is unknown.
func (l *loader) kustomize(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	kfile := kustomizationIn(dir)
	fsys := &originFS{FileSystem: filesys.MakeFsOnDisk(), dir: dir}
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
	if err != nil {
		l.findings = append(l.findings, result.Finding{
			Check: CheckKustomize, Level: result.Failure, Path: l.rel(kfile), Line: 1, Column: 1,
			Title:   "kustomize build failed",
			Message: fmt.Sprintf("kustomize build %s failed: %v. Fix the kustomization so that `kustomize build` succeeds.", l.rel(dir), err),
		})
		return nil
	}
	for _, r := range resMap.Resources() {
		src, node := l.origin(r, dir, kfile)
		if !fsys.userOrigins {
			if err := removeAnnotation(r, originAnnotation); err != nil {
				return fmt.Errorf("kustomize build %s: %w", l.rel(dir), err)
			}
		}
		js, err := r.MarshalJSON()
		u := &unstructured.Unstructured{}
		if err == nil {
			err = u.UnmarshalJSON(js)
		}
		if err != nil {
			return fmt.Errorf("kustomize build %s: %s: %w", l.rel(dir), r.CurId(), err)
		}
		o := Object{Obj: u, Source: src, node: node}
		if o.Obj.GetName() == "" {
			l.findings = append(l.findings, result.Finding{
				Check: CheckLoad, Level: result.Failure, Path: src.Path, Line: src.Line,
				Title:   "Object without a name",
				Message: "Server-side apply needs metadata.name; metadata.generateName alone cannot be applied: give the object a name.",
				Object:  o.String(),
			})
			continue
		}
		l.objs = append(l.objs, o)
	}
	return nil
}

// origin traces a built object back to its file and line, and returns the
// object's YAML in that file when it found it.
func (l *loader) origin(r *resource.Resource, dir, kfile string) (Source, *yaml.Node) {
	fallback := Source{Path: l.rel(kfile)}
	o, err := r.GetOrigin()
	if err != nil || o == nil || o.Repo != "" {
		return fallback, nil
	}
	if o.ConfiguredIn != "" {
		abs := filepath.Join(dir, o.ConfiguredIn)
		return Source{Path: l.rel(abs), Line: nameLine(abs, r.GetName())}, nil
	}
	if o.Path == "" {
		return fallback, nil
	}
	abs := filepath.Join(dir, o.Path)
	objs, err := l.parse(abs)
	if err != nil {
		return fallback, nil
	}
	if mo := bestMatch(objs, r.GetKind(), r.GetName(), r.GetNamespace()); mo != nil {
		return Source{Path: l.rel(abs), Line: mo.Line}, mo.Node
	}
	return Source{Path: l.rel(abs)}, nil
}

// bestMatch returns the object of objs of the given kind whose name is the
// longest part of name, preferring one in the same namespace; or the only
// object of that kind; or nil.
func bestMatch(objs []manifest.Object, kind, name, namespace string) *manifest.Object {
	var best *manifest.Object
	var sameKind []*manifest.Object
	for i := range objs {
		mo := &objs[i]
		if mo.Kind != kind || mo.LocalConfig {
			continue
		}
		sameKind = append(sameKind, mo)
		if mo.Name == "" || !strings.Contains(name, mo.Name) {
			continue
		}
		switch {
		case best == nil, len(mo.Name) > len(best.Name):
			best = mo
		case len(mo.Name) == len(best.Name) && mo.Namespace == namespace && best.Namespace != namespace:
			best = mo
		}
	}
	if best == nil && len(sameKind) == 1 {
		best = sameKind[0]
	}
	return best
}

// nameLine returns the line of a kustomization file naming a generated
// object (a "name:" whose value is the longest part of name), or 0.
func nameLine(abs, name string) int {
	data, err := os.ReadFile(abs)
	if err != nil {
		return 0
	}
	line, longest := 0, 0
	for i, text := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "-"))
		v, ok := strings.CutPrefix(t, "name:")
		if !ok {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		if v != "" && strings.Contains(name, v) && len(v) > longest {
			line, longest = i+1, len(v)
		}
	}
	return line
}

// removeAnnotation deletes one annotation of a built resource.
func removeAnnotation(r *resource.Resource, key string) error {
	a := r.GetAnnotations()
	if _, ok := a[key]; !ok {
		return nil
	}
	delete(a, key)
	return r.SetAnnotations(a)
}

// isKustomizationFile reports whether a path names a kustomization file.
func isKustomizationFile(p string) bool {
	return slices.Contains(konfig.RecognizedKustomizationFileNames(), filepath.Base(p))
}

// kustomizationIn returns the kustomization file of dir, or "".
func kustomizationIn(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p
		}
	}
	return ""
}

// originFS is the disk, except that the kustomization file of dir reads
// with buildMetadata: [originAnnotations] added.
type originFS struct {
	filesys.FileSystem
	dir string
	// userOrigins records that the kustomization asked for origin
	// annotations itself, so they stay.
	userOrigins bool
}

// ReadFile reads a file, adding origin tracking to the top kustomization.
func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || !isKustomizationFile(path) || !sameDir(filepath.Dir(path), f.dir) {
		return data, err
	}
	out, had, err := withOriginAnnotations(data)
	if err != nil {
		// Let kustomize report the broken file itself.
		return data, nil
	}
	f.userOrigins = had
	return out, nil
}

// sameDir reports whether two paths name the same directory.
func sameDir(a, b string) bool {
	ia, err := os.Stat(a)
	if err != nil {
		return false
	}
	ib, err := os.Stat(b)
	return err == nil && os.SameFile(ia, ib)
}

// withOriginAnnotations adds originAnnotations to a kustomization's
// buildMetadata; had says it was there already.
func withOriginAnnotations(data []byte) (out []byte, had bool, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, false, err
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, false, fmt.Errorf("kustomization is not a mapping")
	}
	var seq *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "buildMetadata" {
			seq = m.Content[i+1]
		}
	}
	if seq == nil {
		seq = &yaml.Node{Kind: yaml.SequenceNode}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "buildMetadata"}, seq)
	}
	if seq.Kind != yaml.SequenceNode {
		return nil, false, fmt.Errorf("buildMetadata is not a list")
	}
	for _, v := range seq.Content {
		if v.Value == "originAnnotations" {
			return data, true, nil
		}
	}
	seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "originAnnotations"})
	out, err = yaml.Marshal(&doc)
	return out, false, err
}
