package kubeversion

import "testing"

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to string
		want     Change
	}{
		{"v1.30.0", "v1.30.0", Unchanged},
		{"v1.30", "v1.30.4", Unchanged},
		{"v1.30.4", "v1.30", Unchanged},
		{"v1.30.0", "v1.30.4", Patch},
		{"v1.30.4", "v1.30.1", Patch},
		{"v1.30.4", "v1.31.0", Minor},
		{"v1.30", "v1.31", Minor},
		{"v1.29.2", "v1.31.0", MinorSkip},
		{"v1.31.0", "v2.0.0", MinorSkip},
		{"v1.31.0", "v1.30.9", Downgrade},
		{"v2.0.0", "v1.40.0", Downgrade},
	}
	for _, tt := range tests {
		if got := Classify(MustParse(tt.from), MustParse(tt.to)); got != tt.want {
			t.Errorf("Classify(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
	if got := Change(42).String(); got != "unknown" {
		t.Errorf("Change(42).String() = %q, want unknown", got)
	}
}
