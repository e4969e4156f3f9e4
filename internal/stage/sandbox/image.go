package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/stage"
)

// pullImage prepares the image under test for kind: the child of its index
// for this runner's architecture, pulled into an archive kind loads into
// its nodes (kind cannot load an index). It returns the archive and the
// name pods must use for the loaded image; for the other providers the
// cluster pulls the image itself and nothing is done.
func pullImage(ctx context.Context, env *stage.Env, s settings) (archive, podImage string, cleanup func(), err error) {
	image := env.Inputs.Image
	if image == "" || s.provider != provider.Kind {
		return "", image, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "shipgate-image-")
	if err != nil {
		return "", "", nil, fmt.Errorf("input image: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	archive = filepath.Join(dir, "image.tar")
	platform := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	keychain := imageindex.GitHubKeychain(env.Inputs.GitHubToken, env.RT.Getenv("GITHUB_ACTOR"))
	digest, err := imageindex.PullForPlatform(ctx, image, platform, archive, imageindex.WithKeychain(keychain), imageindex.WithLogf(env.RT.Logf))
	if err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("input image %s: pull for linux/%s: %w", image, runtime.GOARCH, err)
	}
	if podImage, err = imageindex.ArchiveTag(image); err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("input image %s: %w", image, err)
	}
	env.RT.Logf("image %s: linux/%s is %s, loaded into the nodes as %s", image, runtime.GOARCH, digest, podImage)
	return archive, podImage, cleanup, nil
}
