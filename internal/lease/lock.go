package lease

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/ptr"

	"github.com/shipgate/shipgate/internal/kube"
)

// errReleased is the cause that stops the renewals on Release.
var errReleased = errors.New("lease released")

// Lock is a held lease, renewed in the background until Release or until
// the context given to Acquire ends. Its methods are safe for concurrent
// use.
type Lock struct {
	o      Options
	leases coordinationclient.LeaseInterface
	token  string
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the renewals have stopped
	lost   chan struct{}

	mu      sync.Mutex
	lease   *coordinationv1.Lease // as last written by us
	lostErr error
	release sync.Once
	relErr  error
}

// newLock starts renewing l.
func newLock(ctx context.Context, o Options, leases coordinationclient.LeaseInterface, token string, l *coordinationv1.Lease) *Lock {
	ctx, cancel := context.WithCancelCause(ctx)
	k := &Lock{o: o, leases: leases, token: token, cancel: cancel, done: make(chan struct{}), lost: make(chan struct{}), lease: l}
	go k.renewLoop(ctx)
	return k
}

// Holder returns the holder identity the lease was taken as.
func (l *Lock) Holder() string { return l.o.Holder }

// Lost returns a channel closed when the lease is no longer ours: another
// holder took it or it was deleted, renewals failed until it expired (then
// another run may take it), or the context given to Acquire ended so that
// renewals stopped. It is not closed by Release.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err says why the lease was lost; nil while it is held and after Release.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostErr
}

// lose records why the lease was lost and closes Lost.
func (l *Lock) lose(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lostErr != nil {
		return
	}
	l.lostErr = err
	l.o.Logf("%v", err)
	close(l.lost)
}

// current returns the Lease as last written by us.
func (l *Lock) current() *coordinationv1.Lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lease
}

// renewLoop renews the lease every Duration/3 until ctx ends or the lease
// is lost.
func (l *Lock) renewLoop(ctx context.Context) {
	defer close(l.done)
	t := time.NewTimer(l.o.Duration / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if cause := context.Cause(ctx); !errors.Is(cause, errReleased) {
				l.lose(fmt.Errorf("lease %s/%s: renewals stopped (%v); it lapses at %s",
					l.o.Namespace, l.o.Name, cause, expires(l.current()).UTC().Format(time.RFC3339)))
			}
			return
		case <-t.C:
		}
		if err := l.renew(ctx); err != nil {
			if ctx.Err() == nil {
				l.lose(err)
				return
			}
			continue // the select above says why
		}
		t.Reset(l.o.Duration / 3)
	}
}

// renewBackoff spaces the retries of a failed renewal.
var renewBackoff = wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 1 << 30, Cap: 5 * time.Second}

// renew writes a new renew time, retrying transient errors until the lease
// expires. It fails when the lease was taken or deleted, on an error that
// is not transient, or when the lease expired before a renewal went
// through.
func (l *Lock) renew(ctx context.Context) error {
	o := l.o
	cur := l.current()
	exp := expires(cur)
	ctx, cancel := context.WithDeadline(ctx, time.Now().Add(exp.Sub(o.Now())))
	defer cancel()
	b := renewBackoff
	for {
		next := cur.DeepCopy()
		next.Spec.RenewTime = ptr.To(metav1.NewMicroTime(o.Now()))
		got, err := l.leases.Update(ctx, next, metav1.UpdateOptions{})
		switch {
		case err == nil:
			l.mu.Lock()
			l.lease = got
			l.mu.Unlock()
			return nil
		case apierrors.IsNotFound(err):
			return fmt.Errorf("lease %s/%s was deleted while %q held it: another run may take it now", o.Namespace, o.Name, o.Holder)
		case apierrors.IsConflict(err):
			// Changed by someone else: still ours if it carries our token.
			fresh, gerr := l.leases.Get(ctx, o.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(gerr):
				return fmt.Errorf("lease %s/%s was deleted while %q held it: another run may take it now", o.Namespace, o.Name, o.Holder)
			case gerr == nil && fresh.Annotations[TokenAnnotation] != l.token:
				return fmt.Errorf("lease %s/%s was taken over by %q (%s) while %q held it",
					o.Namespace, o.Name, deref(fresh.Spec.HolderIdentity), orNone(fresh.Annotations[RunURLAnnotation]), o.Holder)
			case gerr == nil:
				cur = fresh
				continue
			}
			err = gerr
		}
		if ctx.Err() != nil {
			return fmt.Errorf("lease %s/%s: renewals failed until it expired at %s: %w", o.Namespace, o.Name, exp.UTC().Format(time.RFC3339), err)
		}
		if !kube.IsTransient(err) {
			return fmt.Errorf("renew lease %s/%s: %w", o.Namespace, o.Name, err)
		}
		o.Logf("lease %s/%s: renewal failed, retrying until it expires at %s: %v", o.Namespace, o.Name, exp.UTC().Format(time.RFC3339), err)
		if sleep(ctx, b.Step()) != nil {
			return fmt.Errorf("lease %s/%s: renewals failed until it expired at %s: %w", o.Namespace, o.Name, exp.UTC().Format(time.RFC3339), err)
		}
	}
}

// Release stops the renewals and deletes the Lease if it is still ours:
// the delete carries the resourceVersion we last wrote, and on a conflict
// the Lease is read again and left alone when another holder has it.
// Releasing a lease that is gone, or a second time, does nothing.
func (l *Lock) Release(ctx context.Context) error {
	l.release.Do(func() {
		l.cancel(errReleased)
		<-l.done
		l.relErr = l.deleteIfOurs(ctx)
	})
	return l.relErr
}

// deleteIfOurs deletes the Lease while it carries our token.
func (l *Lock) deleteIfOurs(ctx context.Context) error {
	o := l.o
	cur := l.current()
	for range maxRaces {
		err := retryTransient(ctx, func(ctx context.Context) error {
			return l.leases.Delete(ctx, o.Name, metav1.DeleteOptions{
				Preconditions: &metav1.Preconditions{UID: &cur.UID, ResourceVersion: &cur.ResourceVersion},
			})
		})
		switch {
		case err == nil:
			o.Logf("lease %s/%s: released by %q", o.Namespace, o.Name, o.Holder)
			return nil
		case apierrors.IsNotFound(err):
			o.Logf("lease %s/%s: already gone at release", o.Namespace, o.Name)
			return nil
		case !apierrors.IsConflict(err):
			return fmt.Errorf("release lease %s/%s: %w", o.Namespace, o.Name, err)
		}
		fresh, err := l.leases.Get(ctx, o.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("release lease %s/%s: read it after a conflict: %w", o.Namespace, o.Name, err)
		case fresh.Annotations[TokenAnnotation] != l.token:
			o.Logf("lease %s/%s: not released: %q (%s) holds it now", o.Namespace, o.Name,
				deref(fresh.Spec.HolderIdentity), orNone(fresh.Annotations[RunURLAnnotation]))
			return nil
		}
		cur = fresh
	}
	return fmt.Errorf("release lease %s/%s: it changed under us %d times in a row", o.Namespace, o.Name, maxRaces)
}
