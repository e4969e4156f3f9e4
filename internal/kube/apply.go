package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/shipgate/shipgate/internal/result"
)

// ApplyOptions configures Apply; the zero value is the default.
type ApplyOptions struct {
	// Namespace is where namespaced objects without a namespace go;
	// "default" when empty.
	Namespace string
	// Force takes fields that another field manager owns instead of
	// reporting the conflict.
	Force bool
	// Images maps container names to images: every container and init
	// container of that name in a workload's pod spec gets the image.
	Images map[string]string
	// CRDTimeout bounds the wait for an applied CustomResourceDefinition to
	// be Established; one minute when zero.
	CRDTimeout time.Duration
}

// Outcome is what applying one object did.
type Outcome string

// The outcomes of applying an object. Created and Configured are both
// "applied".
const (
	Created    Outcome = "created"
	Configured Outcome = "configured"
	Unchanged  Outcome = "unchanged"
	Failed     Outcome = "failed"
)

// Applied is the outcome of applying one object.
type Applied struct {
	// ID has the namespace the object went to.
	ID      ID
	Source  Source
	Outcome Outcome
	// Err says why the object failed; it is wrapped with the object's name.
	Err error
	// Conflicts lists the fields another field manager owns, when the
	// apply failed because of them.
	Conflicts []Conflict
	// Rejected says the object itself was refused (the API server found it
	// invalid or forbidden, its kind is unknown, fields conflict): a
	// problem of the manifest. A failure that is not rejected means the
	// cluster could not be used (no answer, a timeout, bad credentials).
	Rejected bool
	// Images lists the images set, as "container: old → new".
	Images []string
	// Live is the object as the API server returned it.
	Live *unstructured.Unstructured

	// fieldLines gives the line of each conflicting or invalid field in
	// the source, by the field's path as the API server names it.
	fieldLines map[string]int
}

// validate checks the options before anything is sent.
func (o ApplyOptions) validate() error {
	for name, img := range o.Images {
		if name == "" || img == "" {
			return fmt.Errorf("images: container %q → image %q: both the container name and the image must be set", name, img)
		}
	}
	if o.CRDTimeout < 0 {
		return fmt.Errorf("CRD timeout %s is negative", o.CRDTimeout)
	}
	return nil
}

// Apply applies objs in order with server-side apply (field manager
// shipgate, no force unless asked). Objects the cluster does not know the
// kind of right after a CustomResourceDefinition was applied are retried
// once discovery is refreshed; a CRD is waited for until it is Established
// before the next object. Transient errors are retried with a bounded
// backoff.
//
// It returns one Applied per object, in order, and the errors of the
// objects that failed, joined; an error before the first object (invalid
// options) comes alone with no results.
func (c *Client) Apply(ctx context.Context, objs []Object, opts ApplyOptions) ([]Applied, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if opts.Namespace == "" {
		opts.Namespace = metav1.NamespaceDefault
	}
	if opts.CRDTimeout == 0 {
		opts.CRDTimeout = time.Minute
	}
	out := make([]Applied, 0, len(objs))
	var errs []error
	for _, o := range objs {
		a := c.applyOne(ctx, o, opts)
		if a.Err != nil {
			errs = append(errs, a.Err)
		}
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

// applyOne applies one object.
func (c *Client) applyOne(ctx context.Context, o Object, opts ApplyOptions) Applied {
	u := o.Obj.DeepCopy()
	a := Applied{ID: IDOf(u), Source: o.Source}
	fail := func(err error) Applied {
		a.Outcome, a.Err = Failed, fmt.Errorf("apply %s: %w", a.ID, err)
		a.Rejected = a.Rejected || rejected(err)
		return a
	}
	images, err := SetImages(u, opts.Images)
	if err != nil {
		a.Rejected = true
		return fail(err)
	}
	a.Images = images
	m, err := c.mapping(a.ID, u.GroupVersionKind().Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return fail(fmt.Errorf("the cluster serves no kind %s in %s: apply its CustomResourceDefinition first, or check apiVersion: %w",
				a.ID.Kind, u.GetAPIVersion(), err))
		}
		return fail(err)
	}
	var ri dynamic.ResourceInterface
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if u.GetNamespace() == "" {
			u.SetNamespace(opts.Namespace)
		}
		ri = c.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace())
	} else {
		u.SetNamespace("")
		ri = c.Dynamic.Resource(m.Resource)
	}
	a.ID = IDOf(u)

	// Read the object before, to tell an apply that changed nothing from
	// one that did.
	var before *unstructured.Unstructured
	err = retryTransient(ctx, func(ctx context.Context) error {
		cur, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
		if err == nil {
			before = cur
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return fail(err)
	}
	data, err := u.MarshalJSON()
	if err != nil {
		return fail(err)
	}
	err = retryTransient(ctx, func(ctx context.Context) error {
		live, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
			FieldManager: FieldManager,
			Force:        &opts.Force,
		})
		a.Live = live
		return err
	})
	if err != nil {
		if cs := Conflicts(err); len(cs) > 0 {
			a.Conflicts = cs
			a.fieldLines = make(map[string]int, len(cs))
			for _, c := range cs {
				a.fieldLines[c.Field] = fieldLine(o.node, c.Field)
			}
			a.Rejected = true
			return fail(&ConflictError{ID: a.ID, Conflicts: cs, Err: err})
		}
		for _, c := range causes(err) {
			if a.fieldLines == nil {
				a.fieldLines = make(map[string]int)
			}
			a.fieldLines[c.Field] = fieldLine(o.node, "."+strings.TrimPrefix(c.Field, "."))
		}
		return fail(err)
	}
	switch {
	case before == nil:
		a.Outcome = Created
	case sameContent(before, a.Live):
		a.Outcome = Unchanged
	default:
		a.Outcome = Configured
	}
	if a.ID.Group == "apiextensions.k8s.io" && a.ID.Kind == "CustomResourceDefinition" {
		if err := c.waitEstablished(ctx, m.Resource, a.ID.Name, opts.CRDTimeout); err != nil {
			return fail(err)
		}
		c.Mapper.Reset()
	}
	return a
}

// sameContent reports whether two versions of an object are the same but
// for their status and bookkeeping (resourceVersion, managedFields): a
// controller may update the status between the read and the apply, so
// equal resourceVersions are too strict a test of a no-op apply.
func sameContent(a, b *unstructured.Unstructured) bool {
	strip := func(u *unstructured.Unstructured) map[string]any {
		c := u.DeepCopy().Object
		delete(c, "status")
		unstructured.RemoveNestedField(c, "metadata", "resourceVersion")
		unstructured.RemoveNestedField(c, "metadata", "managedFields")
		return c
	}
	return equality.Semantic.DeepEqual(strip(a), strip(b))
}

// ConflictError is a server-side apply refused because fields of the
// object are owned by other field managers.
type ConflictError struct {
	ID        ID
	Conflicts []Conflict
	// Err is the API server's error.
	Err error
}

func (e *ConflictError) Error() string {
	parts := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		parts[i] = c.String()
	}
	return fmt.Sprintf("%d field conflict(s): %s", len(e.Conflicts), strings.Join(parts, "; "))
}

func (e *ConflictError) Unwrap() error { return e.Err }

// rejected reports whether err is the object's own fault: the API server
// answered with a client error about it (invalid, forbidden, not found,
// conflict, too large), or the cluster serves no such kind. No answer,
// timeouts, throttling and bad credentials are the cluster's problem.
func rejected(err error) bool {
	if meta.IsNoMatchError(err) {
		return true
	}
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return false
	}
	code := st.Status().Code
	return code >= 400 && code < 500 && code != 401 && code != 408 && code != 429
}

// causes returns the fields the API server named in its refusal.
func causes(err error) []metav1.StatusCause {
	var st apierrors.APIStatus
	if !errors.As(err, &st) || st.Status().Details == nil {
		return nil
	}
	var out []metav1.StatusCause
	for _, c := range st.Status().Details.Causes {
		if c.Field != "" {
			out = append(out, c)
		}
	}
	return out
}

// ApplyFindings turns the objects that failed into findings at their
// source: one per conflicting field and one per field the API server found
// invalid (at the field's line when it is found in the manifest), one per
// other failure.
func ApplyFindings(applied []Applied) []result.Finding {
	var fs []result.Finding
	for _, a := range applied {
		if a.Outcome != Failed {
			continue
		}
		if cs := causes(a.Err); len(a.Conflicts) == 0 && len(cs) > 0 {
			for _, c := range cs {
				line := cmp.Or(a.fieldLines[c.Field], a.Source.Line)
				fs = append(fs, result.Finding{
					Check: CheckApply, Level: result.Failure, Path: a.Source.Path, Line: line,
					Title:   fmt.Sprintf("Rejected by the API server: %s", c.Field),
					Message: fmt.Sprintf("The API server refused %s: %s: %s.", a.ID, c.Field, c.Message),
					Object:  a.ID.String(),
				})
			}
			continue
		}
		if len(a.Conflicts) == 0 {
			title := "Apply failed"
			if a.Rejected {
				title = "Rejected by the API server"
			}
			fs = append(fs, result.Finding{
				Check: CheckApply, Level: result.Failure, Path: a.Source.Path, Line: a.Source.Line,
				Title: title, Message: a.Err.Error() + ".", Object: a.ID.String(),
			})
			continue
		}
		for _, c := range a.Conflicts {
			line := a.fieldLines[c.Field]
			if line == 0 {
				line = a.Source.Line
			}
			fs = append(fs, result.Finding{
				Check: CheckConflict, Level: result.Failure, Path: a.Source.Path, Line: line,
				Title: "Field owned by " + c.Manager,
				Message: fmt.Sprintf("Server-side apply of %s conflicts: %s. shipgate applies as field manager %q without force: "+
					"drop the field from the manifest, make %q stop managing it, or apply with force to take it over.",
					a.ID, c, FieldManager, c.Manager),
				Object: a.ID.String(),
			})
		}
	}
	return fs
}

// Summary renders how many objects had each outcome, e.g.
// "2 created, 1 unchanged".
func Summary(applied []Applied) string {
	n := make(map[Outcome]int)
	for _, a := range applied {
		n[a.Outcome]++
	}
	var parts []string
	for _, o := range []Outcome{Created, Configured, Unchanged, Failed} {
		if n[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[o], o))
		}
	}
	return strings.Join(parts, ", ")
}
