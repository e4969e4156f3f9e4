package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Source names where the full description came from; it is recorded in the
// subset's info as x-subset-of.
type Source struct {
	Package string `json:"package"`
	File    string `json:"file"`
}

// description is the part of an OpenAPI document the subset keeps. Values
// stay raw so that everything kept is byte-for-byte the original (apart from
// indentation); only the maps around them are rebuilt.
type description struct {
	OpenAPI    json.RawMessage                       `json:"openapi"`
	Info       map[string]json.RawMessage            `json:"info"`
	Servers    json.RawMessage                       `json:"servers,omitempty"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components,omitempty"`
}

// methods are the keys of a path item that hold an operation.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Subset returns full trimmed to the operations whose operationId is in ids,
// their path items' shared fields (parameters, summary), and the transitive
// closure of every local $ref they use. Every id must exist.
func Subset(full []byte, ids []string, src Source) ([]byte, error) {
	var doc description
	if err := json.Unmarshal(full, &doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}

	out := description{OpenAPI: doc.OpenAPI, Info: doc.Info, Servers: doc.Servers, Paths: map[string]map[string]json.RawMessage{}}
	found := map[string]bool{}
	var kept []json.RawMessage
	for path, item := range doc.Paths {
		trimmed := map[string]json.RawMessage{}
		for key, raw := range item {
			if !slices.Contains(methods, key) {
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("decode %s %s: %w", key, path, err)
			}
			if want[op.OperationID] {
				found[op.OperationID] = true
				trimmed[key] = raw
			}
		}
		if len(trimmed) == 0 {
			continue
		}
		for key, raw := range item {
			if !slices.Contains(methods, key) {
				trimmed[key] = raw
			}
		}
		out.Paths[path] = trimmed
		for _, raw := range trimmed {
			kept = append(kept, raw)
		}
	}
	var missing []string
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("operations not in the description: %s", strings.Join(missing, ", "))
	}

	components, err := closure(doc.Components, kept)
	if err != nil {
		return nil, err
	}
	out.Components = components

	note, err := json.Marshal(struct {
		Source
		Operations []string `json:"operations"`
	}{src, slices.Sorted(slices.Values(ids))})
	if err != nil {
		return nil, err
	}
	out.Info = maps.Clone(doc.Info)
	out.Info["x-subset-of"] = note

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// closure returns the components reachable through $ref from roots.
func closure(all map[string]map[string]json.RawMessage, roots []json.RawMessage) (map[string]map[string]json.RawMessage, error) {
	out := map[string]map[string]json.RawMessage{}
	queue := roots
	for len(queue) > 0 {
		raw := queue[0]
		queue = queue[1:]
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		for _, ref := range refs(v, nil) {
			kind, name, err := splitRef(ref)
			if err != nil {
				return nil, err
			}
			if _, seen := out[kind][name]; seen {
				continue
			}
			target, ok := all[kind][name]
			if !ok {
				return nil, fmt.Errorf("dangling $ref %q", ref)
			}
			if out[kind] == nil {
				out[kind] = map[string]json.RawMessage{}
			}
			out[kind][name] = target
			queue = append(queue, target)
		}
	}
	return out, nil
}

// refs appends to acc every "$ref" string found in v.
func refs(v any, acc []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "$ref" {
				acc = append(acc, s)
				continue
			}
			acc = refs(child, acc)
		}
	case []any:
		for _, child := range v {
			acc = refs(child, acc)
		}
	}
	return acc
}

// splitRef turns "#/components/schemas/check-run" into ("schemas", "check-run").
func splitRef(ref string) (kind, name string, err error) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 2 {
		return "", "", fmt.Errorf("unsupported $ref %q: only #/components/<kind>/<name> is handled", ref)
	}
	unescape := strings.NewReplacer("~1", "/", "~0", "~")
	return parts[0], unescape.Replace(parts[1]), nil
}
