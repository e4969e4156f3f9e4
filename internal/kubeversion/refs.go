package kubeversion

import (
	"bytes"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// role is what a version reference configures.
type role int

const (
	// roleCluster: a whole cluster, or a version the repository pins; it is
	// held to the control-plane upgrade rules.
	roleCluster role = iota
	// roleControlPlane: a control-plane node of a kind cluster config.
	roleControlPlane
	// roleWorker: a worker node of a kind cluster config; it runs a kubelet.
	roleWorker
)

// Sources of a reference.
const (
	sourceImage       = "kind node image"
	sourceVersionFile = "version file"
)

// ref is one Kubernetes version written in a file.
type ref struct {
	version Version
	// text is the version as written, e.g. v1.30.0.
	text string
	// line and column are 1-based; the column counts characters, as YAML
	// parsers do, and points at the version's first character.
	line, column int
	source       string
	role         role
}

// kindCluster is a kind Cluster config document; nodes index into the refs
// of its file, -1 for a node without a versioned kindest/node image.
type kindCluster struct {
	nodes []kindNode
}

type kindNode struct {
	role role
	ref  int
}

// imageRE finds kindest/node images, optionally behind a registry, and
// captures the tag; a digest may follow. The tag is parsed afterwards so
// latest or v1.31.0-rc.1 are seen and skipped rather than half-matched.
var imageRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.-])kindest/node:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`)

// Version-file lines: a bare version, or KEY=version / key: version with
// optional quotes, export, trailing comma or comment.
var (
	bareLineRE  = regexp.MustCompile(`^\s*["']?(v?[0-9]+\.[0-9]+(?:\.[0-9]+)?)["']?\s*,?\s*(?:#.*)?$`)
	keyedLineRE = regexp.MustCompile(`^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[=:]\s*["']?(v?[0-9]+\.[0-9]+(?:\.[0-9]+)?)["']?\s*,?\s*(?:#.*)?$`)
	kubeKeyRE   = regexp.MustCompile(`(?i)kube|k8s`)
)

// scan finds the version references of one file, in order of appearance:
// kindest/node images in YAML files and version files, and version lines in
// version files. It also returns the file's kind cluster configs.
func scan(name string, content []byte, versionFile bool) ([]ref, []kindCluster) {
	lines := splitLines(content)
	yamlFile := isYAML(name)
	var refs []ref
	if yamlFile || versionFile {
		refs = append(refs, imageRefs(lines)...)
	}
	if versionFile {
		for _, r := range versionLineRefs(lines) {
			if !slices.ContainsFunc(refs, func(o ref) bool { return o.line == r.line && o.column == r.column }) {
				refs = append(refs, r)
			}
		}
	}
	slices.SortStableFunc(refs, func(a, b ref) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return a.column - b.column
	})
	var clusters []kindCluster
	if yamlFile {
		clusters = kindClusters(content, refs)
	}
	return refs, clusters
}

func splitLines(content []byte) []string {
	lines := strings.Split(string(content), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

func isYAML(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// imageRefs finds kindest/node:vX.Y.Z images. Matches inside a # comment are
// skipped: a commented-out image is not what the repository runs.
func imageRefs(lines []string) []ref {
	var refs []ref
	for i, line := range lines {
		comment := commentStart(line)
		for _, m := range imageRE.FindAllStringSubmatchIndex(line, -1) {
			start, end := m[2], m[3]
			if comment >= 0 && start > comment {
				continue
			}
			v, err := Parse(line[start:end])
			if err != nil {
				continue
			}
			refs = append(refs, ref{
				version: v, text: line[start:end],
				line: i + 1, column: utf8.RuneCountInString(line[:start]) + 1,
				source: sourceImage,
			})
		}
	}
	return refs
}

// commentStart returns the byte index of a # that starts a comment (at the
// start of the line or after a blank), or -1. Quoting is not considered.
func commentStart(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// versionLineRefs reads a version file: every bare version line counts, and
// every KEY=version or key: version line whose key mentions kube or k8s. When
// no line qualifies that way, every keyed version line counts, so a file
// holding only "version: 1.31.0" works too.
func versionLineRefs(lines []string) []ref {
	var bare, kube, other []ref
	for i, line := range lines {
		if m := bareLineRE.FindStringSubmatchIndex(line); m != nil {
			if r, ok := lineRef(line, i, m[2], m[3]); ok {
				bare = append(bare, r)
			}
			continue
		}
		m := keyedLineRE.FindStringSubmatchIndex(line)
		if m == nil {
			continue
		}
		r, ok := lineRef(line, i, m[4], m[5])
		if !ok {
			continue
		}
		if kubeKeyRE.MatchString(line[m[2]:m[3]]) {
			kube = append(kube, r)
		} else {
			other = append(other, r)
		}
	}
	if len(bare)+len(kube) == 0 {
		return other
	}
	return append(bare, kube...)
}

func lineRef(line string, i, start, end int) (ref, bool) {
	v, err := Parse(line[start:end])
	if err != nil {
		return ref{}, false
	}
	return ref{
		version: v, text: line[start:end],
		line: i + 1, column: utf8.RuneCountInString(line[:start]) + 1,
		source: sourceVersionFile,
	}, true
}

// kindClusters finds kind Cluster configs (kind: Cluster, apiVersion
// kind.x-k8s.io/...) among the YAML documents of content, marks the roles of
// the node image refs, and returns the clusters. A node without a role is a
// control-plane node, as kind defaults it. A file that is not valid YAML (a
// Helm template, say) has no clusters; its references stay roleCluster.
func kindClusters(content []byte, refs []ref) []kindCluster {
	var clusters []kindCluster
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			// io.EOF ends the stream; a syntax error ends what can be read.
			return clusters
		}
		root := &doc
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		if scalar(mapValue(root, "kind")) != "Cluster" ||
			!strings.HasPrefix(scalar(mapValue(root, "apiVersion")), "kind.x-k8s.io/") {
			continue
		}
		var c kindCluster
		if nodes := mapValue(root, "nodes"); nodes != nil && nodes.Kind == yaml.SequenceNode {
			for _, n := range nodes.Content {
				kn := kindNode{role: roleControlPlane, ref: -1}
				if scalar(mapValue(n, "role")) == "worker" {
					kn.role = roleWorker
				}
				if img := mapValue(n, "image"); img != nil && img.Kind == yaml.ScalarNode {
					kn.ref = slices.IndexFunc(refs, func(r ref) bool { return r.line == img.Line && r.source == sourceImage })
				}
				if kn.ref >= 0 {
					refs[kn.ref].role = kn.role
				}
				c.nodes = append(c.nodes, kn)
			}
		}
		clusters = append(clusters, c)
	}
}

// mapValue returns the value of key in mapping node n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// matchVersionFile reports whether name is one of the configured version
// files. Entries are repository-relative slash paths; an entry with glob
// characters is matched with path.Match.
func matchVersionFile(name string, versionFiles []string) bool {
	name = path.Clean(name)
	for _, f := range versionFiles {
		f = path.Clean(strings.TrimPrefix(strings.TrimSpace(f), "./"))
		if f == name {
			return true
		}
		if ok, err := path.Match(f, name); err == nil && ok {
			return true
		}
	}
	return false
}
