package kubeversion

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Version
		wantErr string
	}{
		{in: "v1.31.0", want: Version{1, 31, 0}},
		{in: "1.31.0", want: Version{1, 31, 0}},
		{in: "  v1.30.4\n", want: Version{1, 30, 4}},
		{in: "v1.31", want: Version{1, 31, UnknownPatch}},
		{in: "1.9", want: Version{1, 9, UnknownPatch}},
		{in: "v1.100.12", want: Version{1, 100, 12}},
		{in: "1.x", wantErr: `"1.x" is not a version; use the form v1.31.0`},
		{in: "", wantErr: `"" is not a version; use the form v1.31.0`},
		{in: "v1", wantErr: `"v1" is not a version; use the form v1.31.0`},
		{in: "latest", wantErr: `"latest" is not a version; use the form v1.31.0`},
		{in: "v1.31.0-rc.1", wantErr: `"v1.31.0-rc.1" is not a version; use the form v1.31.0`},
		{in: "v1.31.0+k3s1", wantErr: `"v1.31.0+k3s1" is not a version; use the form v1.31.0`},
		{in: "v1.31.0.1", wantErr: `"v1.31.0.1" is not a version; use the form v1.31.0`},
		{in: "V1.31.0", wantErr: `"V1.31.0" is not a version; use the form v1.31.0`},
		{in: "v0.31.0", wantErr: `"v0.31.0" is not a version; use the form v1.31.0`},
		{in: "v1.-1.0", wantErr: `"v1.-1.0" is not a version; use the form v1.31.0`},
		{in: "v1.9999999999.0", wantErr: `"v1.9999999999.0" is not a version; use the form v1.31.0`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Input != tt.in {
					t.Errorf("Parse(%q) error is not a *ParseError for the input: %#v", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    Version
		want string
	}{
		{Version{1, 31, 0}, "v1.31.0"},
		{Version{1, 31, UnknownPatch}, "v1.31"},
		{Version{1, 31, -7}, "v1.31"},
		{MustParse("1.29.10"), "v1.29.10"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"v1.31.0", "v1.31.0", 0},
		{"v1.31.0", "v1.31.1", -1},
		{"v1.31.10", "v1.31.9", 1},
		{"v1.30.9", "v1.31.0", -1},
		{"v1.31", "v1.31.0", -1},
		{"v1.31", "v1.31", 0},
		{"v2.0.0", "v1.99.99", 1},
	}
	for _, tt := range tests {
		if got := MustParse(tt.a).Compare(MustParse(tt.b)); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := MustParse(tt.b).Compare(MustParse(tt.a)); got != -tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestMinorsBetween(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to string
		want     int
	}{
		{"v1.29.3", "v1.31.0", 2},
		{"v1.31.0", "v1.30.2", -1},
		{"v1.31.0", "v1.31.9", 0},
		{"v1.31", "v1.32.1", 1},
		{"v1.31.0", "v2.0.0", 1000 - 31},
	}
	for _, tt := range tests {
		if got := MinorsBetween(MustParse(tt.from), MustParse(tt.to)); got != tt.want {
			t.Errorf("MinorsBetween(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestVersionText(t *testing.T) {
	t.Parallel()
	type doc struct {
		Target Version   `json:"target"`
		Others []Version `json:"others"`
	}
	in := doc{Target: Version{1, 31, 0}, Others: []Version{{1, 30, UnknownPatch}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"target":"v1.31.0","others":["v1.30"]}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"target":"1.x"}`), &out); err == nil {
		t.Error("json.Unmarshal of 1.x: no error")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"v1.31.0", "1.31.0", "v1.31", "1.x", "", "v1.31.0-rc.1", " 1.2.3 ", "v01.002.0003"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Input != s {
				t.Fatalf("Parse(%q) error %v is not a *ParseError for the input", s, err)
			}
			return
		}
		if v.Major < 1 || v.Minor < 0 || v.Patch < UnknownPatch {
			t.Fatalf("Parse(%q) = %#v, out of range", s, v)
		}
		again, err := Parse(v.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, v.String(), err)
		}
		if again != v {
			t.Fatalf("Parse(%q) = %#v, but Parse(%q) = %#v", s, v, v.String(), again)
		}
	})
}
