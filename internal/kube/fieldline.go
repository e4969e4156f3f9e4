package kube

import (
	"encoding/json"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fieldLine returns the line of a field in an object's YAML, given the
// field's path as server-side apply names it (.spec.replicas,
// .spec.template.spec.containers[name="web"].image, .spec.ports[port=80,
// protocol="TCP"].port, .spec.finalizers[="x"], .items[2]): the line of
// the deepest part of the path found, or 0 when not even the first part is
// there.
func fieldLine(n *yaml.Node, path string) int {
	line := 0
	for n != nil && path != "" {
		n = deref(n)
		var next *yaml.Node
		var at int
		switch {
		case path[0] == '.' && n.Kind == yaml.MappingNode:
			next, at, path = mapKey(n, path[1:])
		case path[0] == '[' && n.Kind == yaml.SequenceNode:
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return line
			}
			next = seqItem(n, path[1:end])
			path = path[end+1:]
			if next != nil {
				at = next.Line
			}
		}
		if next == nil {
			return line
		}
		line, n = at, next
	}
	return line
}

// mapKey finds the key at the start of path (the longest key of m that
// path starts with, followed by the end, "." or "["), and returns its
// value, its line and the rest of the path.
func mapKey(m *yaml.Node, path string) (*yaml.Node, int, string) {
	var best, bestKey *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if !strings.HasPrefix(path, k.Value) {
			continue
		}
		if r := path[len(k.Value):]; r != "" && r[0] != '.' && r[0] != '[' {
			continue
		}
		if bestKey == nil || len(k.Value) > len(bestKey.Value) {
			best, bestKey = m.Content[i+1], k
		}
	}
	if best == nil {
		return nil, 0, path
	}
	return best, bestKey.Line, path[len(bestKey.Value):]
}

// seqItem finds the item of a list that a path element names: an index
// ("2"), a value ("=\"x\"") or key fields ("name=\"web\",port=80", values
// in JSON).
func seqItem(s *yaml.Node, elem string) *yaml.Node {
	if i, err := strconv.Atoi(elem); err == nil {
		if i >= 0 && i < len(s.Content) {
			return s.Content[i]
		}
		return nil
	}
	if v, ok := strings.CutPrefix(elem, "="); ok {
		want := jsonScalar(v)
		for _, it := range s.Content {
			if deref(it).Value == want {
				return it
			}
		}
		return nil
	}
	keys := splitKeys(elem)
	for _, it := range s.Content {
		it := deref(it)
		if it.Kind != yaml.MappingNode {
			continue
		}
		match := true
		for k, want := range keys {
			v, _, rest := mapKey(it, k)
			if v == nil || rest != "" || deref(v).Value != want {
				match = false
				break
			}
		}
		if match {
			return it
		}
	}
	return nil
}

// splitKeys reads key=value pairs separated by commas; values are JSON, so
// a comma inside a quoted string does not split.
func splitKeys(elem string) map[string]string {
	keys := make(map[string]string)
	for elem != "" {
		k, rest, ok := strings.Cut(elem, "=")
		if !ok {
			break
		}
		v := rest
		if strings.HasPrefix(rest, `"`) {
			if q, err := strconv.QuotedPrefix(rest); err == nil {
				v = q
			}
		} else if i := strings.IndexByte(rest, ','); i >= 0 {
			v = rest[:i]
		}
		keys[k] = jsonScalar(v)
		elem = strings.TrimPrefix(rest[len(v):], ",")
	}
	return keys
}

// jsonScalar returns a JSON scalar's text as YAML shows it: strings
// unquoted, numbers and booleans as they are.
func jsonScalar(v string) string {
	var s string
	if err := json.Unmarshal([]byte(v), &s); err == nil {
		return s
	}
	return v
}

// deref follows YAML aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}
