package config

import (
	"strings"
	"testing"
)

func TestParity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml string
		wantMin    Percent
		wantNS     string
		wantErr    string
	}{
		{name: "defaults", yaml: "sandbox: {}\n", wantMin: 0.9, wantNS: "default"},
		{name: "a percentage", yaml: "sandbox:\n  parity:\n    min: 95%\n    namespace: shop\n", wantMin: 0.95, wantNS: "shop"},
		{name: "a fraction", yaml: "sandbox:\n  parity:\n    min: 0.8\n", wantMin: 0.8, wantNS: "default"},
		{name: "above 100%", yaml: "sandbox:\n  parity:\n    min: 120%\n", wantErr: "sandbox.parity.min 120%: want 0% to 100%, e.g. 90%"},
		{name: "not a percentage", yaml: "sandbox:\n  parity:\n    min: most\n", wantErr: `"most" is not a percentage`},
		{name: "a namespace that cannot be", yaml: "sandbox:\n  parity:\n    namespace: Shop_1\n", wantErr: `sandbox.parity.namespace "Shop_1": want a namespace name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse("shipgate.yml", []byte(tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p := c.Sandbox.Parity; p.Minimum() != tc.wantMin || p.ProductionNamespace() != tc.wantNS {
				t.Errorf("min %v namespace %q, want %v %q", p.Minimum(), p.ProductionNamespace(), tc.wantMin, tc.wantNS)
			}
		})
	}
}
