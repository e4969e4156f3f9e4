package build

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/shipgate/shipgate/internal/imageindex"
)

// parseRepository reads the image input: a repository, without tag or digest.
func parseRepository(image string) (name.Repository, error) {
	image = strings.TrimSpace(image)
	if image == "" {
		return name.Repository{}, errors.New("input image is empty; give the repository the build jobs pushed to, e.g. ghcr.io/octo/shop")
	}
	last := image[strings.LastIndex(image, "/")+1:]
	if strings.ContainsAny(last, ":@") {
		return name.Repository{}, fmt.Errorf("input image %q names a tag or digest; give the repository alone (e.g. ghcr.io/octo/shop) and the tags in the tags input", image)
	}
	repo, err := name.NewRepository(image)
	if err != nil {
		return repo, fmt.Errorf("input image %q: %w; give a repository such as ghcr.io/octo/shop", image, err)
	}
	return repo, nil
}

// parseDigests reads the digests input: platform=sha256:… per line (or
// comma-separated), as the build jobs hand them on.
func parseDigests(s string) ([]imageindex.Child, error) {
	var out []imageindex.Child
	for i, item := range imageindex.SplitList(s) {
		plat, digest, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("input digests item %d %q: want platform=digest, e.g. linux/arm64=sha256:…", i+1, item)
		}
		p, err := imageindex.ParsePlatform(plat)
		if err != nil {
			return nil, fmt.Errorf("input digests item %d: %w", i+1, err)
		}
		h, err := v1.NewHash(strings.TrimSpace(digest))
		if err != nil {
			return nil, fmt.Errorf("input digests item %d %q: %w; give the sha256:… digest the build job pushed by", i+1, item, err)
		}
		out = append(out, imageindex.Child{Platform: p, Digest: h})
	}
	if len(out) == 0 {
		return nil, errors.New("input digests is empty; hand on each build job's platform=sha256:… line (e.g. collected from the jobs' outputs or artifacts)")
	}
	return out, nil
}

// tagPattern is the distribution spec's tag grammar.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// parseTags reads the tags input, comma- or newline-separated; it may be empty.
func parseTags(repo name.Repository, s string) ([]string, error) {
	var tags []string
	seen := map[string]bool{}
	for _, t := range imageindex.SplitList(s) {
		if _, err := name.NewTag(repo.String() + ":" + t); err != nil || !tagPattern.MatchString(t) {
			return nil, fmt.Errorf("input tags: %q is not a tag (up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-')", t)
		}
		if !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	return tags, nil
}
