// Package kubeapis knows which Kubernetes API versions are deprecated or
// removed, from the official Deprecated API Migration Guide, and turns a use
// of one into a finding for a target Kubernetes version. The table is the
// embedded apis.yaml; its top comment says where each field comes from and
// how to add a release.
package kubeapis

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/kubeversion"
)

// GuideURL is the Kubernetes Deprecated API Migration Guide.
const GuideURL = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"

// None is the Replacement of an API that has no successor API version.
const None = "none"

//go:embed apis.yaml
var apisYAML []byte

// Entry is one deprecated API version of one kind.
type Entry struct {
	// APIVersion is group/version as manifests write it, e.g. extensions/v1beta1.
	APIVersion string
	Kind       string
	// DeprecatedIn is the first release that deprecated it (patch unknown).
	DeprecatedIn kubeversion.Version
	// RemovedIn is the first release that no longer serves it; zero when no
	// removal is scheduled.
	RemovedIn kubeversion.Version
	// Replacement is the apiVersion to migrate to, or None.
	Replacement string
	// ReplacementSince is the first release that serves Replacement; zero
	// when the guide does not say.
	ReplacementSince kubeversion.Version
	// Section is the guide's anchor for the entry, e.g. ingress-v122.
	Section string
	// Notes sums up the notable changes the guide lists; may be empty.
	Notes string
}

// URL links the entry's section of the migration guide.
func (e Entry) URL() string {
	if e.Section == "" {
		return GuideURL
	}
	return GuideURL + "#" + e.Section
}

// table is the parsed apis.yaml.
type table struct {
	Schema  int    `yaml:"schema"`
	Checked string `yaml:"checked"`
	APIs    []struct {
		APIVersion       string              `yaml:"apiVersion"`
		Kind             string              `yaml:"kind"`
		DeprecatedIn     kubeversion.Version `yaml:"deprecatedIn"`
		RemovedIn        kubeversion.Version `yaml:"removedIn"`
		Replacement      string              `yaml:"replacement"`
		ReplacementSince kubeversion.Version `yaml:"replacementSince"`
		Section          string              `yaml:"section"`
		Notes            string              `yaml:"notes"`
	} `yaml:"apis"`
}

type key struct{ apiVersion, kind string }

type index struct {
	entries []Entry
	byKey   map[key]int
}

// load parses the embedded table once. The table ships with the binary and
// its tests parse it, so a failure here is a build defect: it panics.
var load = sync.OnceValue(func() index {
	ix, err := parse(apisYAML)
	if err != nil {
		panic(fmt.Sprintf("kubeapis: embedded apis.yaml: %v", err))
	}
	return ix
})

func parse(b []byte) (index, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var t table
	if err := dec.Decode(&t); err != nil {
		return index{}, err
	}
	if t.Schema != 1 {
		return index{}, fmt.Errorf("schema %d, want 1", t.Schema)
	}
	ix := index{byKey: make(map[key]int, len(t.APIs))}
	var errs []error
	for i, a := range t.APIs {
		e := Entry(a)
		where := fmt.Sprintf("entry %d (%s %s)", i+1, e.APIVersion, e.Kind)
		switch {
		case e.APIVersion == "" || e.Kind == "":
			errs = append(errs, fmt.Errorf("%s: apiVersion and kind are required", where))
		case e.DeprecatedIn.IsZero():
			errs = append(errs, fmt.Errorf("%s: deprecatedIn is required", where))
		case !e.RemovedIn.IsZero() && kubeversion.MinorsBetween(e.DeprecatedIn, e.RemovedIn) <= 0:
			errs = append(errs, fmt.Errorf("%s: removedIn %s is not after deprecatedIn %s", where, e.RemovedIn, e.DeprecatedIn))
		case e.Replacement == "":
			errs = append(errs, fmt.Errorf("%s: replacement is required (an apiVersion, or %q)", where, None))
		case e.Replacement == e.APIVersion:
			errs = append(errs, fmt.Errorf("%s: replacement is the API itself", where))
		case e.Replacement == None && !e.ReplacementSince.IsZero():
			errs = append(errs, fmt.Errorf("%s: replacementSince without a replacement", where))
		case !e.ReplacementSince.IsZero() && !e.RemovedIn.IsZero() && kubeversion.MinorsBetween(e.ReplacementSince, e.RemovedIn) < 0:
			errs = append(errs, fmt.Errorf("%s: replacementSince %s is after removedIn %s", where, e.ReplacementSince, e.RemovedIn))
		}
		k := key{e.APIVersion, e.Kind}
		if j, dup := ix.byKey[k]; dup {
			errs = append(errs, fmt.Errorf("%s: duplicate of entry %d", where, j+1))
			continue
		}
		ix.byKey[k] = len(ix.entries)
		ix.entries = append(ix.entries, e)
	}
	return ix, errors.Join(errs...)
}

// Entries returns a copy of the whole table, in the order of apis.yaml
// (newest removals first, as in the guide).
func Entries() []Entry {
	return append([]Entry(nil), load().entries...)
}

// Lookup returns the table entry for apiVersion and kind, which match exactly.
func Lookup(apiVersion, kind string) (Entry, bool) {
	ix := load()
	i, ok := ix.byKey[key{apiVersion, kind}]
	if !ok {
		return Entry{}, false
	}
	return ix.entries[i], true
}
