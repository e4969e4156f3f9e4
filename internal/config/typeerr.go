package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// typeErrors walks the document in data beside the type of Config and
// returns one error for each value its field cannot hold, naming the
// field's path (e.g. sandbox.service[0].p95), the value, its line and what
// to write instead. It finds what yaml.v3 reports as "cannot unmarshal" (and
// a custom type's own error, such as Percent's) for every field of every
// section, with no list of fields to keep up to date.
func typeErrors(name string, data []byte) []error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	var errs []error
	walkType(doc.Content[0], reflect.TypeFor[Config](), "", func(n *yaml.Node, where, fix string) {
		errs = append(errs, fmt.Errorf("config %s:%d: %s is %s; %s", name, n.Line, where, describe(n), fix))
	})
	return errs
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	linePrefix      = regexp.MustCompile(`^(yaml: )?line \d+: `)
)

// walkType calls bad for each node under n that a value of type t cannot
// hold, with the path where and the fix.
func walkType(n *yaml.Node, t reflect.Type, where string, bad func(n *yaml.Node, where, fix string)) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Tag == "!!null" {
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			bad(n, where, linePrefix.ReplaceAllString(err.Error(), ""))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			bad(n, where, fmt.Sprintf("want a mapping of fields (%s)", strings.Join(known[t.Name()], ", ")))
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if ft, ok := fields[key]; ok {
				walkType(n.Content[i+1], ft, join(where, key), bad)
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			bad(n, where, "want a mapping of names to values, e.g. {X-Env: prod}")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkType(n.Content[i+1], t.Elem(), join(where, n.Content[i].Value), bad)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			bad(n, where, "want a list, e.g. [a, b] or one \"- item\" per line")
			return
		}
		for i, item := range n.Content {
			walkType(item, t.Elem(), fmt.Sprintf("%s[%d]", where, i), bad)
		}
	case reflect.Interface:
		// Any value will do.
	default:
		if n.Kind != yaml.ScalarNode || n.Decode(reflect.New(t).Interface()) != nil {
			bad(n, where, scalarFix(t))
		}
	}
}

// scalarFix says what a field of type t takes.
func scalarFix(t reflect.Type) string {
	switch {
	case t == durationType:
		return "want a Go duration such as 500ms, 30s or 2m"
	case t.Kind() == reflect.Bool:
		return "want true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "want a whole number such as 3"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "want a number such as 0.5"
	case t.Kind() == reflect.String:
		return "want a single value (quote it if it starts with [ or {)"
	}
	return "want a " + t.String()
}

// describe shows a node the way the user wrote it: a scalar quoted, a list
// or mapping by its kind.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return fmt.Sprintf("%q", n.Value)
}

// yamlFields maps a struct's yaml field names, inline structs' included, to
// their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case opts == "inline":
			for k, v := range yamlFields(f.Type) {
				fields[k] = v
			}
		case name == "":
			fields[strings.ToLower(f.Name)] = f.Type
		default:
			fields[name] = f.Type
		}
	}
	return fields
}

func join(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}
