package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseTypeErrors checks that a value of the wrong type is reported
// with the field's path, the value, the line and the fix, for every kind
// of field in every section.
func TestParseTypeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"duration in a list item", "sandbox:\n  service:\n    - service: web\n      p95: fast\n",
			[]string{`config s.yml:4: sandbox.service[0].p95 is "fast"; want a Go duration such as 500ms, 30s or 2m`}},
		{"duration without a unit", "smoke:\n  checks:\n    - {service: web, deadline: 60}\n",
			[]string{`config s.yml:3: smoke.checks[0].deadline is "60"; want a Go duration such as 500ms, 30s or 2m`}},
		{"int", "sandbox:\n  max-restarts: one\n",
			[]string{`config s.yml:2: sandbox.max-restarts is "one"; want a whole number such as 3`}},
		{"float behind a pointer", "sandbox:\n  service:\n    - {service: web, max-error-rate: low}\n",
			[]string{`config s.yml:3: sandbox.service[0].max-error-rate is "low"; want a number such as 0.5`}},
		{"bool", "promote:\n  rollback-on-cancel: sometimes\n",
			[]string{`config s.yml:2: promote.rollback-on-cancel is "sometimes"; want true or false`}},
		{"percentage", "promote:\n  rollback:\n    thresholds: {error-rate: lots}\n",
			[]string{`config s.yml:3: promote.rollback.thresholds.error-rate is "lots"; "lots" is not a percentage; write it as 1% or as a fraction such as 0.01`}},
		{"duration deep in promote", "promote:\n  rollback:\n    drop:\n      - {name: orders, by: 30%, baseline: yesterday}\n",
			[]string{`config s.yml:4: promote.rollback.drop[0].baseline is "yesterday"; want a Go duration such as 500ms, 30s or 2m`}},
		{"list given a scalar", "merge-check:\n  ignore: deploy/legacy/**\n",
			[]string{`config s.yml:2: merge-check.ignore is "deploy/legacy/**"; want a list, e.g. [a, b] or one "- item" per line`}},
		{"section given a list", "smoke:\n  - checks\n",
			[]string{`config s.yml:2: smoke is a list; want a mapping of fields (checks, disruption, load, rehearse-rollback)`}},
		{"map given a scalar", "smoke:\n  checks:\n    - {service: web, headers: X-Env}\n",
			[]string{`config s.yml:3: smoke.checks[0].headers is "X-Env"; want a mapping of names to values`}},
		{"string given a mapping", "sandbox:\n  service:\n    - service: {name: web}\n",
			[]string{`config s.yml:3: sandbox.service[0].service is a mapping; want a single value`}},
		{"every error at once, unknown fields too", "merge-check:\n  mergeable-attempts: many\n  versoin-files: []\nsmoke:\n  disruption: {rate: fast, max-disruption: 1}\n",
			[]string{
				`config s.yml:2: merge-check.mergeable-attempts is "many"; want a whole number such as 3`,
				`config s.yml:5: smoke.disruption.rate is "fast"; want a number such as 0.5`,
				`config s.yml:5: smoke.disruption.max-disruption is "1"; want a Go duration such as 500ms, 30s or 2m`,
				`config s.yml:3: unknown field "versoin-files" in merge-check`,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("s.yml", []byte(tc.in))
			if err == nil {
				t.Fatal("Parse() succeeded")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("Parse() error has %d lines, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error line %d = %q\nwant it to start with %q", i+1, lines[i], w)
				}
			}
		})
	}
}

// TestTypeErrorsCoverEveryField writes a wrong value into each scalar field
// of Config, found by reflection (so sections added later are covered), and
// expects an error that names the field's path.
func TestTypeErrorsCoverEveryField(t *testing.T) {
	t.Parallel()
	paths := map[string]reflect.Kind{}
	var walk func(t reflect.Type, where string)
	walk = func(t reflect.Type, where string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.String {
			walk(t.Elem(), where+"[0]")
			return
		}
		if t.Kind() != reflect.Struct {
			if t.Kind() != reflect.String && t.Kind() != reflect.Interface {
				paths[where] = t.Kind()
			}
			return
		}
		for name, ft := range yamlFields(t) {
			walk(ft, join(where, name))
		}
	}
	walk(reflect.TypeFor[Config](), "")
	if len(paths) < 30 {
		t.Fatalf("found %d typed fields; the walk is broken", len(paths))
	}
	for p, kind := range paths {
		wrong := "[a, list]"
		if kind == reflect.Slice {
			wrong = "{a: mapping}"
		}
		doc := docAt(p, wrong)
		_, err := Parse("s.yml", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), " "+p+" is ") {
			t.Errorf("a wrong value at %s: error %v\nwant it to name %s; document:\n%s", p, err, p, doc)
		}
	}
}

// docAt builds a YAML document that sets the field at path (a.b[0].c) to
// value, in flow style.
func docAt(path, value string) string {
	doc := value
	parts := strings.Split(path, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		key, list := strings.CutSuffix(parts[i], "[0]")
		if list {
			doc = "[" + doc + "]"
		}
		doc = "{" + key + ": " + doc + "}"
	}
	return doc + "\n"
}
