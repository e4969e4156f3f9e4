package lease

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestRenewRetries checks one function, renew, against API errors the
// local control plane cannot produce on demand: a renewal retries
// transient errors until the lease would expire, and gives up at once on
// others.
func TestRenewRetries(t *testing.T) {
	t.Parallel()
	unavailable := apierrors.NewServiceUnavailable("apiserver is shutting down")
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "lock", nil)
	tests := []struct {
		name     string
		failures int // updates that fail before one succeeds; -1: all
		err      error
		want     string // empty: the renewal succeeds
		calls    int    // update calls expected, 0: not checked
		duration time.Duration
	}{
		{name: "transient errors, then success", failures: 3, err: unavailable, calls: 4, duration: time.Minute},
		{name: "transient errors until expiry", failures: -1, err: unavailable, want: "renewals failed until it expired at", duration: 2 * time.Second},
		{name: "forbidden gives up at once", failures: -1, err: forbidden, want: "renew lease ns/lock: leases.coordination.k8s.io \"lock\" is forbidden", calls: 1, duration: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset()
			var calls atomic.Int32
			cs.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
				n := int(calls.Add(1))
				if tt.failures < 0 || n <= tt.failures {
					return true, nil, tt.err
				}
				return false, nil, nil
			})
			var clock atomic.Int64 // seconds after base
			base := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
			now := func() time.Time { return base.Add(time.Duration(clock.Load()) * time.Second) }
			o, err := Options{Client: cs, Namespace: "ns", Name: "lock", Holder: "me", Duration: tt.duration, Now: now}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			a := &acquirer{o: o, leases: cs.CoordinationV1().Leases("ns"), token: "tok"}
			l, _, err := a.create(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			clock.Store(1)
			k := &Lock{o: o, leases: a.leases, token: a.token, lease: l}
			err = k.renew(ctx)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("renew: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("renew: %v, want an error containing %q", err, tt.want)
			}
			if tt.calls > 0 && int(calls.Load()) != tt.calls {
				t.Errorf("%d update calls, want %d", calls.Load(), tt.calls)
			}
			if tt.want == "" {
				got, err := cs.CoordinationV1().Leases("ns").Get(t.Context(), "lock", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if want := base.Add(time.Second); !got.Spec.RenewTime.Time.Equal(want) || !k.current().Spec.RenewTime.Time.Equal(want) {
					t.Errorf("renew time stored %v, recorded %v; want %v", got.Spec.RenewTime, k.current().Spec.RenewTime, want)
				}
			}
		})
	}
}
