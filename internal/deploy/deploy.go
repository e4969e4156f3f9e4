// Package deploy puts a repository's manifests into a namespace and waits
// for them: load (with file:line), set the image under test, server-side
// apply, wait for readiness. Each step is a check, so what went wrong is
// reported at the manifest line of the object it went wrong for.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// The checks Run reports, in order.
const (
	CheckManifests = "deploy/manifests"
	CheckApply     = "deploy/apply"
	CheckReady     = "deploy/ready"
)

// Options says what to deploy where.
type Options struct {
	// Root is the repository's directory; Manifests is a path (file or
	// directory) or glob relative to it.
	Root, Manifests string
	// Namespace receives objects that name none.
	Namespace string
	// Image, when set, replaces the image of every container whose image
	// has the same repository.
	Image string
	// Timeout bounds the wait for readiness; 10 minutes when zero.
	Timeout time.Duration
	// Logf receives progress lines.
	Logf func(format string, args ...any)
}

// Result is what Run did.
type Result struct {
	Objects []kube.Object
	Applied []kube.Applied
	// Checks are the manifests, apply and readiness checks, in order; a
	// step after one that failed is skipped and says why.
	Checks []result.Check
	// Images are the image changes made, as "container: old → new".
	Images []string
}

// Failed reports whether any step failed.
func (r Result) Failed() bool {
	for _, c := range r.Checks {
		if c.Failed() {
			return true
		}
	}
	return false
}

// Source returns where the object of kind, namespace and name was read,
// matching the namespace Apply gave it.
func (r Result) Source(kind, namespace, name string) (kube.Source, bool) {
	for _, a := range r.Applied {
		if a.ID.Kind == kind && a.ID.Name == name && (namespace == "" || a.ID.Namespace == namespace) {
			return a.Source, true
		}
	}
	return kube.Source{}, false
}

// Run deploys. An error means a step could not run (a path that cannot be
// read, the API server gone); what the manifests or the workload got
// wrong is in the checks.
func Run(ctx context.Context, client *kube.Client, opts Options) (Result, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	var res Result
	// 1. Load the manifests, with the file and line of every object.
	began := time.Now()
	paths, err := expand(opts.Root, opts.Manifests)
	if err != nil {
		return res, err
	}
	objs, findings, err := kube.Load(ctx, opts.Root, paths)
	if err != nil {
		return res, err
	}
	res.Objects = objs
	if len(objs) == 0 && len(findings) == 0 {
		findings = append(findings, result.Finding{Check: CheckManifests, Level: result.Failure, Title: "No objects",
			Message: fmt.Sprintf("No Kubernetes objects found in %s: point the manifests input at your YAML or kustomization.", opts.Manifests)})
	}
	res.add(CheckManifests, "The manifests load: YAML, kustomize builds, objects with apiVersion, kind and name.", findings, began)
	if res.Failed() {
		res.skip(CheckApply, "the manifests did not load")
		res.skip(CheckReady, "the manifests did not load")
		return res, nil
	}

	// 2. Apply them server-side, the image under test set.
	began = time.Now()
	images := map[string]string{}
	if opts.Image != "" {
		images = kube.ImagesFor(objs, opts.Image)
		if len(images) == 0 {
			opts.Logf("no container uses the repository of %s; images are left as the manifests say", opts.Image)
		}
	}
	applied, err := client.Apply(ctx, objs, kube.ApplyOptions{Namespace: opts.Namespace, Images: images})
	if err != nil {
		return res, fmt.Errorf("apply: %w", err)
	}
	res.Applied = applied
	for _, a := range applied {
		res.Images = append(res.Images, a.Images...)
	}
	opts.Logf("applied %d objects: %s", len(applied), kube.Summary(applied))
	res.add(CheckApply, "Every object is accepted by the API server (server-side apply, field manager shipgate).", kube.ApplyFindings(applied), began)

	// 3. Wait until every applied object is ready.
	began = time.Now()
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	err = client.Wait(ctx, kube.ReadyIDs(applied), kube.WaitOptions{Timeout: timeout, Progress: func(l string) { opts.Logf("%s", l) }})
	var werr *kube.WaitError
	switch {
	case errors.As(err, &werr) && ctx.Err() == nil:
		res.add(CheckReady, fmt.Sprintf("Every object is ready (kstatus Current) within %s.", timeout), res.notReady(werr), began)
	case err != nil:
		return res, fmt.Errorf("wait for readiness: %w", err)
	default:
		res.add(CheckReady, fmt.Sprintf("Every object is ready (kstatus Current) within %s.", timeout), nil, began)
	}
	return res, nil
}

// notReady turns a wait's failure into one finding per object not ready,
// at its manifest line.
func (r Result) notReady(werr *kube.WaitError) []result.Finding {
	var fs []result.Finding
	for _, s := range werr.NotReady {
		src, _ := r.Source(s.ID.Kind, s.ID.Namespace, s.ID.Name)
		why := "did not become ready within " + werr.Timeout.String()
		if s.Status == "Failed" {
			why = "failed"
		}
		fs = append(fs, result.Finding{
			Check: CheckReady, Level: result.Failure, Path: src.Path, Line: src.Line,
			Title:   fmt.Sprintf("%s %s (%s)", s.ID.Short(), why, s.Status),
			Message: s.Line, Object: s.ID.String(),
		})
	}
	if len(fs) == 0 {
		fs = append(fs, result.Finding{Check: CheckReady, Level: result.Failure, Title: "Wait for readiness failed", Message: werr.Error()})
	}
	return fs
}

func (r *Result) add(name, desc string, fs []result.Finding, began time.Time) {
	r.Checks = append(r.Checks, result.Check{Name: name, Description: desc, Findings: fs, Duration: time.Since(began)})
}

func (r *Result) skip(name, why string) {
	r.Checks = append(r.Checks, result.Check{Name: name, Skipped: why})
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
		return nil, fmt.Errorf("input manifests %q matches no file in %s", manifests, root)
	}
	sort.Strings(matches)
	return matches, nil
}
