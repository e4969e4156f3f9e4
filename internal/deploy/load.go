package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// Loaded is the first half of a deploy: the manifests read and checked,
// before any cluster is involved.
type Loaded struct {
	// Objects are the objects to apply, in order.
	Objects []kube.Object
	// Checks are the manifests and images checks.
	Checks []result.Check
}

// Failed reports whether the manifests cannot be applied: a check of Load
// failed.
func (l Loaded) Failed() bool {
	for _, c := range l.Checks {
		if c.Failed() {
			return true
		}
	}
	return false
}

// why says why the loaded manifests cannot be applied, or "".
func (l Loaded) why() string {
	for _, c := range l.Checks {
		switch {
		case !c.Failed():
		case c.Name == CheckImages:
			return "an image of the manifests does not exist"
		default:
			return "the manifests did not load"
		}
	}
	return ""
}

// ErrNoPath is the error of Load when the manifests input names a path
// that does not exist.
var ErrNoPath = errors.New("no such file or directory")

// Load reads opts.Manifests below opts.Root with the file and line of every
// object, and looks up every container image in its registry (see
// Registry). It needs no cluster, so a stage calls it before making one.
// Problems of the manifests (YAML errors, no objects, an image that does
// not exist) are findings in the checks; an error means the manifests
// could not be read at all (ErrNoPath for a path that is not there).
func Load(ctx context.Context, opts Options) (Loaded, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	var l Loaded
	began := time.Now()
	paths, err := expand(opts.Root, opts.Manifests)
	if err != nil {
		return l, err
	}
	objs, findings, err := kube.Load(ctx, opts.Root, paths)
	if errors.Is(err, fs.ErrNotExist) {
		return l, fmt.Errorf("input manifests %q: %w in %s: give the path (file, directory or glob) of your Kubernetes YAML relative to the repository, e.g. deploy", opts.Manifests, ErrNoPath, opts.Root)
	}
	if err != nil {
		return l, err
	}
	l.Objects = objs
	if len(objs) == 0 && len(findings) == 0 {
		findings = append(findings, result.Finding{Check: CheckManifests, Level: result.Failure, Title: "No objects",
			Message: fmt.Sprintf("No Kubernetes objects found in %s: point the manifests input at your YAML or kustomization.", opts.Manifests)})
	}
	l.add(CheckManifests, "The manifests load: YAML, kustomize builds, objects with apiVersion, kind and name.", findings, began)
	if l.Failed() {
		l.Checks = append(l.Checks, result.Check{Name: CheckImages, Skipped: "the manifests did not load"})
		return l, nil
	}
	l.Checks = append(l.Checks, checkImages(ctx, objs, opts))
	return l, nil
}

func (l *Loaded) add(name, desc string, fs []result.Finding, began time.Time) {
	l.Checks = append(l.Checks, result.Check{Name: name, Description: desc, Findings: fs, Duration: time.Since(began)})
}

// expand turns the manifests input into paths: a glob is matched (sorted),
// anything else is taken as a path.
func expand(root, manifests string) ([]string, error) {
	if manifests == "" {
		return nil, errors.New("input manifests is empty; give the path or glob of your Kubernetes YAML, e.g. deploy")
	}
	if !strings.ContainsAny(manifests, "*?[") {
		return []string{manifests}, nil
	}
	matches, err := filepath.Glob(filepath.Join(root, manifests))
	if err != nil {
		return nil, fmt.Errorf("input manifests %q: %w", manifests, err)
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("input manifests %q matches no file in %s: %w", manifests, root, ErrNoPath)
	}
	sort.Strings(matches)
	return matches, nil
}
