package kube

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shipgate/shipgate/internal/manifest"
	"github.com/shipgate/shipgate/internal/result"
)

// Load reads the objects to apply from paths, relative to the repository
// root root (absolute paths are taken as they are): files, directories
// (every *.yaml and *.yml below them) and kustomize directories (those with
// a kustomization file, built with kustomize; the files below one are its
// inputs, so they are not read on their own). A kustomization file given as
// a path builds its directory.
//
// It returns the objects, Namespaces first, then CustomResourceDefinitions,
// then the rest in the order read; the problems of the files (a syntax
// error, a document that is not an object, a kustomize build that fails) as
// findings; and an error only when a path cannot be read. Tool
// configuration (manifest.Object.LocalConfig) is left out. Each object's
// Source is its file and first line; see kustomize.go for how built objects
// are traced back to their files.
func Load(ctx context.Context, root string, paths []string) ([]Object, []result.Finding, error) {
	l := &loader{root: root, parsed: make(map[string]parsedFile)}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("load manifests: %w", err)
		}
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(root, p)
		}
		if err := l.path(ctx, abs); err != nil {
			return nil, nil, fmt.Errorf("load manifests from %s: %w", p, err)
		}
	}
	SortForApply(l.objs)
	return l.objs, l.findings, nil
}

// SortForApply orders objects for applying: Namespaces, then
// CustomResourceDefinitions, then the others in their order.
func SortForApply(objs []Object) {
	slices.SortStableFunc(objs, func(a, b Object) int {
		return cmp.Compare(applyRank(a.ID()), applyRank(b.ID()))
	})
}

// applyRank is 0 for Namespaces, 1 for CRDs and 2 for the rest.
func applyRank(id ID) int {
	switch {
	case id.Group == "" && id.Kind == "Namespace":
		return 0
	case id.Group == "apiextensions.k8s.io" && id.Kind == "CustomResourceDefinition":
		return 1
	}
	return 2
}

// loader holds the state of one Load.
type loader struct {
	root     string
	objs     []Object
	findings []result.Finding
	// parsed caches files read for kustomize's origins, by absolute path.
	parsed map[string]parsedFile
}

// parsedFile is one file read with manifest.Parse.
type parsedFile struct {
	objs []manifest.Object
	err  error
}

// path loads one file or directory.
func (l *loader) path(ctx context.Context, abs string) error {
	info, err := os.Stat(abs)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if isKustomizationFile(abs) {
			return l.kustomize(ctx, filepath.Dir(abs))
		}
		return l.file(abs)
	}
	return filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if kustomizationIn(p) != "" {
				if err := l.kustomize(ctx, p); err != nil {
					return err
				}
				return filepath.SkipDir
			}
			return nil
		}
		if !manifest.IsManifestPath(p) {
			return nil
		}
		return l.file(p)
	})
}

// file loads the objects of one YAML file.
func (l *loader) file(abs string) error {
	objs, err := l.parse(abs)
	if err != nil {
		return err
	}
	for _, mo := range objs {
		if mo.LocalConfig {
			continue
		}
		o, ok := l.object(mo)
		if ok {
			l.objs = append(l.objs, o)
		}
	}
	return nil
}

// parse reads a file with manifest.Parse once, recording its findings.
func (l *loader) parse(abs string) ([]manifest.Object, error) {
	if f, ok := l.parsed[abs]; ok {
		return f.objs, f.err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		l.parsed[abs] = parsedFile{err: err}
		return nil, err
	}
	objs, findings := manifest.Parse(l.rel(abs), data)
	l.findings = append(l.findings, findings...)
	l.parsed[abs] = parsedFile{objs: objs}
	return objs, nil
}

// object converts a parsed object; a problem becomes a finding.
func (l *loader) object(mo manifest.Object) (Object, bool) {
	src := Source{Path: mo.Path, Line: mo.Line}
	fail := func(title, msg string) (Object, bool) {
		at := mo.NamePos
		if at.Line == 0 {
			at = manifest.Pos{Line: mo.Line, Column: 1}
		}
		l.findings = append(l.findings, result.Finding{
			Check: CheckLoad, Level: result.Failure, Path: mo.Path, Line: at.Line, Column: at.Column,
			Title: title, Message: msg, Object: mo.String(),
		})
		return Object{}, false
	}
	if mo.Name == "" {
		return fail("Object without a name",
			"Server-side apply needs metadata.name; metadata.generateName alone cannot be applied: give the object a name.")
	}
	u, err := nodeToUnstructured(mo.Node)
	if err != nil {
		return fail("Object cannot be converted", fmt.Sprintf("The object cannot be read as JSON for the API server: %v.", err))
	}
	return Object{Obj: u, Source: src, node: mo.Node}, true
}

// rel returns a path relative to the repository root, slash-separated; a
// path outside the root stays absolute.
func (l *loader) rel(abs string) string {
	r, err := filepath.Rel(l.root, abs)
	if err != nil || !filepath.IsLocal(r) {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(r)
}

// nodeToUnstructured converts a YAML mapping to an object the way kubectl
// reads YAML (sigs.k8s.io/yaml), after resolving aliases so the node stands
// on its own.
func nodeToUnstructured(n *yaml.Node) (*unstructured.Unstructured, error) {
	data, err := yaml.Marshal(resolveAliases(n, 0))
	if err != nil {
		return nil, err
	}
	js, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		return nil, err
	}
	return u, nil
}

// resolveAliases returns a copy of n with each alias replaced by a copy of
// the node it names, and anchors dropped.
func resolveAliases(n *yaml.Node, depth int) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil && depth < 32 {
		return resolveAliases(n.Alias, depth+1)
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = resolveAliases(k, depth+1)
	}
	return &c
}
