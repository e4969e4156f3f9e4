package manifest_test

import (
	"testing"

	"github.com/shipgate/shipgate/internal/manifest"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"deploy", "deploy/app.yaml", true},
		{"deploy", "deploy/base/app.yaml", true},
		{"deploy/", "deploy/app.yaml", true},
		{"./deploy", "deploy/app.yaml", true},
		{"/deploy", "deploy/app.yaml", true},
		{"deploy", "deployment/app.yaml", false},
		{"deploy", "other/deploy/app.yaml", false},
		{"deploy/app.yaml", "deploy/app.yaml", true},
		{"deploy/app.yaml", "deploy/app.yml", false},
		{"deploy/*.yaml", "deploy/app.yaml", true},
		{"deploy/*.yaml", "deploy/base/app.yaml", false},
		{"deploy/*", "deploy/base/app.yaml", true}, // below a matched directory
		{"deploy/**", "deploy/base/app.yaml", true},
		{"deploy/**/*.yaml", "deploy/app.yaml", true}, // ** matches no segment too
		{"deploy/**/*.yaml", "deploy/a/b/c/app.yaml", true},
		{"deploy/**/*.yaml", "deploy/a/b/c/app.json", false},
		{"**/k8s", "services/api/k8s/svc.yaml", true},
		{"**/k8s/*.yml", "k8s/svc.yml", true},
		{"**/k8s/*.yml", "k8s/svc.yaml", false},
		{"apps/*/overlays/prod", "apps/web/overlays/prod/patch.yaml", true},
		{"apps/*/overlays/prod", "apps/web/overlays/staging/patch.yaml", false},
		{"apps/[ab]*", "apps/api/x.yaml", true},
		{"apps/[ab]*", "apps/web/x.yaml", false},
		{".", "anything/at/all.yaml", true},
		{"**", "a.yaml", true},
		{"apps/[", "apps/[", false}, // malformed
		{"../deploy", "deploy/app.yaml", false},
		{"deploy", "./deploy/app.yaml", true},
	}
	for _, tt := range tests {
		if got := manifest.Match(tt.pattern, tt.path); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestValidatePattern(t *testing.T) {
	t.Parallel()
	for pattern, ok := range map[string]bool{
		"deploy":             true,
		"deploy/**/*.yaml":   true,
		".":                  true,
		"":                   false,
		"  ":                 false,
		"../other":           false,
		"deploy/[":           false,
		`deploy/\`:           false,
		"deploy/[a-z]*.yaml": true,
	} {
		if err := manifest.ValidatePattern(pattern); (err == nil) != ok {
			t.Errorf("ValidatePattern(%q) = %v, want ok=%v", pattern, err, ok)
		}
	}
}

func TestIsManifestPath(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"deploy/app.yaml": true,
		"deploy/app.yml":  true,
		"deploy/APP.YAML": true,
		"deploy/app.json": false,
		"deploy/yaml":     false,
		"README.md":       false,
	} {
		if got := manifest.IsManifestPath(path); got != want {
			t.Errorf("IsManifestPath(%q) = %v, want %v", path, got, want)
		}
	}
}
