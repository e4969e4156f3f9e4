package parity_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/shipgate/shipgate/internal/parity"
)

// TestReadmeRole keeps the README's read-only ClusterRole equal to the
// rules Read needs.
func TestReadmeRole(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "### Parity with production")
	if !ok {
		t.Fatal("README has no section ### Parity with production")
	}
	_, block, ok := strings.Cut(section, "```yaml\napiVersion: rbac.authorization.k8s.io/v1\n")
	if !ok {
		t.Fatal("the section has no ClusterRole block")
	}
	block, _, _ = strings.Cut(block, "```")
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict([]byte("apiVersion: rbac.authorization.k8s.io/v1\n"+block), &role); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(parity.ReadOnlyClusterRole("shipgate-parity-read"), &role); diff != "" {
		t.Errorf("README's ClusterRole differs from parity.ReadOnlyRules (-code +README):\n%s", diff)
	}
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v != "get" && v != "list" {
				t.Errorf("rule %+v has verb %s: the role may only get and list", r, v)
			}
		}
	}
}
