package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const full = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "servers": [{"url": "https://api.github.com"}],
  "tags": [{"name": "dropped"}],
  "paths": {
    "/a/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"operationId": "a/get", "responses": {"200": {"$ref": "#/components/responses/ok"}}},
      "delete": {"operationId": "a/delete", "responses": {"204": {"description": "gone"}}}
    },
    "/b": {"get": {"operationId": "b/get", "responses": {"200": {"description": "<b>"}}}}
  },
  "components": {
    "parameters": {"id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}},
    "responses": {"ok": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}}},
    "schemas": {
      "thing": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/user"}}},
      "user": {"type": "object", "properties": {"friend": {"$ref": "#/components/schemas/user"}}},
      "unused": {"type": "string"}
    }
  }
}`

func TestSubset(t *testing.T) {
	t.Parallel()
	out, err := Subset([]byte(full), []string{"a/get"}, Source{Package: "@octokit/openapi@1.0.0", File: "api.json"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info       map[string]json.RawMessage            `json:"info"`
		Tags       []any                                 `json:"tags"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
		Servers    []map[string]string                   `json:"servers"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for path, item := range doc.Paths {
		for key := range item {
			got = append(got, path+" "+key)
		}
	}
	for kind, m := range doc.Components {
		for name := range m {
			got = append(got, kind+"/"+name)
		}
	}
	slices.Sort(got)
	want := []string{"/a/{id} get", "/a/{id} parameters", "parameters/id", "responses/ok", "schemas/thing", "schemas/user"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if doc.Tags != nil || len(doc.Servers) != 1 {
		t.Errorf("tags %v servers %v: want tags dropped and servers kept", doc.Tags, doc.Servers)
	}
	if note := string(doc.Info["x-subset-of"]); !strings.Contains(note, `"@octokit/openapi@1.0.0"`) || !strings.Contains(note, `"a/get"`) {
		t.Errorf("info.x-subset-of = %s, want the source and operations", note)
	}
}

func TestSubsetErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		ids       []string
		want      string
	}{
		{"unknown operation", full, []string{"a/get", "c/put"}, "operations not in the description: c/put"},
		{"dangling ref", strings.Replace(full, `"#/components/schemas/user"}}}`, `"#/components/schemas/nobody"}}}`, 1), []string{"a/get"}, `dangling $ref "#/components/schemas/nobody"`},
		{"not JSON", "{", []string{"a/get"}, "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Subset([]byte(tt.doc), tt.ids, Source{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
