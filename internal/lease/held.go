package lease

import (
	"fmt"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
)

// HeldError says the lease is held by another live holder.
type HeldError struct {
	// Namespace and Name name the Lease.
	Namespace, Name string
	// Holder is the holder identity written on the Lease.
	Holder string
	// RunURL links to the holder's run; empty when it gave none.
	RunURL string
	// Acquired is when the holder took the lease.
	Acquired time.Time
	// Expires is the holder's last renewal plus the lease duration.
	Expires time.Time
	// Waited is how long Acquire waited before giving up; zero when it
	// refused at once.
	Waited time.Duration
}

// Error names the holder, its run, since when and until when it holds the
// lease, and what to do.
func (e *HeldError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lease %s/%s is held by %q", e.Namespace, e.Name, e.Holder)
	if e.RunURL != "" {
		fmt.Fprintf(&b, " (%s)", e.RunURL)
	}
	if !e.Acquired.IsZero() {
		fmt.Fprintf(&b, " since %s", e.Acquired.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "; it expires at %s unless renewed", e.Expires.UTC().Format(time.RFC3339))
	if e.Waited > 0 {
		fmt.Fprintf(&b, " (waited %s for it)", e.Waited)
	}
	b.WriteString(". Only one promotion of an app in an environment runs at a time: wait for that run to finish, " +
		"or, if it died, for its lease to expire")
	if e.Waited > 0 {
		b.WriteString("; raise the lock-timeout config field to wait longer")
	} else {
		b.WriteString("; set the lock-timeout config field to wait for it instead of failing")
	}
	return b.String()
}

// heldError describes a lease held by someone else.
func heldError(l *coordinationv1.Lease) *HeldError {
	e := &HeldError{
		Namespace: l.Namespace,
		Name:      l.Name,
		Holder:    deref(l.Spec.HolderIdentity),
		RunURL:    l.Annotations[RunURLAnnotation],
		Expires:   expires(l),
	}
	if l.Spec.AcquireTime != nil {
		e.Acquired = l.Spec.AcquireTime.Time
	}
	return e
}

// expires returns when a lease lapses: its last renewal (or acquisition)
// plus its duration. A lease without times has already lapsed.
func expires(l *coordinationv1.Lease) time.Time {
	var t time.Time
	switch {
	case l.Spec.RenewTime != nil:
		t = l.Spec.RenewTime.Time
	case l.Spec.AcquireTime != nil:
		t = l.Spec.AcquireTime.Time
	default:
		return time.Time{}
	}
	var secs int32
	if l.Spec.LeaseDurationSeconds != nil {
		secs = *l.Spec.LeaseDurationSeconds
	}
	return t.Add(time.Duration(secs) * time.Second)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
