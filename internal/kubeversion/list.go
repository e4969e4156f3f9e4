package kubeversion

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// SkewWord is the word in a version list that stands for the target version
// and the two minor releases before it.
const SkewWord = "skew"

// ParseList reads a list of versions separated by commas or spaces, such as
// "v1.31.0, v1.30.4". The word skew adds the two minor releases before the
// target, the newest version listed: "v1.31.0, skew" is v1.31.0, v1.30, v1.29
// (patches unknown). A minor release already listed is not added again.
// The result is newest first, without duplicates.
func ParseList(s string) ([]Version, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(fields) == 0 {
		return nil, errors.New(`no version given; use the form v1.31.0, or "v1.31.0, skew"`)
	}
	var (
		vs   []Version
		skew bool
	)
	for _, f := range fields {
		if strings.EqualFold(f, SkewWord) {
			skew = true
			continue
		}
		v, err := Parse(f)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf(`%q needs a target version, as in "v1.31.0, %s"`, SkewWord, SkewWord)
	}
	vs = sortNewestFirst(vs)
	if skew {
		for _, w := range ExpandSkew(vs[0])[1:] {
			if !slices.ContainsFunc(vs, func(v Version) bool { return MinorsBetween(v, w) == 0 }) {
				vs = append(vs, w)
			}
		}
		vs = sortNewestFirst(vs)
	}
	return vs, nil
}

// ExpandSkew returns target and the two minor releases before it, with their
// patches unknown: v1.31.0 gives v1.31.0, v1.30, v1.29. Minor releases below
// 0 are left out.
func ExpandSkew(target Version) []Version {
	out := []Version{target}
	for d := 1; d <= 2 && target.Minor-d >= 0; d++ {
		out = append(out, Version{Major: target.Major, Minor: target.Minor - d, Patch: UnknownPatch})
	}
	return out
}

func sortNewestFirst(vs []Version) []Version {
	slices.SortFunc(vs, func(a, b Version) int { return b.Compare(a) })
	return slices.CompactFunc(vs, func(a, b Version) bool { return a.Compare(b) == 0 })
}
