package sandbox

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/parity"
)

func TestTargetNamespaces(t *testing.T) {
	t.Parallel()
	obj := func(apiVersion, kind, ns, name string) kube.Object {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetNamespace(ns)
		u.SetName(name)
		return kube.Object{Obj: u}
	}
	for _, tc := range []struct {
		name          string
		objs          []kube.Object
		wantSB, wantP []parity.Namespace
	}{
		{
			name:   "objects without a namespace: the run's against production's",
			objs:   []kube.Object{obj("apps/v1", "Deployment", "", "web")},
			wantSB: []parity.Namespace{{Name: "shipgate-1-1", As: "shop"}},
			wantP:  []parity.Namespace{{Name: "shop", As: "shop"}},
		},
		{
			name: "named namespaces by name, once, sorted; production's own not twice",
			objs: []kube.Object{
				obj("v1", "Namespace", "", "payments"), obj("apps/v1", "Deployment", "payments", "api"),
				obj("v1", "ConfigMap", "audit", "x"), obj("v1", "ConfigMap", "shop", "y"),
			},
			wantSB: []parity.Namespace{{Name: "shipgate-1-1", As: "shop"}, {Name: "audit", As: "audit"}, {Name: "payments", As: "payments"}},
			wantP:  []parity.Namespace{{Name: "shop", As: "shop"}, {Name: "audit", As: "audit"}, {Name: "payments", As: "payments"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb, p := targetNamespaces(deploy.Loaded{Objects: tc.objs}, "shipgate-1-1", "shop")
			if diff := cmp.Diff(tc.wantSB, sb); diff != "" {
				t.Errorf("sandbox (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantP, p); diff != "" {
				t.Errorf("production (-want +got):\n%s", diff)
			}
		})
	}
}
