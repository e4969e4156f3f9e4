package ghemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// object is a resolved GraphQL object: its type name and a resolver for
// each field the emulator knows. Fields are resolved only when selected.
type object struct {
	typename string
	fields   map[string]resolver
}

// resolver answers one field from its arguments: a scalar or enum value,
// an *object, a []*object or nil; or an error, which nulls the field.
type resolver func(args map[string]any) (any, *gqlError)

// val is a resolver for a value known up front.
func val(v any) resolver {
	return func(map[string]any) (any, *gqlError) { return v, nil }
}

// executor runs one validated operation with s.mu held.
type executor struct {
	s      *Server
	ex     *exchange
	schema *ast.Schema
	vars   map[string]any
	errs   []gqlError
}

// selectionSet resolves set on obj, keeping the document's field order.
func (e *executor) selectionSet(set ast.SelectionSet, obj *object, path ast.Path) *fields {
	out := &fields{vals: map[string]any{}}
	e.collect(set, obj, path, out)
	return out
}

func (e *executor) collect(set ast.SelectionSet, obj *object, path ast.Path, out *fields) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if e.skipped(sel.Directives) {
				continue
			}
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			out.set(key, e.field(sel, obj, append(slices.Clip(path), ast.PathName(key))))
		case *ast.InlineFragment:
			if !e.skipped(sel.Directives) && e.applies(sel.TypeCondition, obj) {
				e.collect(sel.SelectionSet, obj, path, out)
			}
		case *ast.FragmentSpread:
			if !e.skipped(sel.Directives) && sel.Definition != nil && e.applies(sel.Definition.TypeCondition, obj) {
				e.collect(sel.Definition.SelectionSet, obj, path, out)
			}
		}
	}
}

// field resolves one field and completes its value with the field's
// selections.
func (e *executor) field(f *ast.Field, obj *object, path ast.Path) any {
	if f.Name == "__typename" {
		return obj.typename
	}
	r, ok := obj.fields[f.Name]
	if !ok {
		// The schema has the field (validation passed); the emulator lacks it.
		e.s.bugs = append(e.s.bugs, fmt.Sprintf("POST %s: GraphQL field %s.%s is valid but not emulated yet; add it in internal/ghemu/graphql_*.go",
			GraphQLPath, obj.typename, f.Name))
		e.errs = append(e.errs, gqlError{Path: path, Locations: locate(f), Message: "ghemu does not emulate " + obj.typename + "." + f.Name + " yet"})
		return nil
	}
	v, gerr := r(f.ArgumentMap(e.vars))
	if gerr != nil {
		gerr.Path, gerr.Locations = path, locate(f)
		e.errs = append(e.errs, *gerr)
		return nil
	}
	switch v := v.(type) {
	case *object:
		if v == nil {
			return nil
		}
		return e.selectionSet(f.SelectionSet, v, path)
	case []*object:
		out := make([]any, len(v))
		for i, o := range v {
			out[i] = e.selectionSet(f.SelectionSet, o, append(slices.Clip(path), ast.PathIndex(i)))
		}
		return out
	}
	return v
}

// applies reports whether a fragment on typeCondition applies to obj: the
// same type, or an interface or union obj's type belongs to.
func (e *executor) applies(typeCondition string, obj *object) bool {
	if typeCondition == "" || typeCondition == obj.typename {
		return true
	}
	for _, d := range e.schema.PossibleTypes[typeCondition] {
		if d.Name == obj.typename {
			return true
		}
	}
	return false
}

// skipped applies @skip(if:) and @include(if:).
func (e *executor) skipped(dirs ast.DirectiveList) bool {
	if d := dirs.ForName("skip"); d != nil && d.ArgumentMap(e.vars)["if"] == true {
		return true
	}
	if d := dirs.ForName("include"); d != nil && d.ArgumentMap(e.vars)["if"] == false {
		return true
	}
	return false
}

func locate(f *ast.Field) []gqlerror.Location {
	if f.Position == nil {
		return nil
	}
	return []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
}

// fields is a JSON object that keeps its keys in insertion order, as
// GraphQL responses follow the order of the selections.
type fields struct {
	keys []string
	vals map[string]any
}

func (f *fields) set(key string, v any) {
	if _, ok := f.vals[key]; !ok {
		f.keys = append(f.keys, key)
	}
	f.vals[key] = v
}

// MarshalJSON writes the keys in order.
func (f *fields) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range f.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := encode(f.vals[k])
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
