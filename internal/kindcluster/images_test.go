package kindcluster

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPinnedImages(t *testing.T) {
	t.Parallel()
	tbl, err := PinnedImages()
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Kind != "v0.30.0" || KindVersion != "v0.30.0" {
		t.Errorf("table for kind %s, program links kind %s; want both v0.30.0 (go.mod)", tbl.Kind, KindVersion)
	}
	want := []string{"v1.31.12", "v1.32.8", "v1.33.4", "v1.34.0"}
	if d := cmp.Diff(want, tbl.Versions("")); d != "" {
		t.Errorf("versions (-want +got):\n%s", d)
	}
	for v, img := range tbl.Images {
		if !digestRE.MatchString(img) || !strings.HasPrefix(img, "kindest/node:"+v+"@sha256:") {
			t.Errorf("%s: %s has no sha256 digest", v, img)
		}
		if err := checkImageRef(img); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	// kind's own default image is one of the table's.
	if tbl.Images["v1.34.0"] != defaultImage {
		t.Errorf("kind's default image %s is not the table's v1.34.0 %s", defaultImage, tbl.Images["v1.34.0"])
	}
}

func TestParseImagesRejects(t *testing.T) {
	t.Parallel()
	const d = "0f5cc49c5e73c0c2bb6e2df56e7df189240d83cf94edfa30946482eb08ec57d2"
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty", "kind: v0.30.0\n", "at least one image"},
		{"no digest", "kind: v0.30.0\nimages:\n  v1.31.12: kindest/node:v1.31.12\n", "images.v1.31.12"},
		{"tag differs", "kind: v0.30.0\nimages:\n  v1.31.11: kindest/node:v1.31.12@sha256:" + d + "\n", "images.v1.31.11"},
		{"minor only", "kind: v0.30.0\nimages:\n  v1.31: kindest/node:v1.31@sha256:" + d + "\n", "form v1.33.4"},
		{"short digest", "kind: v0.30.0\nimages:\n  v1.31.12: kindest/node:v1.31.12@sha256:" + d[:60] + "\n", "images.v1.31.12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseImages([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestNodeImage(t *testing.T) {
	t.Parallel()
	tbl, err := PinnedImages()
	if err != nil {
		t.Fatal(err)
	}
	const own = "registry.example/kind/node:v1.30.0@sha256:0f5cc49c5e73c0c2bb6e2df56e7df189240d83cf94edfa30946482eb08ec57d2"
	for _, tc := range []struct {
		name, version, override string
		want                    string
		wantErr                 []string
	}{
		{name: "exact patch", version: "v1.33.4", want: tbl.Images["v1.33.4"]},
		{name: "without v", version: "1.31.12", want: tbl.Images["v1.31.12"]},
		{name: "minor picks its patch", version: "v1.32", want: tbl.Images["v1.32.8"]},
		{name: "empty is kind's default", want: defaultImage},
		{name: "override wins", version: "v1.28.0", override: own, want: own},
		{name: "override by tag", override: "kindest/node:v1.33.4", want: "kindest/node:v1.33.4"},
		{name: "unknown patch lists the minor's", version: "v1.33.2",
			wantErr: []string{"kubernetes-version v1.33.2", "for v1.33 it has v1.33.4", "node-image", "kind v0.30.0"}},
		{name: "unknown minor lists all", version: "v1.29.4",
			wantErr: []string{"no node image for v1.29", "v1.31.12, v1.32.8, v1.33.4, v1.34.0", "node-image"}},
		{name: "not a version", version: "1.x", wantErr: []string{"kubernetes-version", "use the form v1.31.0"}},
		{name: "bad override", override: "Kindest/Node::v1", wantErr: []string{`node-image "Kindest/Node::v1"`, "image reference"}},
		{name: "override without tag", override: "kindest/node", wantErr: []string{"node-image"}},
		{name: "override with spaces", override: "kindest/node:v1.33.4 ", wantErr: []string{"node-image", "spaces"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := NodeImage(tc.version, tc.override)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("got %s, want an error", got)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
