package imageindex

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// operatingSystems and architectures are the GOOS and GOARCH values images
// are built for.
var (
	operatingSystems = []string{"linux", "windows"}
	architectures    = []string{"386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64", "ppc64le", "riscv64", "s390x"}
	// defaultVariant is the variant an image without one has, as containerd
	// normalises platforms: linux/arm64 is linux/arm64/v8.
	defaultVariant = map[string]string{"amd64": "v1", "arm": "v7", "arm64": "v8"}
	variantPattern = regexp.MustCompile(`^v[0-9]+(\.[0-9]+)?$`)
)

// ParsePlatform parses os/arch[/variant], e.g. linux/arm64 or linux/arm/v7.
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm/v7", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	if !slices.Contains(operatingSystems, p.OS) {
		return p, fmt.Errorf("platform %q: unknown os %q; use one of %s", s, p.OS, strings.Join(operatingSystems, ", "))
	}
	if !slices.Contains(architectures, p.Architecture) {
		return p, fmt.Errorf("platform %q: unknown architecture %q; use a GOARCH: %s", s, p.Architecture, strings.Join(architectures, ", "))
	}
	if len(parts) == 3 {
		if _, ok := defaultVariant[p.Architecture]; !ok {
			return p, fmt.Errorf("platform %q: %s has no variants; write %s/%s", s, p.Architecture, p.OS, p.Architecture)
		}
		if !variantPattern.MatchString(p.Variant) {
			return p, fmt.Errorf("platform %q: variant %q is not like v7 or v8.2", s, p.Variant)
		}
	}
	return p, nil
}

// ParsePlatforms parses a comma- or newline-separated list of platforms and
// refuses duplicates (linux/arm64 and linux/arm64/v8 are the same platform).
func ParsePlatforms(list string) ([]v1.Platform, error) {
	var out []v1.Platform
	seen := map[string]string{}
	for _, s := range SplitList(list) {
		p, err := ParsePlatform(s)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[Key(p)]; dup {
			return nil, fmt.Errorf("platform %q is listed twice (also as %q); list each platform once", s, first)
		}
		seen[Key(p)] = s
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no platforms; list at least one, e.g. linux/amd64,linux/arm64")
	}
	return out, nil
}

// SplitList splits a comma- or newline-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Format renders a platform as os/arch[/variant].
func Format(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Key is the platform with its default variant filled in, so that equal
// platforms have equal keys.
func Key(p v1.Platform) string {
	if p.Variant == "" {
		p.Variant = defaultVariant[p.Architecture]
	}
	return Format(p)
}

// Same reports whether a and b are the same os, architecture and variant,
// a missing variant being the architecture's default.
func Same(a, b v1.Platform) bool { return Key(a) == Key(b) }
