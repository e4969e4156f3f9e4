package deploy

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// Registry says how Load looks the manifests' images up; the zero value
// asks every registry, with the runner's docker credentials
// (authn.DefaultKeychain), within 30 seconds.
type Registry struct {
	// Skip, when set, says why the images are not looked up; the check is
	// skipped with it.
	Skip string
	// Timeout bounds all the lookups together; 30 seconds when zero.
	Timeout time.Duration
	// Options are registry options, e.g. imageindex.WithKeychain with the
	// workflow's token for ghcr.io.
	Options []imageindex.Option
}

// GitHubRegistry asks registries with the runner's docker credentials and,
// for ghcr.io, the workflow's token as actor's password (see
// imageindex.GitHubKeychain).
func GitHubRegistry(token, actor string) Registry {
	return Registry{Options: []imageindex.Option{imageindex.WithKeychain(imageindex.GitHubKeychain(token, actor))}}
}

// imageBackoff retries a registry request once: the lookups must not hold
// the deploy up.
var imageBackoff = remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 2}

// use is one container's image in the manifests.
type use struct {
	obj       kube.Object
	container kube.ContainerImage
	image     string // the image deployed: the manifest's, or the image under test
	underTest bool
}

// checkImages looks up, in its registry, the image every container will
// run (the image under test where it replaces the manifest's), before
// anything is deployed: an image that does not exist is a finding at its
// image field's line, not an ImagePullBackOff minutes later. A registry
// that does not answer is a warning naming it, never "does not exist".
func checkImages(ctx context.Context, objs []kube.Object, opts Options) result.Check {
	began := time.Now()
	check := result.Check{Name: CheckImages, Description: "Every container's image exists in its registry."}
	if opts.Registry.Skip != "" {
		check.Skipped = opts.Registry.Skip
		return check
	}
	setTo := map[string]string{}
	if opts.Image != "" {
		setTo = kube.ImagesFor(objs, opts.Image)
	}
	var uses []use
	var refs []string
	for _, o := range objs {
		for _, c := range kube.ContainerImages(o) {
			if c.PullPolicy == "Never" {
				continue // the node must have it; no registry is asked
			}
			u := use{obj: o, container: c, image: c.Image}
			if img, ok := setTo[c.Container]; ok {
				u.image, u.underTest = img, true
			}
			uses = append(uses, u)
			refs = append(refs, u.image)
		}
	}
	if len(uses) == 0 {
		check.Skipped = "no container images in the manifests"
		return check
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(opts.Registry.Timeout, 30*time.Second))
	defer cancel()
	ro := append([]imageindex.Option{imageindex.WithRetryBackoff(imageBackoff)}, opts.Registry.Options...)
	found := imageindex.Look(ctx, refs, ro...)

	unreachable := map[string][]string{} // registry → images
	whyUnreachable := map[string]string{}
	for _, u := range uses {
		l := found[u.image]
		if f, ok := imageFinding(u, l); ok {
			check.Findings = append(check.Findings, f)
		}
		if l.Presence == imageindex.Unreachable && !slices.Contains(unreachable[l.Registry], u.image) {
			unreachable[l.Registry] = append(unreachable[l.Registry], u.image)
			whyUnreachable[l.Registry] = l.Err.Error()
		}
	}
	for _, reg := range slices.Sorted(maps.Keys(unreachable)) {
		opts.Logf("images: registry %s could not be reached, so %s not checked: %s", reg, strings.Join(unreachable[reg], ", "), whyUnreachable[reg])
		check.Findings = append(check.Findings, result.Finding{
			Check: CheckImages, Level: result.Warning,
			Title: "Registry " + reg + " not reached",
			Message: fmt.Sprintf("Registry %s could not be reached from this runner, so whether %s exist is not known: %s.",
				reg, strings.Join(unreachable[reg], ", "), whyUnreachable[reg]),
		})
	}
	check.Duration = time.Since(began)
	return check
}

// imageFinding is the finding of one container whose image does not exist
// or cannot be named.
func imageFinding(u use, l imageindex.Lookup) (result.Finding, bool) {
	what := fmt.Sprintf("Container %s of %s uses image %s", u.container.Container, u.obj.ID(), u.image)
	if u.underTest {
		what += " (the image under test, set by the image input)"
	}
	f := result.Finding{Check: CheckImages, Level: result.Failure, Path: u.obj.Source.Path, Line: u.container.Line, Object: u.obj.ID().String()}
	switch l.Presence {
	case imageindex.Absent:
		f.Title = "Image does not exist: " + u.image
		f.Message = fmt.Sprintf("%s, which registry %s does not have (%v): its pods would never start (ErrImagePull, ImagePullBackOff). Push the image, or fix its name or tag.", what, l.Registry, l.Err)
	case imageindex.Denied:
		f.Title = "Image not found or not accessible: " + u.image
		f.Message = fmt.Sprintf("%s, which registry %s refused to show (%v): the image does not exist, or it is private and this runner has no credentials for it "+
			"(log in to the registry before shipgate runs, e.g. docker/login-action; the cluster needs an imagePullSecret too).", what, l.Registry, l.Err)
	case imageindex.Invalid:
		f.Title = "Not an image reference: " + u.image
		f.Message = fmt.Sprintf("%s, which is not a valid image reference (%v): its pods would fail with InvalidImageName.", what, l.Err)
	default:
		return f, false
	}
	return f, true
}
