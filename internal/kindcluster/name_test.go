package kindcluster

import (
	"strings"
	"testing"
)

func TestNewName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ run, attempt, prefix string }{
		{"", "", "shipgate-"},
		{"12345678901", "2", "shipgate-12345678901-2-"},
		{"Run_ID/7", "1", "shipgate-run-id-7-1-"},
		{"1234-1", "", "shipgate-1234-1-"},
		{"--", "_", "shipgate-"},
		{strings.Repeat("9", 80), "3", "shipgate-99999"},
	} {
		seen := map[string]bool{}
		for range 200 {
			n := NewName(tc.run, tc.attempt)
			if !strings.HasPrefix(n, tc.prefix) {
				t.Errorf("NewName(%q, %q) = %s, want prefix %s", tc.run, tc.attempt, n, tc.prefix)
			}
			if err := checkName(n); err != nil {
				t.Error(err)
			}
			if seen[n] {
				t.Fatalf("NewName(%q, %q) repeated %s", tc.run, tc.attempt, n)
			}
			seen[n] = true
		}
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	for n, ok := range map[string]bool{
		"shipgate-1-a":          true,
		"a":                     true,
		"Shipgate":              false,
		"-a":                    false,
		"a-":                    false,
		"a_b":                   false,
		"":                      false,
		strings.Repeat("a", 50): true,
		strings.Repeat("a", 51): false,
		"shipgate.1":            false,
	} {
		if err := checkName(n); (err == nil) != ok {
			t.Errorf("checkName(%q) = %v, want ok=%t", n, err, ok)
		}
	}
}
