// Package config reads shipgate's optional configuration file (the config
// input): YAML, one section per stage. The zero value of every struct is the
// default, and a file is validated completely before any side effect; errors
// name the field and the fix.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the whole file.
type Config struct {
	MergeCheck MergeCheck `yaml:"merge-check"`
	Sandbox    Sandbox    `yaml:"sandbox"`
	Smoke      Smoke      `yaml:"smoke"`
	Promote    Promote    `yaml:"promote"`
}

// MergeCheck configures the merge-check stage.
type MergeCheck struct {
	// VersionFiles are repository paths of files that hold the cluster's
	// Kubernetes version (e.g. "cluster/VERSION"); changing them is checked
	// against the upgrade path. kind node image tags are found without this.
	VersionFiles []string `yaml:"version-files"`
	// Ignore lists globs of manifest paths the stage skips (e.g. "deploy/legacy/**").
	Ignore []string `yaml:"ignore"`
	// MergeableAttempts is how often GitHub is asked whether a pull request is
	// mergeable while it still computes the answer; 0 means 5.
	MergeableAttempts int `yaml:"mergeable-attempts"`
}

// Attempts returns MergeableAttempts or its default.
func (m MergeCheck) Attempts() int {
	if m.MergeableAttempts == 0 {
		return 5
	}
	return m.MergeableAttempts
}

// Load reads and validates the file at p, relative to root unless it is
// absolute. An empty p is the default configuration.
func Load(root, p string) (Config, error) {
	if p == "" {
		return Config{}, nil
	}
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(root, p)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Config{}, fmt.Errorf("input config: %s does not exist; give the path of a shipgate config file relative to the workspace, or leave config empty", p)
		}
		return Config{}, fmt.Errorf("input config: %w", err)
	}
	return Parse(p, data)
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type config\.(\w+)`)

// Parse validates data read from name.
func Parse(name string, data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		errs := typeErrors(name, data)
		for _, line := range strings.Split(err.Error(), "\n") {
			if m := unknownField.FindStringSubmatch(line); m != nil {
				errs = append(errs, fmt.Errorf("config %s:%s: unknown field %q in %s; known fields: %s", name, m[1], m[2], section(m[3]), strings.Join(known[m[3]], ", ")))
			}
		}
		if len(errs) > 0 {
			return Config{}, errors.Join(errs...)
		}
		return Config{}, fmt.Errorf("config %s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", name, err)
	}
	return c, nil
}

// known lists each struct's fields for error messages, and section names
// each struct by where it sits in the file; both are read off the yaml tags.
var known, sections = fieldsOf(reflect.TypeFor[Config]())

func fieldsOf(root reflect.Type) (map[string][]string, map[string]string) {
	known, sections := map[string][]string{}, map[string]string{}
	var walk func(t reflect.Type, where string)
	walk = func(t reflect.Type, where string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != root.PkgPath() {
			return
		}
		if _, seen := known[t.Name()]; seen {
			// A type used in several places (HTTPCheck) is named by all of them.
			sections[t.Name()] += " or " + where
			return
		}
		known[t.Name()] = yamlNames(t)
		sections[t.Name()] = where
		for f := range t.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			switch {
			case opts == "inline":
				walk(f.Type, where)
			case where == "":
				walk(f.Type, name)
			default:
				walk(f.Type, where+"."+name)
			}
		}
	}
	walk(root, "")
	return known, sections
}

// yamlNames lists a struct's yaml field names, inline structs' included.
func yamlNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			names = append(names, yamlNames(f.Type)...)
			continue
		}
		names = append(names, name)
	}
	return names
}

func section(typ string) string {
	if s := sections[typ]; s != "" {
		return s
	}
	return "the top level"
}

func (c Config) validate() error {
	errs := []error{c.Sandbox.validate(), c.Smoke.validate(), c.Promote.validate()}
	m := c.MergeCheck
	if m.MergeableAttempts < 0 || m.MergeableAttempts > 20 {
		errs = append(errs, fmt.Errorf("merge-check.mergeable-attempts is %d; use a number from 1 to 20 (or leave it out for 5)", m.MergeableAttempts))
	}
	for i, f := range m.VersionFiles {
		if f == "" || path.IsAbs(f) || strings.HasPrefix(path.Clean(f), "..") {
			errs = append(errs, fmt.Errorf("merge-check.version-files[%d] %q must be a path inside the repository, e.g. cluster/VERSION", i, f))
		}
	}
	for i, g := range m.Ignore {
		if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
			errs = append(errs, fmt.Errorf("merge-check.ignore[%d] %q is not a valid glob: %v", i, g, err))
		}
	}
	return errors.Join(errs...)
}
