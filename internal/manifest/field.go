package manifest

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Field is one field of one object.
type Field struct {
	Object *Object
	// Path is the field's dotted path, such as
	// spec.template.spec.containers[0].image; keys that are not plain words
	// are quoted, as in metadata.labels["app.kubernetes.io/name"]. It is
	// empty for the object as a whole.
	Path string
}

// FieldAt returns the object whose lines cover line and the path of the
// deepest field on that line: the field whose key, value or list item is
// there, a block scalar's whole text, and comments and blank lines going with
// the field below them. When several fields share the line ({a: 1, b: 2}) it
// returns their parent. objs should come from one file, as Parse returns
// them; lines outside every object (---, comments above an object) give nil.
func FieldAt(objs []Object, line int) (*Object, string) {
	for i := range objs {
		o := &objs[i]
		if line >= o.Line && line <= o.EndLine {
			return o, o.fields.path(line)
		}
	}
	return nil, ""
}

// FieldsInRange returns the distinct fields touched by the lines from..to,
// in the order of objs and lines: every line's field as FieldAt gives it,
// leaving out fields inside another field of the list. Lines outside every
// object are skipped. objs should come from one file, as for FieldAt.
func FieldsInRange(objs []Object, from, to int) []Field {
	var all []Field
	seen := make(map[Field]bool)
	for i := range objs {
		o := &objs[i]
		for line := max(from, o.Line); line <= min(to, o.EndLine); line++ {
			if f := (Field{o, o.fields.path(line)}); !seen[f] {
				seen[f] = true
				all = append(all, f)
			}
		}
	}
	var fields []Field
	for _, f := range all {
		if !insideAny(f, seen) {
			fields = append(fields, f)
		}
	}
	return fields
}

// insideAny reports whether one of f's ancestors is in fields.
func insideAny(f Field, fields map[Field]bool) bool {
	for i := len(f.Path) - 1; i >= 0; i-- {
		if c := f.Path[i]; (c == '.' || c == '[') && fields[Field{f.Object, f.Path[:i]}] {
			return true
		}
	}
	return f.Path != "" && fields[Field{f.Object, ""}]
}

// span is the lines a YAML node covers, with those of its children.
type span struct {
	// seg is the node's path segment in its parent: ".key" or "[i]".
	seg string
	// node is the value node (a sequence item, or the value of a key).
	node *yaml.Node
	// from and to are the lines the node covers.
	from, to int
	// kids are in file order, with non-decreasing to.
	kids []*span
}

// spans computes the lines n covers, given that it starts at line from and
// the next node starts after line end.
func (p *parser) spans(n *yaml.Node, seg string, from, end int) *span {
	end = max(end, from)
	s := &span{seg: seg, node: n, from: from}
	var kids, keys []*yaml.Node // children, and the nodes whose lines start them
	var segs []string
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			kids, keys = append(kids, n.Content[i+1]), append(keys, n.Content[i])
			segs = append(segs, keySeg(n.Content[i]))
		}
	case yaml.SequenceNode:
		kids, keys = n.Content, n.Content
		for i := range n.Content {
			segs = append(segs, "["+strconv.Itoa(i)+"]")
		}
	}
	starts := make([]int, len(kids))
	for i, k := range keys {
		starts[i] = k.Line
		if n.Kind == yaml.SequenceNode {
			starts[i] = p.dashLine(k.Line, from)
		}
	}
	for i, kid := range kids {
		next := end
		if i+1 < len(kids) {
			next = min(starts[i+1]-1, end)
		}
		s.add(p.spans(kid, segs[i], starts[i], next))
	}
	if len(s.kids) > 0 {
		s.to = s.kids[len(s.kids)-1].to
	} else {
		s.to = p.trim(n, from, end)
	}
	return s
}

// dashLine returns the line of a block sequence item's "-" when it stands
// alone above the item's content (not above line from), else line.
func (p *parser) dashLine(line, from int) int {
	for l := line - 1; l >= from && l >= 1; l-- {
		t := bytes.TrimLeft(p.t.line(l), " \t")
		if len(t) > 0 && t[0] == '-' {
			if rest := bytes.TrimLeft(t[1:], " \t"); len(rest) == 0 || rest[0] == '#' {
				return l
			}
			return line
		}
		if !p.t.filler(l) {
			return line
		}
	}
	return line
}

// add appends a child; comments and blank lines above it go with it.
func (s *span) add(kid *span) {
	if len(s.kids) > 0 {
		kid.from = min(kid.from, s.kids[len(s.kids)-1].to+1)
	}
	s.kids = append(s.kids, kid)
}

// trim moves end back over the lines that hold no content of n, which
// starts at line from.
func (p *parser) trim(n *yaml.Node, from, end int) int {
	end = min(end, p.t.lines())
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// A block scalar's text is every line indented at least as much as
		// its first line; comments less indented than that follow it.
		first := from + 1
		for first <= end && p.t.blank(first) {
			first++
		}
		if first > end {
			return from
		}
		indent := p.t.indent(first)
		for end > from && (p.t.blank(end) || p.t.indent(end) < indent) {
			end--
		}
		return end
	}
	for end > from && p.t.filler(end) {
		end--
	}
	return max(end, from)
}

// find returns the child span of node n, or nil.
func (s *span) find(n *yaml.Node) *span {
	if s == nil {
		return nil
	}
	for _, k := range s.kids {
		if k.node == n {
			return k
		}
	}
	return nil
}

// path returns the path of the deepest node covering line.
func (s *span) path(line int) string {
	var b strings.Builder
	for s != nil {
		i := sort.Search(len(s.kids), func(i int) bool { return s.kids[i].to >= line })
		var next *span
		for ; i < len(s.kids) && s.kids[i].from <= line; i++ {
			if next != nil {
				next = nil // several fields share the line: stop at their parent
				break
			}
			next = s.kids[i]
		}
		if next == nil {
			break
		}
		b.WriteString(next.seg)
		s = next
	}
	return strings.TrimPrefix(b.String(), ".")
}

// keySeg returns the path segment of a mapping key.
func keySeg(k *yaml.Node) string {
	k = deref(k)
	if k.Kind != yaml.ScalarNode {
		return "[?]"
	}
	if plainKey(k.Value) {
		return "." + k.Value
	}
	return "[" + strconv.Quote(k.Value) + "]"
}

// plainKey reports whether a key can be written in a dotted path as is.
func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '$' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
