package kindcluster

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	"sigs.k8s.io/kind/pkg/cmd/kind/version"

	"github.com/shipgate/shipgate/internal/kubeversion"
)

//go:embed images.yaml
var imagesYAML []byte

// KindVersion is the version of the kind library this program links, e.g.
// v0.30.0; node images are picked for it.
var KindVersion = "v" + version.Version()

// defaultImage is kind's own default node image; NodeImage uses it when no
// Kubernetes version is asked for.
const defaultImage = defaults.Image

// Images is the table of kindest/node images built for one kind release.
type Images struct {
	// Kind is the kind release, e.g. v0.30.0.
	Kind string `yaml:"kind"`
	// Images maps a Kubernetes version (v1.33.4) to its image, pinned by
	// digest.
	Images map[string]string `yaml:"images"`
}

// PinnedImages returns the embedded table, checked: every entry is a
// kindest/node image whose tag is its version and which has a sha256
// digest, and the table is for KindVersion.
var PinnedImages = sync.OnceValues(func() (Images, error) {
	t, err := parseImages(imagesYAML)
	if err != nil {
		return Images{}, fmt.Errorf("embedded images.yaml: %w", err)
	}
	if t.Kind != KindVersion {
		return Images{}, fmt.Errorf("embedded images.yaml is for kind %s but this program links kind %s; run hack/update-kind-images.sh %s", t.Kind, KindVersion, KindVersion)
	}
	return t, nil
})

var digestRE = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

func parseImages(b []byte) (Images, error) {
	var t Images
	if err := yaml.Unmarshal(b, &t); err != nil {
		return Images{}, err
	}
	if t.Kind == "" || len(t.Images) == 0 {
		return Images{}, fmt.Errorf("want a kind version and at least one image")
	}
	for v, img := range t.Images {
		kv, err := kubeversion.Parse(v)
		if err != nil || !kv.PatchKnown() || kv.String() != v {
			return Images{}, fmt.Errorf("images.%s: want a version of the form v1.33.4", v)
		}
		if !strings.HasPrefix(img, "kindest/node:"+v+"@") || !digestRE.MatchString(img) {
			return Images{}, fmt.Errorf("images.%s: %q is not kindest/node:%s@sha256:<digest>", v, img, v)
		}
	}
	return t, nil
}

// Versions returns the table's Kubernetes versions, oldest first; with a
// minor version (v1.33) only those of that minor.
func (t Images) Versions(minor string) []string {
	var out []kubeversion.Version
	for v := range t.Images {
		kv := kubeversion.MustParse(v)
		if minor == "" || kv.MinorOnly().String() == minor {
			out = append(out, kv)
		}
	}
	slices.SortFunc(out, kubeversion.Version.Compare)
	s := make([]string, len(out))
	for i, v := range out {
		s[i] = v.String()
	}
	return s
}

// Lookup returns the image for a Kubernetes version: v1.33.4 (or 1.33.4)
// gives that patch's image; v1.33 the newest patch of 1.33 in the table.
// A version the table lacks is an error that lists what it has and names
// the node-image input as the way out.
func (t Images) Lookup(kubernetesVersion string) (string, error) {
	v, err := kubeversion.Parse(kubernetesVersion)
	if err != nil {
		return "", fmt.Errorf("kubernetes-version: %w", err)
	}
	minor := v.MinorOnly().String()
	same := t.Versions(minor)
	if img, ok := t.Images[v.String()]; ok {
		return img, nil
	}
	if !v.PatchKnown() && len(same) > 0 {
		return t.Images[same[len(same)-1]], nil
	}
	override := fmt.Sprintf("or set node-image to an image built for kind %s (kind build node-image)", t.Kind)
	if len(same) > 0 {
		return "", fmt.Errorf("kubernetes-version %s: kind %s has no node image for it; for %s it has %s. Set kubernetes-version to that, %s",
			v, t.Kind, minor, strings.Join(same, ", "), override)
	}
	return "", fmt.Errorf("kubernetes-version %s: kind %s has no node image for %s; it has %s. Set kubernetes-version to one of these, %s",
		v, t.Kind, minor, strings.Join(t.Versions(""), ", "), override)
}

// NodeImage picks the node image: the override when set (it must be an image
// reference), else the pinned image for kubernetesVersion, else kind's
// default image. Errors name the input at fault.
func NodeImage(kubernetesVersion, override string) (string, error) {
	if override != "" {
		if err := checkImageRef(override); err != nil {
			return "", err
		}
		return override, nil
	}
	t, err := PinnedImages()
	if err != nil {
		return "", err
	}
	if kubernetesVersion == "" {
		return defaultImage, nil
	}
	return t.Lookup(kubernetesVersion)
}

func checkImageRef(ref string) error {
	if strings.TrimSpace(ref) != ref || strings.ContainsAny(ref, " \t\n") {
		return fmt.Errorf("node-image %q: remove the spaces; want e.g. kindest/node:v1.33.4@sha256:<digest>", ref)
	}
	if _, err := name.ParseReference(ref); err != nil {
		return fmt.Errorf("node-image %q is not an image reference (%v); want e.g. kindest/node:v1.33.4@sha256:<digest>", ref, err)
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	if !strings.ContainsAny(last, ":@") {
		return fmt.Errorf("node-image %q names no tag or digest; want e.g. kindest/node:v1.33.4@sha256:<digest>", ref)
	}
	return nil
}
