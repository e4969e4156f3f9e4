package kube

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseConflictMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msg  string
		want Conflict
	}{
		{`conflict with "kubectl-edit" using apps/v1 at 2024-01-02T03:04:05Z`, Conflict{Manager: "kubectl-edit", APIVersion: "apps/v1", Time: "2024-01-02T03:04:05Z"}},
		{`conflict with "kube-controller-manager" with subresource "scale" using apps/v1`, Conflict{Manager: "kube-controller-manager", Subresource: "scale", APIVersion: "apps/v1"}},
		{`conflict with "other-applier"`, Conflict{Manager: "other-applier"}},
		{`conflict with "we \"quote\""`, Conflict{Manager: `we "quote"`}},
		{`something else`, Conflict{Manager: "something else"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseConflictMessage(tt.msg)); diff != "" {
			t.Errorf("parseConflictMessage(%q) (-want +got):\n%s", tt.msg, diff)
		}
	}
}

func TestConflicts(t *testing.T) {
	t.Parallel()
	err := &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: 409, Reason: metav1.StatusReasonConflict,
		Message: `Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image`,
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{
			{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "kubectl-edit" using apps/v1`, Field: ".spec.replicas"},
			{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "kubectl-edit" using apps/v1`, Field: `.spec.template.spec.containers[name="web"].image`},
		}},
	}}
	want := []Conflict{
		{Field: ".spec.replicas", Manager: "kubectl-edit", APIVersion: "apps/v1"},
		{Field: `.spec.template.spec.containers[name="web"].image`, Manager: "kubectl-edit", APIVersion: "apps/v1"},
	}
	if diff := cmp.Diff(want, Conflicts(fmt.Errorf("apply: %w", err))); diff != "" {
		t.Errorf("Conflicts (-want +got):\n%s", diff)
	}
	if got := Conflicts(apierrors.NewConflict(schemaGR(), "x", fmt.Errorf("optimistic lock"))); got != nil {
		t.Errorf("Conflicts of an update conflict = %v, want nil", got)
	}
	if got := Conflicts(fmt.Errorf("plain")); got != nil {
		t.Errorf("Conflicts of a plain error = %v", got)
	}
}

func TestApplyFindingsConflict(t *testing.T) {
	t.Parallel()
	a := Applied{
		ID: ID{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}, Source: Source{Path: "k8s/app.yaml", Line: 3},
		Outcome: Failed, Err: fmt.Errorf("x"),
		Conflicts:  []Conflict{{Field: ".spec.replicas", Manager: "kubectl-edit", APIVersion: "apps/v1"}, {Field: ".spec.paused", Manager: "m"}},
		fieldLines: map[string]int{".spec.replicas": 9},
	}
	fs := ApplyFindings([]Applied{a, {Outcome: Created}})
	if len(fs) != 2 {
		t.Fatalf("findings = %v", fs)
	}
	if fs[0].Location() != "k8s/app.yaml:9" || fs[1].Location() != "k8s/app.yaml:3" || fs[0].Check != CheckConflict {
		t.Errorf("locations %s, %s; check %s", fs[0].Location(), fs[1].Location(), fs[0].Check)
	}
	want := `Server-side apply of Deployment/shop/web conflicts: .spec.replicas is owned by field manager "kubectl-edit" (an update with apps/v1). shipgate applies as field manager "shipgate" without force: drop the field from the manifest, make "kubectl-edit" stop managing it, or apply with force to take it over.`
	if fs[0].Message != want {
		t.Errorf("message:\n got %s\nwant %s", fs[0].Message, want)
	}
}

func TestFieldLine(t *testing.T) {
	t.Parallel()
	src := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: sidecar
          image: s
        - name: web
          image: w
          ports:
            - containerPort: 80
              protocol: TCP
      finalizers: [a, b]
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	tests := []struct {
		path string
		want int
	}{
		{".spec.replicas", 8},
		{`.spec.template.spec.containers[name="web"].image`, 15},
		{`.spec.template.spec.containers[name="web"]`, 14},
		{`.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].protocol`, 18},
		{`.metadata.labels.app.kubernetes.io/name`, 6},
		{`.spec.template.spec.finalizers[="b"]`, 19},
		{`.spec.template.spec.containers[1].image`, 15},
		{`.spec.template.spec.containers[name="gone"].image`, 11},
		{`.spec.strategy`, 7},
		{`.status`, 0},
	}
	for _, tt := range tests {
		if got := fieldLine(root, tt.path); got != tt.want {
			t.Errorf("fieldLine(%s) = %d, want %d", tt.path, got, tt.want)
		}
	}
	if got := fieldLine(nil, ".spec"); got != 0 {
		t.Errorf("fieldLine(nil) = %d", got)
	}
}
