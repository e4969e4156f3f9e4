package manifest

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// fieldState is how a field Kubernetes requires to be a string was found.
type fieldState int

const (
	absent  fieldState = iota // missing, null or empty
	present                   // a non-empty string
	invalid                   // not a string; already reported
)

// object reads the object at n, whose field spans are sp, and reports what
// keeps it from being a Kubernetes object. listIndex is its index in a List's
// items, or -1.
func (p *parser) object(n *yaml.Node, sp *span, listIndex int) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.add(CheckRequiredFields, posOf(n), "Not a Kubernetes object", fmt.Sprintf(
			"This document is %s, not a mapping. Each YAML document must be one Kubernetes object with apiVersion, kind and metadata.name: separate objects with --- lines, or put them in the items of a kind: List.",
			describe(n)), "")
		return
	}
	o := Object{
		Path:      p.path,
		DocIndex:  p.docIndex,
		ListIndex: listIndex,
		Line:      sp.node.Line,
		EndLine:   max(sp.to, sp.node.Line),
		Node:      n,
		fields:    sp,
	}
	var missing []string
	bad := false
	need := func(field string, st fieldState) {
		switch st {
		case absent:
			missing = append(missing, field)
		case invalid:
			bad = true
		}
	}

	k, v := lookup(n, "apiVersion")
	apiVersion, st := p.str(k, v, "apiVersion")
	o.APIVersion = apiVersion
	if v != nil {
		o.APIVersionPos = posOf(v)
	}
	k, v = lookup(n, "kind")
	kind, kindSt := p.str(k, v, "kind")
	o.Kind = kind
	if k != nil {
		o.KindPos = posOf(k)
	}
	o.LocalConfig = isLocalConfig(p.path, o.APIVersion)
	if isKustomizationFile(p.path) {
		// kustomize defaults both.
		if st == absent {
			o.APIVersion, st = "kustomize.config.k8s.io/v1beta1", present
		}
		if kindSt == absent {
			o.Kind, kindSt = "Kustomization", present
		}
	}
	need("apiVersion", st)
	need("kind", kindSt)

	if items, ok := listItems(n, o.Kind); ok {
		p.items(o, items)
		p.missing(n, nil, missing, o)
		return
	}

	mk, mv := lookup(n, "metadata")
	nameSt, metaBad := p.metadata(&o, mv)
	bad = bad || metaBad
	if nameSt == absent && !o.LocalConfig {
		missing = append(missing, "metadata.name")
	}

	p.missing(n, mk, missing, o)
	if len(missing) == 0 && !bad {
		p.objs = append(p.objs, o)
	}
}

// metadata reads an object's name, generateName and namespace from its
// metadata value mv (nil when absent). name says how the name (or
// generateName) was found; bad whether a problem was reported.
func (p *parser) metadata(o *Object, mv *yaml.Node) (name fieldState, bad bool) {
	m := deref(mv)
	if m == nil || isNull(m) {
		return absent, false
	}
	if m.Kind != yaml.MappingNode {
		p.add(CheckRequiredFields, posOf(mv), "metadata is not a mapping", fmt.Sprintf(
			"metadata is %s, but it must be a mapping with the object's name (and namespace), as in metadata: {name: web}. Check the indentation of the lines below it.",
			describe(m)), "")
		return invalid, true
	}
	k, v := lookup(m, "name")
	nameVal, nameSt := p.str(k, v, "metadata.name")
	gk, gv := lookup(m, "generateName")
	generateName, genSt := p.str(gk, gv, "metadata.generateName")
	nk, nv := lookup(m, "namespace")
	namespace, nsSt := p.str(nk, nv, "metadata.namespace")
	o.Name, o.GenerateName, o.Namespace = nameVal, generateName, namespace
	switch {
	case nameSt == present:
		o.NamePos = posOf(k)
	case genSt == present:
		o.NamePos = posOf(gk)
	}
	if v := field(deref(field(m, "annotations")), "config.kubernetes.io/local-config"); v != nil && deref(v).Value == "true" {
		o.LocalConfig = true
	}
	bad = nameSt == invalid || genSt == invalid || nsSt == invalid
	switch {
	case nameSt == present || genSt == present:
		return present, bad
	case nameSt == invalid || genSt == invalid:
		return invalid, bad
	}
	return absent, bad
}

// missing reports the required fields an object lacks: at its metadata key
// when only the name is missing, else at its first line.
func (p *parser) missing(n, metadataKey *yaml.Node, missing []string, o Object) {
	if len(missing) == 0 {
		return
	}
	at := posOf(n)
	if len(missing) == 1 && missing[0] == "metadata.name" && metadataKey != nil {
		at = posOf(metadataKey)
	}
	subject := "This document"
	if o.ListIndex >= 0 {
		subject = fmt.Sprintf("The List item items[%d]", o.ListIndex)
	}
	p.add(CheckRequiredFields, at, "Missing "+strings.Join(missing, ", "), fmt.Sprintf(
		"%s has no %s. A Kubernetes object needs apiVersion, kind and metadata.name (or metadata.generateName): add them, or keep this file out of the manifests input if it is not a Kubernetes manifest.",
		subject, joinNo(missing)), objectName(o))
}

// joinNo lists fields as "a, no b and no c".
func joinNo(fields []string) string {
	if len(fields) == 1 {
		return fields[0]
	}
	return strings.Join(fields[:len(fields)-1], ", no ") + " and no " + fields[len(fields)-1]
}

// objectName names a possibly incomplete object for a finding, or is empty
// when it has no kind or no name.
func objectName(o Object) string {
	if o.Kind == "" || (o.Name == "" && o.GenerateName == "") {
		return ""
	}
	return o.String()
}

// listItems returns the items of a kind: List (or of a FooList kind that has
// items), and whether the object is such a list.
func listItems(n *yaml.Node, kind string) (*yaml.Node, bool) {
	if kind != "List" && !strings.HasSuffix(kind, "List") {
		return nil, false
	}
	items := field(n, "items")
	if kind != "List" && (items == nil || deref(items).Kind != yaml.SequenceNode) {
		return nil, false
	}
	return items, true
}

// items reads the items of a List as objects of their own.
func (p *parser) items(list Object, items *yaml.Node) {
	if items == nil || deref(items).Kind != yaml.SequenceNode {
		at := posOf(list.Node)
		if items != nil {
			at = posOf(items)
		}
		p.add(CheckRequiredFields, at, "List without items",
			"This kind: List has no items sequence: put the objects in items, or drop the List and separate the objects with --- lines.", "")
		return
	}
	itemsSpan := list.fields.find(items)
	for i, item := range deref(items).Content {
		sp := itemsSpan.find(item)
		if sp == nil {
			// items is an alias: its lines are elsewhere.
			sp = p.spans(item, "", item.Line, item.Line)
		}
		p.object(item, sp, i)
	}
}

// str reads a field Kubernetes requires to be a string and reports a value
// of another type.
func (p *parser) str(key, val *yaml.Node, field string) (string, fieldState) {
	if key == nil || val == nil {
		return "", absent
	}
	v := deref(val)
	switch {
	case isNull(v), v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == "":
		return "", absent
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str":
		return v.Value, present
	case v.Kind == yaml.ScalarNode:
		key := field[strings.LastIndexByte(field, '.')+1:]
		p.add(CheckRequiredFields, posOf(val), field+" is not a string", fmt.Sprintf(
			"%s is %s, but Kubernetes requires a string: quote it, as in %s: %q.",
			field, describe(v), key, v.Value), "")
	default:
		p.add(CheckRequiredFields, posOf(val), field+" is not a string", fmt.Sprintf(
			"%s is %s, but Kubernetes requires a string here; if the indented lines below it were meant to be its siblings, fix their indentation.",
			field, describe(v)), "")
	}
	return "", invalid
}

// describe names the type of a YAML value for a message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "an alias"
	}
	switch t := n.ShortTag(); t {
	case "!!str":
		return fmt.Sprintf("a string (%q)", n.Value)
	case "!!int", "!!float":
		return fmt.Sprintf("a number (%s)", n.Value)
	case "!!bool":
		return fmt.Sprintf("a boolean (%s)", n.Value)
	case "!!timestamp":
		return fmt.Sprintf("a date (%s)", n.Value)
	case "!!null":
		return "empty"
	default:
		return "a value tagged " + t
	}
}

// lookup returns the key and value nodes of a mapping's field, also looking
// through merge keys (<<: *defaults). Both are nil when it has none.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	return lookupDepth(m, key, 0)
}

func lookupDepth(m *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode || depth > 8 {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := deref(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if deref(m.Content[i]).Value != "<<" {
			continue
		}
		merged := deref(m.Content[i+1])
		sources := []*yaml.Node{merged}
		if merged.Kind == yaml.SequenceNode {
			sources = merged.Content
		}
		for _, s := range sources {
			if k, v := lookupDepth(deref(s), key, depth+1); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// field returns the value of a mapping's field, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	_, v := lookup(m, key)
	return v
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}
