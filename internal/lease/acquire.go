package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/ptr"

	"github.com/shipgate/shipgate/internal/kube"
)

// maxRaces bounds how often one Acquire loses a race (a conflict or an
// AlreadyExists) and looks again before it gives up.
const maxRaces = 20

// errRace means another writer changed the Lease between our read and our
// write: read it again.
var errRace = errors.New("lease changed concurrently")

// Acquire takes the lease: it creates it, or takes it over when its holder
// let it expire (counting a transition and logging whose lease it took).
// Writes carry the resourceVersion read, so of two concurrent Acquire calls
// exactly one wins. When another live holder has it, Acquire returns a
// *HeldError at once, or with Options.Wait > 0 watches the Lease until it
// is released or expires, up to Wait, and then returns a *HeldError.
//
// The returned Lock renews the lease every Duration/3 until Release or
// until ctx ends.
func Acquire(ctx context.Context, o Options) (*Lock, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &acquirer{o: o, leases: o.Client.CoordinationV1().Leases(o.Namespace), token: newToken()}
	waitCtx, cancel := ctx, context.CancelFunc(func() {})
	if o.Wait > 0 {
		waitCtx, cancel = context.WithTimeout(ctx, o.Wait)
	}
	defer cancel()
	start := time.Now()
	loggedWait := false
	for races := 0; ; {
		got, held, err := a.try(ctx)
		switch {
		case errors.Is(err, errRace):
			if races++; races > maxRaces {
				return nil, fmt.Errorf("acquire lease %s/%s: it changed under us %d times in a row; is something else rewriting it?", o.Namespace, o.Name, races)
			}
			continue
		case err != nil:
			return nil, err
		case got != nil:
			return newLock(ctx, o, a.leases, a.token, got), nil
		}
		races = 0
		if o.Wait == 0 {
			return nil, held
		}
		if !loggedWait {
			o.Logf("lease %s/%s is held by %q (%s); waiting up to %s for it to be released or to expire at %s",
				o.Namespace, o.Name, held.Holder, orNone(held.RunURL), o.Wait, held.Expires.UTC().Format(time.RFC3339))
			loggedWait = true
		}
		if err := a.waitChange(waitCtx, held); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("acquire lease %s/%s: %w", o.Namespace, o.Name, context.Cause(ctx))
			}
			held.Waited = time.Since(start).Round(time.Second)
			return nil, held
		}
	}
}

// acquirer holds what one Acquire call needs.
type acquirer struct {
	o      Options
	leases coordinationclient.LeaseInterface
	token  string
	// rv is the resourceVersion of the Lease as last read.
	rv string
}

// try makes one attempt: it returns the Lease it now holds, or a
// *HeldError, or errRace when it lost a race and should look again.
func (a *acquirer) try(ctx context.Context) (*coordinationv1.Lease, *HeldError, error) {
	o := a.o
	var cur *coordinationv1.Lease
	err := retryTransient(ctx, func(ctx context.Context) error {
		var err error
		cur, err = a.leases.Get(ctx, o.Name, metav1.GetOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return a.create(ctx)
	case err != nil:
		return nil, nil, a.apiError("read", err)
	}
	a.rv = cur.ResourceVersion
	now := o.Now()
	holder := deref(cur.Spec.HolderIdentity)
	exp := expires(cur)
	if holder != "" && now.Before(exp) {
		return nil, heldError(cur), nil
	}
	next := cur.DeepCopy()
	a.fill(next, now)
	next.Spec.LeaseTransitions = ptr.To(deref(cur.Spec.LeaseTransitions) + 1)
	var got *coordinationv1.Lease
	err = retryTransient(ctx, func(ctx context.Context) error {
		got, err = a.leases.Update(ctx, next, metav1.UpdateOptions{})
		return err
	})
	switch {
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		return nil, nil, errRace
	case err != nil:
		return nil, nil, a.apiError("take over", err)
	}
	if holder == "" {
		o.Logf("lease %s/%s: acquired as %q (it had no holder)", o.Namespace, o.Name, o.Holder)
	} else {
		o.Logf("lease %s/%s: took over the lease of %q (%s), which expired at %s, %s ago; acquired as %q",
			o.Namespace, o.Name, holder, orNone(cur.Annotations[RunURLAnnotation]),
			exp.UTC().Format(time.RFC3339), now.Sub(exp).Round(time.Second), o.Holder)
	}
	return got, nil, nil
}

// create makes the Lease when there is none.
func (a *acquirer) create(ctx context.Context) (*coordinationv1.Lease, *HeldError, error) {
	o := a.o
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}}
	a.fill(l, o.Now())
	l.Spec.LeaseTransitions = ptr.To[int32](0)
	var got *coordinationv1.Lease
	err := retryTransient(ctx, func(ctx context.Context) error {
		var err error
		got, err = a.leases.Create(ctx, l, metav1.CreateOptions{})
		return err
	})
	switch {
	case apierrors.IsAlreadyExists(err):
		return nil, nil, errRace
	case apierrors.IsNotFound(err):
		return nil, nil, fmt.Errorf("create lease %s/%s: namespace %q does not exist; create it (kubectl create namespace %s) or keep the lease in a namespace that exists: %w",
			o.Namespace, o.Name, o.Namespace, o.Namespace, err)
	case err != nil:
		return nil, nil, a.apiError("create", err)
	}
	o.Logf("lease %s/%s: acquired as %q", o.Namespace, o.Name, o.Holder)
	return got, nil, nil
}

// fill makes l ours as of now, keeping its other labels and annotations.
func (a *acquirer) fill(l *coordinationv1.Lease, now time.Time) {
	o := a.o
	if l.Labels == nil {
		l.Labels = map[string]string{}
	}
	l.Labels[managedByLabel] = managedBy
	if l.Annotations == nil {
		l.Annotations = map[string]string{}
	}
	l.Annotations[TokenAnnotation] = a.token
	if o.RunURL != "" {
		l.Annotations[RunURLAnnotation] = o.RunURL
	} else {
		delete(l.Annotations, RunURLAnnotation)
	}
	t := metav1.NewMicroTime(now)
	l.Spec.HolderIdentity = ptr.To(o.Holder)
	l.Spec.LeaseDurationSeconds = ptr.To(durationSeconds(o.Duration))
	l.Spec.AcquireTime = &t
	l.Spec.RenewTime = &t
}

// waitChange watches the Lease from the version last read until it
// changes or is deleted, or until held's expiry, whichever comes first. It
// returns ctx's error when ctx ends first.
func (a *acquirer) waitChange(ctx context.Context, held *HeldError) error {
	// A margin past the expiry, so that our clock agrees it has passed.
	until := held.Expires.Sub(a.o.Now()) + 100*time.Millisecond
	timer := time.NewTimer(max(until, 100*time.Millisecond))
	defer timer.Stop()
	w, err := a.leases.Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", a.o.Name).String(),
		ResourceVersion: a.rv,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !kube.IsTransient(err) {
			return a.apiError("watch", err)
		}
		// The API is away for a moment: look again after a pause.
		return sleep(ctx, time.Second)
	}
	defer w.Stop()
	select {
	case ev, ok := <-w.ResultChan():
		if ok && ev.Type == watch.Error {
			// The version we read is too old (or the watch broke): read
			// again after a pause, so a persistent error does not spin.
			return sleep(ctx, 250*time.Millisecond)
		}
		return nil
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// apiError wraps an API error with what failed and, when access is
// refused, the permission needed.
func (a *acquirer) apiError(verb string, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("%s lease %s/%s: %w; grant get, create, update, watch and delete on leases.coordination.k8s.io in namespace %s",
			verb, a.o.Namespace, a.o.Name, err, a.o.Namespace)
	}
	return fmt.Errorf("%s lease %s/%s: %w", verb, a.o.Namespace, a.o.Name, err)
}

// transientBackoff retries transient API errors for about 30 s, long
// enough for an API server to restart.
var transientBackoff = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 9, Cap: 5 * time.Second}

// retryTransient runs fn until it succeeds, fails with an error that is not
// transient (see kube.IsTransient), the backoff is used up or ctx ends. It
// returns fn's last error.
func retryTransient(ctx context.Context, fn func(context.Context) error) error {
	b := transientBackoff
	for {
		err := fn(ctx)
		if err == nil || !kube.IsTransient(err) || b.Steps <= 1 {
			return err
		}
		if serr := sleep(ctx, b.Step()); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newToken returns a random token that tells this Acquire's lease apart.
func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func orNone(url string) string {
	if url == "" {
		return "no run URL"
	}
	return url
}
