// Package deploy puts a repository's manifests into a namespace and waits
// for them, in two halves: Load (the manifests read with file:line and
// every container image looked up in its registry, before any cluster
// exists) and Apply (the image under test set, server-side apply, wait for
// readiness). Each step is a check, so what went wrong is reported at the
// manifest line of the object it went wrong for.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// The checks Run reports, in order.
const (
	CheckManifests = "deploy/manifests"
	CheckImages    = "deploy/images"
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
	// Registry says how Load checks the images against their registries;
	// the zero value checks them with the runner's docker credentials.
	Registry Registry
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

// Run deploys: Load, then Apply. An error means a step could not run (a
// path that cannot be read, the API server gone); what the manifests or
// the workload got wrong is in the checks.
func Run(ctx context.Context, client *kube.Client, opts Options) (Result, error) {
	l, err := Load(ctx, opts)
	if err != nil {
		return Result{Objects: l.Objects, Checks: l.Checks}, err
	}
	return Apply(ctx, client, l, opts)
}

// Apply is the second half of a deploy, in a cluster: the loaded objects
// applied server-side into opts.Namespace with opts.Image set, then waited
// for. What Load found failed skips both (and client is not used). An object the API server
// rejects is a finding at its line (at the field's line when the API
// server names the field); an error means the cluster could not be used.
func Apply(ctx context.Context, client *kube.Client, l Loaded, opts Options) (Result, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	res := Result{Objects: l.Objects, Checks: slices.Clone(l.Checks)}
	if why := l.why(); why != "" {
		res.skip(CheckApply, why)
		res.skip(CheckReady, why)
		return res, nil
	}
	objs := l.Objects

	// 1. Apply them server-side, the image under test set.
	began := time.Now()
	images := map[string]string{}
	if opts.Image != "" {
		images = kube.ImagesFor(objs, opts.Image)
		if len(images) == 0 {
			opts.Logf("no container uses the repository of %s; images are left as the manifests say", opts.Image)
		}
	}
	applied, err := client.Apply(ctx, objs, kube.ApplyOptions{Namespace: opts.Namespace, Images: images})
	if err := unusable(ctx, applied, err); err != nil {
		return res, fmt.Errorf("apply: %w", err)
	}
	res.Applied = applied
	for _, a := range applied {
		res.Images = append(res.Images, a.Images...)
	}
	opts.Logf("applied %d objects: %s", len(applied), kube.Summary(applied))
	res.add(CheckApply, "Every object is accepted by the API server (server-side apply, field manager shipgate).", kube.ApplyFindings(applied), began)
	if res.Failed() {
		res.skip(CheckReady, "the API server did not accept every object")
		return res, nil
	}

	// 2. Wait until every applied object is ready.
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

// Unchanged reports whether every object was applied and none changed: the
// cluster already ran exactly these manifests.
func (r Result) Unchanged() bool {
	if len(r.Applied) == 0 {
		return false
	}
	for _, a := range r.Applied {
		if a.Outcome != kube.Unchanged {
			return false
		}
	}
	return true
}

// unusable returns the errors of an apply that are not the objects' own
// fault (no answer, a timeout, bad credentials, the run cancelled): those
// stop the deploy; rejected objects are findings.
func unusable(ctx context.Context, applied []kube.Applied, err error) error {
	if err == nil {
		return nil
	}
	if len(applied) == 0 || ctx.Err() != nil {
		return err
	}
	var errs []error
	for _, a := range applied {
		if a.Err != nil && !a.Rejected {
			errs = append(errs, a.Err)
		}
	}
	return errors.Join(errs...)
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
