package manifest

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// IsManifestPath reports whether a file is YAML by its extension (.yaml or
// .yml, in any case).
func IsManifestPath(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// Match reports whether a slash-separated path, relative to the repository
// root, is selected by a pattern of the manifests input. A pattern selects
// every path it matches and everything below a directory it matches, so a
// directory ("deploy"), a file ("deploy/app.yaml") and a glob
// ("deploy/*/overlays", "**/k8s/*.yaml") all work. Segments match as with
// path.Match; a "**" segment matches any number of segments, none included.
// "." selects everything. Match does not look at extensions: combine it with
// IsManifestPath. A malformed pattern matches nothing; check patterns with
// ValidatePattern first.
func Match(pattern, p string) bool {
	pat, ok := cleanPattern(pattern)
	if !ok {
		return false
	}
	p = path.Clean("/" + p)[1:]
	if pat == "" {
		return true
	}
	if p == "" {
		return false
	}
	// Everything below a match: as if the pattern ended in /**.
	return matchSegments(append(strings.Split(pat, "/"), "**"), strings.Split(p, "/"))
}

// ValidatePattern reports what is wrong with a pattern of the manifests
// input, and how to fix it.
func ValidatePattern(pattern string) error {
	if strings.TrimSpace(pattern) == "" {
		return errors.New("manifests pattern is empty: name a directory, a file or a glob such as deploy/**/*.yaml")
	}
	pat, ok := cleanPattern(pattern)
	if !ok {
		return fmt.Errorf("manifests pattern %q leaves the repository: use a path relative to the repository root", pattern)
	}
	for _, seg := range strings.Split(pat, "/") {
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("manifests pattern %q has a malformed segment %q: close its [ ] and escape a literal \\ as \\\\", pattern, seg)
		}
	}
	return nil
}

// cleanPattern normalizes a pattern to a relative, clean path; "" selects
// everything. ok is false when the pattern climbs out of the repository.
func cleanPattern(pattern string) (string, bool) {
	p := path.Clean(strings.TrimSpace(pattern))
	p = strings.TrimLeft(p, "/")
	if p == "." || p == "" {
		return "", true
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// matchSegments matches path segments against pattern segments, with "**"
// matching any number of them.
func matchSegments(pat, segs []string) bool {
	// ok[j] reports whether pat[i:] matches segs[j:], for i from the end.
	ok := make([]bool, len(segs)+1)
	ok[len(segs)] = true
	for i := len(pat) - 1; i >= 0; i-- {
		next := ok
		ok = make([]bool, len(segs)+1)
		if pat[i] == "**" {
			// ** matches segs[j:k] for any k ≥ j.
			seen := false
			for j := len(segs); j >= 0; j-- {
				seen = seen || next[j]
				ok[j] = seen
			}
			continue
		}
		for j := 0; j < len(segs); j++ {
			m, err := path.Match(pat[i], segs[j])
			ok[j] = err == nil && m && next[j+1]
		}
	}
	return ok[0]
}
