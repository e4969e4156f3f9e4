package kube

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
)

func TestIsTransient(t *testing.T) {
	t.Parallel()
	gr := schemaGR()
	tests := []struct {
		err  error
		want bool
	}{
		{apierrors.NewServiceUnavailable("starting"), true},
		{apierrors.NewInternalError(errors.New("etcd")), true},
		{apierrors.NewTooManyRequests("slow down", 1), true},
		{apierrors.NewGenericServerResponse(502, "GET", gr, "x", "bad gateway", 0, true), true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{apierrors.NewNotFound(gr, "x"), false},
		{apierrors.NewConflict(gr, "x", errors.New("c")), false},
		{apierrors.NewBadRequest("no"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := IsTransient(tt.err); got != tt.want {
			t.Errorf("IsTransient(%v) = %t, want %t", tt.err, got, tt.want)
		}
	}
}

func TestRetryTransient(t *testing.T) {
	t.Parallel()
	fast := wait.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}
	calls := 0
	err := retryWith(t.Context(), fast, func(context.Context) error {
		calls++
		if calls < 3 {
			return apierrors.NewServiceUnavailable("restarting")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("transient then success: err %v after %d calls", err, calls)
	}
	calls = 0
	err = retryWith(t.Context(), fast, func(context.Context) error { calls++; return apierrors.NewServiceUnavailable("down") })
	if !apierrors.IsServiceUnavailable(err) || calls != 3 {
		t.Errorf("always transient: err %v after %d calls, want the last 503 after 3", err, calls)
	}
	calls = 0
	err = retryWith(t.Context(), fast, func(context.Context) error { calls++; return apierrors.NewBadRequest("no") })
	if !apierrors.IsBadRequest(err) || calls != 1 {
		t.Errorf("permanent: err %v after %d calls, want it at once", err, calls)
	}
}
