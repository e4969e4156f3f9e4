package lease_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/shipgate/shipgate/internal/lease"
	"github.com/shipgate/shipgate/internal/localcluster"
)

// waitTimeout bounds every wait of these tests.
const waitTimeout = time.Minute

// TestCluster takes, renews, loses and releases leases on one local
// control plane, each subtest in its own namespace.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := localcluster.StartT(t)
	cs := kubernetes.NewForConfigOrDie(c.Config)

	t.Run("concurrent acquirers, exactly one wins", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "race")
		const n = 6
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			locks []*lease.Lock
			held  []*lease.HeldError
			other []error
		)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				l, err := lease.Acquire(t.Context(), opts(t, cs, ns, fmt.Sprintf("run %d", i)))
				var he *lease.HeldError
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					locks = append(locks, l)
				case errors.As(err, &he):
					held = append(held, he)
				default:
					other = append(other, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", errors.Join(other...))
		}
		if len(locks) != 1 || len(held) != n-1 {
			t.Fatalf("%d acquired and %d were refused, want 1 and %d", len(locks), len(held), n-1)
		}
		winner := locks[0].Holder()
		defer release(t, locks[0])
		for _, he := range held {
			if he.Holder != winner || he.RunURL != runURL(winner) || he.Acquired.IsZero() || !he.Expires.After(he.Acquired) {
				t.Errorf("HeldError %+v, want it to name %q, its run URL and its times", he, winner)
			}
			if msg := he.Error(); !strings.Contains(msg, fmt.Sprintf("held by %q (%s)", winner, runURL(winner))) {
				t.Errorf("HeldError message %q does not name the winner and its run", msg)
			}
		}
	})

	t.Run("expired lease is taken over, and the old holder's release leaves it", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "expiry")
		crashed, crash := context.WithCancel(t.Context())
		o := opts(t, cs, ns, "crashed run")
		o.Duration = 2 * time.Second
		old, err := lease.Acquire(crashed, o)
		if err != nil {
			t.Fatal(err)
		}
		crash() // renewals stop, as when the runner dies
		waitClosed(t, old.Lost(), "the crashed holder's Lost")
		if err := old.Err(); err == nil || !strings.Contains(err.Error(), "renewals stopped") {
			t.Errorf("Err() = %v, want it to say renewals stopped", err)
		}

		logs := &logBuffer{}
		o = opts(t, cs, ns, "next run")
		o.Wait = waitTimeout
		o.Logf = logs.logf(t)
		next, err := lease.Acquire(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer release(t, next)
		l := get(t, cs, ns)
		if got := ptr.Deref(l.Spec.HolderIdentity, ""); got != "next run" {
			t.Errorf("holder %q, want next run", got)
		}
		if got := ptr.Deref(l.Spec.LeaseTransitions, -1); got != 1 {
			t.Errorf("leaseTransitions %d, want 1", got)
		}
		if !logs.has(`took over the lease of "crashed run" (https://ci.example/crashed run)`) {
			t.Errorf("no log line says whose expired lease was taken:\n%s", logs)
		}

		// The crashed run comes back and releases: the lease is not its own.
		if err := old.Release(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := ptr.Deref(get(t, cs, ns).Spec.HolderIdentity, ""); got != "next run" {
			t.Errorf("after the old holder's Release the holder is %q, want next run", got)
		}
	})

	t.Run("waiting acquirer gets the lease once it is released", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "wait")
		first, err := lease.Acquire(t.Context(), opts(t, cs, ns, "first"))
		if err != nil {
			t.Fatal(err)
		}
		logs := &logBuffer{}
		o := opts(t, cs, ns, "second")
		o.Wait = waitTimeout
		o.Logf = logs.logf(t)
		type result struct {
			l   *lease.Lock
			err error
		}
		got := make(chan result, 1)
		go func() {
			l, err := lease.Acquire(t.Context(), o)
			got <- result{l, err}
		}()
		waitFor(t, logs.changed, func() bool { return logs.has(`is held by "first"`) }, "the second acquirer to wait")
		if err := first.Release(t.Context()); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-got:
			if r.err != nil {
				t.Fatal(r.err)
			}
			defer release(t, r.l)
		case <-time.After(waitTimeout):
			t.Fatalf("the second acquirer did not get the lease within %s of its release", waitTimeout)
		}
		if got := ptr.Deref(get(t, cs, ns).Spec.HolderIdentity, ""); got != "second" {
			t.Errorf("holder %q, want second", got)
		}
	})

	t.Run("waiting acquirer gives up with HeldError", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "timeout")
		first, err := lease.Acquire(t.Context(), opts(t, cs, ns, "first"))
		if err != nil {
			t.Fatal(err)
		}
		defer release(t, first)
		o := opts(t, cs, ns, "second")
		o.Wait = 2 * time.Second
		_, err = lease.Acquire(t.Context(), o)
		var he *lease.HeldError
		if !errors.As(err, &he) || he.Waited == 0 || he.Holder != "first" {
			t.Fatalf("Acquire: %v, want a HeldError naming first after waiting", err)
		}
	})

	t.Run("renewals keep the lease past its duration", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "renew")
		o := opts(t, cs, ns, "holder")
		o.Duration = 2 * time.Second
		l, err := lease.Acquire(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer release(t, l)
		first := get(t, cs, ns).Spec.RenewTime.Time
		// Watch for renewals until one is more than two durations after
		// the first: without renewals the lease would have expired.
		watchLease(t, cs, ns, "a renewal two durations after the first", func(ev watch.Event) bool {
			l, ok := ev.Object.(*coordinationv1.Lease)
			return ok && l.Spec.RenewTime.Time.Sub(first) > 2*o.Duration
		})
		_, err = lease.Acquire(t.Context(), opts(t, cs, ns, "other"))
		var he *lease.HeldError
		if !errors.As(err, &he) {
			t.Fatalf("Acquire by another run: %v, want a HeldError", err)
		}
		select {
		case <-l.Lost():
			t.Fatalf("lost a renewed lease: %v", l.Err())
		default:
		}
	})

	lostTests := []struct {
		name    string
		change  func(t *testing.T, ns string)
		wantErr string
		left    string // holder left after Release; empty: no Lease
	}{
		{
			name: "deleted",
			change: func(t *testing.T, ns string) {
				if err := cs.CoordinationV1().Leases(ns).Delete(t.Context(), "lock", metav1.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: `was deleted while "holder" held it`,
		},
		{
			name: "taken",
			change: func(t *testing.T, ns string) {
				l := get(t, cs, ns)
				l.Spec.HolderIdentity = ptr.To("intruder")
				l.Annotations[lease.TokenAnnotation] = "theirs"
				l.Annotations[lease.RunURLAnnotation] = "https://ci.example/intruder"
				if _, err := cs.CoordinationV1().Leases(ns).Update(t.Context(), l, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: `was taken over by "intruder" (https://ci.example/intruder) while "holder" held it`,
			left:    "intruder",
		},
	}
	for _, tt := range lostTests {
		t.Run("Lost fires when the lease is "+tt.name+" underneath", func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, cs, "lost-"+tt.name)
			o := opts(t, cs, ns, "holder")
			o.Duration = 3 * time.Second
			l, err := lease.Acquire(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			tt.change(t, ns)
			waitClosed(t, l.Lost(), "Lost")
			if err := l.Err(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Err() = %v, want it to contain %q", err, tt.wantErr)
			}
			if err := l.Release(t.Context()); err != nil {
				t.Fatal(err)
			}
			got, err := cs.CoordinationV1().Leases(ns).Get(t.Context(), "lock", metav1.GetOptions{})
			switch {
			case tt.left == "" && !apierrors.IsNotFound(err):
				t.Errorf("after Release: %v, %v, want no Lease", got, err)
			case tt.left != "" && err != nil:
				t.Errorf("after Release: %v, want the Lease of %s left in place", err, tt.left)
			case tt.left != "" && ptr.Deref(got.Spec.HolderIdentity, "") != tt.left:
				t.Errorf("after Release the holder is %q, want %q", ptr.Deref(got.Spec.HolderIdentity, ""), tt.left)
			}
		})
	}

	t.Run("release deletes the lease, twice is fine", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "release")
		l, err := lease.Acquire(t.Context(), opts(t, cs, ns, "holder"))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := l.Release(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := cs.CoordinationV1().Leases(ns).Get(t.Context(), "lock", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("Get after Release: %v, want NotFound", err)
		}
		select {
		case <-l.Lost():
			t.Errorf("Lost closed by Release: %v", l.Err())
		default:
		}
	})

	t.Run("missing namespace", func(t *testing.T) {
		t.Parallel()
		_, err := lease.Acquire(t.Context(), opts(t, cs, "no-such-namespace", "holder"))
		want := `namespace "no-such-namespace" does not exist; create it`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Acquire: %v, want an error containing %q", err, want)
		}
	})
}

// opts returns Options for the Lease "lock" in ns, held as holder, with a
// run URL derived from it and logs to t.
func opts(t *testing.T, cs kubernetes.Interface, ns, holder string) lease.Options {
	return lease.Options{Client: cs, Namespace: ns, Name: "lock", Holder: holder, RunURL: runURL(holder), Logf: safeLogf(t)}
}

// safeLogf logs to t until the test's cleanup, and then drops lines: a
// lock's renewals may log after a test failed before releasing it.
func safeLogf(t *testing.T) func(string, ...any) {
	var (
		mu   sync.Mutex
		done bool
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		done = true
	})
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Logf(format, args...)
		}
	}
}

func runURL(holder string) string { return "https://ci.example/" + holder }

// namespace creates a namespace for one subtest.
func namespace(t *testing.T, cs kubernetes.Interface, name string) string {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

func get(t *testing.T, cs kubernetes.Interface, ns string) *coordinationv1.Lease {
	t.Helper()
	l, err := cs.CoordinationV1().Leases(ns).Get(t.Context(), "lock", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func release(t *testing.T, l *lease.Lock) {
	t.Helper()
	if err := l.Release(context.WithoutCancel(t.Context())); err != nil {
		t.Error(err)
	}
}

// waitClosed waits for ch to close, failing the test after waitTimeout.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("%s not closed within %s", what, waitTimeout)
	}
}

// watchLease watches the Lease "lock" in ns until done accepts an event.
func watchLease(t *testing.T, cs kubernetes.Interface, ns, what string, done func(watch.Event) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	w, err := cs.CoordinationV1().Leases(ns).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", "lock").String()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if done(ev) {
			return
		}
	}
	t.Fatalf("no %s within %s", what, waitTimeout)
}

// waitFor waits until cond holds, re-checking it whenever changed fires.
func waitFor(t *testing.T, changed func() <-chan struct{}, cond func() bool, what string) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		ch := changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
	}
}

// logBuffer collects log lines and signals each new one.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
	ch    chan struct{}
}

func (b *logBuffer) logf(t *testing.T) func(string, ...any) {
	log := safeLogf(t)
	return func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		log("%s", line)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.lines = append(b.lines, line)
		if b.ch != nil {
			close(b.ch)
			b.ch = nil
		}
	}
}

// changed returns a channel closed at the next log line.
func (b *logBuffer) changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *logBuffer) has(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// TestRenewalSurvivesAPIServerRestart keeps a lease across a restart of
// kube-apiserver: renewals that fail meanwhile are retried.
func TestRenewalSurvivesAPIServerRestart(t *testing.T) {
	t.Parallel()
	c := localcluster.StartT(t)
	cs := kubernetes.NewForConfigOrDie(c.Config)
	ns := namespace(t, cs, "restart")
	o := opts(t, cs, ns, "holder")
	// Renewals every 3 s, so that one likely falls into the restart, which
	// takes a few seconds, well within the 9 s the lease lasts.
	o.Duration = 9 * time.Second
	l, err := lease.Acquire(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, l)
	began := time.Now()
	if err := c.RestartAPIServer(t.Context()); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	t.Logf("kube-apiserver restarted in %s", restarted.Sub(began).Round(time.Millisecond))
	watchLease(t, cs, ns, "a renewal after the restart", func(ev watch.Event) bool {
		l, ok := ev.Object.(*coordinationv1.Lease)
		return ok && l.Spec.RenewTime.After(restarted)
	})
	select {
	case <-l.Lost():
		t.Fatalf("lost the lease across the restart: %v", l.Err())
	default:
	}
}
