package imageindex

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePlatforms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string // Format of each
		wantErr string
	}{
		{in: "linux/amd64,linux/arm64", want: []string{"linux/amd64", "linux/arm64"}},
		{in: " linux/amd64 \n\nlinux/arm/v7,\r\nwindows/amd64 ", want: []string{"linux/amd64", "linux/arm/v7", "windows/amd64"}},
		{in: "linux/arm64/v8.2", want: []string{"linux/arm64/v8.2"}},
		{in: "", wantErr: "no platforms"},
		{in: "linux", wantErr: `platform "linux": want os/arch`},
		{in: "linux/amd64/v2/x", wantErr: "want os/arch"},
		{in: "darwin/arm64", wantErr: `unknown os "darwin"`},
		{in: "linux/x86_64", wantErr: `unknown architecture "x86_64"; use a GOARCH`},
		{in: "linux/s390x/v2", wantErr: "s390x has no variants; write linux/s390x"},
		{in: "linux/arm/7", wantErr: `variant "7" is not like v7`},
		{in: "linux/amd64,linux/amd64", wantErr: `"linux/amd64" is listed twice`},
		{in: "linux/arm64,linux/arm64/v8", wantErr: `"linux/arm64/v8" is listed twice (also as "linux/arm64")`},
		{in: "linux/arm,linux/arm/v7", wantErr: "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePlatforms(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePlatforms(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range got {
				names = append(names, Format(p))
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("ParsePlatforms(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestSame(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm", "linux/arm/v7", true},
		{"linux/amd64", "linux/amd64/v1", true},
		{"linux/arm", "linux/arm/v6", false},
		{"linux/amd64", "linux/amd64/v3", false},
		{"linux/amd64", "windows/amd64", false},
		{"linux/amd64", "linux/arm64", false},
	}
	for _, tt := range tests {
		a, err := ParsePlatform(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParsePlatform(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := Same(a, b); got != tt.want {
			t.Errorf("Same(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
