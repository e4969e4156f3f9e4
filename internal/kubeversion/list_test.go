package kubeversion

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseList(t *testing.T) {
	t.Parallel()
	u := UnknownPatch
	tests := []struct {
		in      string
		want    []Version
		wantErr string
	}{
		{in: "v1.31.0", want: []Version{{1, 31, 0}}},
		{in: "v1.31.0, v1.30.4", want: []Version{{1, 31, 0}, {1, 30, 4}}},
		{in: "v1.30.4 v1.31.0,,v1.31.0", want: []Version{{1, 31, 0}, {1, 30, 4}}},
		{in: "v1.31.0, skew", want: []Version{{1, 31, 0}, {1, 30, u}, {1, 29, u}}},
		{in: "SKEW 1.31.2", want: []Version{{1, 31, 2}, {1, 30, u}, {1, 29, u}}},
		{in: "v1.31.0, v1.30.4, skew", want: []Version{{1, 31, 0}, {1, 30, 4}, {1, 29, u}}},
		{in: "v1.29.1, skew, v1.31.0", want: []Version{{1, 31, 0}, {1, 30, u}, {1, 29, 1}}},
		{in: "v1.1.0, skew", want: []Version{{1, 1, 0}, {1, 0, u}}},
		{in: "", wantErr: `no version given; use the form v1.31.0, or "v1.31.0, skew"`},
		{in: " , ", wantErr: `no version given; use the form v1.31.0, or "v1.31.0, skew"`},
		{in: "skew", wantErr: `"skew" needs a target version, as in "v1.31.0, skew"`},
		{in: "v1.31.0, 1.x", wantErr: `"1.x" is not a version; use the form v1.31.0`},
		{in: "v1.31.0; v1.30.0", wantErr: `"v1.31.0;" is not a version; use the form v1.31.0`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseList(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseList(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseList(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseList(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestExpandSkew(t *testing.T) {
	t.Parallel()
	got := ExpandSkew(MustParse("v1.31.0"))
	want := []Version{{1, 31, 0}, {1, 30, UnknownPatch}, {1, 29, UnknownPatch}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExpandSkew mismatch (-want +got):\n%s", diff)
	}
}
