// Package kubeversion parses Kubernetes versions, knows the Kubernetes version
// skew policy, and checks the upgrade path a pull request proposes: which
// Kubernetes version references (kind node images, version files) it changes
// and whether the change is one the control plane supports.
package kubeversion

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// UnknownPatch is the Patch of a version written without one, such as v1.31.
const UnknownPatch = -1

// Version is a Kubernetes release version, major.minor.patch. A Patch of
// UnknownPatch (or any negative value) means the patch was not given.
type Version struct {
	Major, Minor, Patch int
}

// ParseError says that a string is not a Kubernetes version. Callers that
// know which input the string came from prefix it, as in
// `kubernetes-version: "1.x" is not a version; use the form v1.31.0`.
type ParseError struct {
	Input string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%q is not a version; use the form v1.31.0", e.Input)
}

var versionRE = regexp.MustCompile(`^v?([0-9]{1,9})\.([0-9]{1,9})(?:\.([0-9]{1,9}))?$`)

// Parse reads v1.31.0, 1.31.0 or v1.31 (patch unknown). Pre-release and build
// suffixes (v1.31.0-rc.1, v1.31.0+k3s1) are rejected, as is a major version 0.
func Parse(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, &ParseError{Input: s}
	}
	v := Version{Patch: UnknownPatch}
	v.Major, _ = strconv.Atoi(m[1]) // nine digits cannot overflow an int
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	if v.Major == 0 {
		return Version{}, &ParseError{Input: s}
	}
	return v, nil
}

// MustParse is Parse for constants in tests and tables; it panics on error.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String renders v as v1.31.0, or v1.31 when the patch is unknown.
func (v Version) String() string {
	if !v.PatchKnown() {
		return fmt.Sprintf("v%d.%d", v.Major, v.Minor)
	}
	return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// PatchKnown reports whether the version was given with a patch number.
func (v Version) PatchKnown() bool { return v.Patch >= 0 }

// IsZero reports whether v is the zero Version, which Parse never returns.
func (v Version) IsZero() bool { return v == Version{} }

// MinorOnly returns v with the patch unknown, e.g. v1.31 for v1.31.4.
func (v Version) MinorOnly() Version {
	return Version{Major: v.Major, Minor: v.Minor, Patch: UnknownPatch}
}

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w.
// An unknown patch sorts before patch 0, so v1.31 < v1.31.0.
func (v Version) Compare(w Version) int {
	a, b := v.normPatch(), w.normPatch()
	for _, d := range [...]int{v.Major - w.Major, v.Minor - w.Minor, a - b} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}

func (v Version) normPatch() int {
	if v.Patch < 0 {
		return UnknownPatch
	}
	return v.Patch
}

// MinorsBetween returns how many minor releases to is ahead of from: 2 for
// v1.29.3 → v1.31.0, -1 for v1.31.0 → v1.30.2, 0 for patch changes.
// Kubernetes has only had major version 1; across majors each major counts as
// 1000 minors, so every skew rule treats the pair as out of policy.
func MinorsBetween(from, to Version) int {
	return (to.Major-from.Major)*1000 + (to.Minor - from.Minor)
}

// MarshalText renders v as String does, so versions read well in JSON and YAML.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses text as Parse does.
func (v *Version) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*v = p
	return nil
}
