package kube

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestRejected(t *testing.T) {
	t.Parallel()
	gk := schema.GroupKind{Group: "apps", Kind: "Deployment"}
	invalid := apierrors.NewInvalid(gk, "web", field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), -2, "must be greater than or equal to 0")})
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"invalid", fmt.Errorf("apply: %w", invalid), true},
		{"forbidden", apierrors.NewForbidden(schemaGR(), "web", errors.New("no")), true},
		{"namespace not found", apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "nowhere"), true},
		{"unknown kind", &meta.NoKindMatchError{GroupKind: gk}, true},
		{"unauthorized", apierrors.NewUnauthorized("token expired"), false},
		{"throttled", apierrors.NewTooManyRequests("slow down", 1), false},
		{"server error", apierrors.NewInternalError(errors.New("etcd")), false},
		{"timeout", apierrors.NewServerTimeout(schemaGR(), "patch", 1), false},
		{"no answer", errors.New("dial tcp 127.0.0.1:6443: connect: connection refused"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := rejected(tc.err); got != tc.want {
				t.Errorf("rejected(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	a := Applied{
		ID: ID{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}, Source: Source{Path: "k8s/app.yaml", Line: 3},
		Outcome: Failed, Err: fmt.Errorf("apply: %w", invalid), Rejected: true, fieldLines: map[string]int{"spec.replicas": 9},
	}
	fs := ApplyFindings([]Applied{a})
	if len(fs) != 1 || fs[0].Location() != "k8s/app.yaml:9" || fs[0].Title != "Rejected by the API server: spec.replicas" {
		t.Errorf("ApplyFindings(invalid) = %+v", fs)
	}
}
