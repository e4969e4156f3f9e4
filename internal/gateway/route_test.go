package gateway

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/shipgate/shipgate/internal/kube"
)

const routeDoc = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /}}]
      backendRefs: [{name: web, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /static}}]
      backendRefs: [{name: cdn, port: 8080, weight: 3}]
`

func object(t *testing.T, doc string) kube.Object {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return kube.Object{Obj: u, Source: kube.Source{Path: "deploy/route.yaml", Line: 1}}
}

func TestFind(t *testing.T) {
	t.Parallel()
	route := object(t, routeDoc)
	other := object(t, strings.Replace(routeDoc, "name: web, namespace", "name: admin, namespace", 1))
	svc := object(t, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n")
	tests := []struct {
		name    string
		objs    []kube.Object
		want    string
		route   string
		wantErr string
	}{
		{name: "the only route", objs: []kube.Object{svc, route}, want: "web"},
		{name: "by name", objs: []kube.Object{route, other}, route: "admin", want: "admin"},
		{name: "two routes need a name", objs: []kube.Object{route, other}, wantErr: "set promote.weighted.route to the one whose weights move"},
		{name: "no route", objs: []kube.Object{svc}, wantErr: "the manifests have no HTTPRoute"},
		{name: "a name not there", objs: []kube.Object{route}, route: "shop", wantErr: `promote.weighted.route "shop": the manifests have no HTTPRoute of that name; they have [web]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Find(tc.objs, tc.route)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Find() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Obj.GetName() != tc.want {
				t.Fatalf("Find() = %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	route := object(t, routeDoc)
	if err := Check(route, []string{"web", "cdn"}); err != nil {
		t.Errorf("Check() = %v, want nil", err)
	}
	err := Check(route, []string{"web"})
	if err == nil || !strings.Contains(err.Error(), "spec.rules[1].backendRefs[0] (Service cdn) names Service cdn, which the manifests do not define") {
		t.Errorf("Check() = %v", err)
	}
	foreign := object(t, strings.Replace(routeDoc, "{name: web, port: 80}", "{name: web, namespace: other, port: 80}", 1))
	if err := Check(foreign, []string{"web", "cdn"}); err == nil || !strings.Contains(err.Error(), "the Service is in namespace other") {
		t.Errorf("Check() of a ref to another namespace = %v", err)
	}
}

func TestWeighted(t *testing.T) {
	t.Parallel()
	route := object(t, routeDoc)
	for _, tc := range []struct {
		name     string
		backends map[string][]Backend
		want     []string
	}{
		{name: "90/10", backends: map[string][]Backend{"web": {{"web-r1", 90}, {"web-r2", 10}}}, want: []string{"web-r1:80:90", "web-r2:80:10", "cdn:8080:3"}},
		{name: "a zero weight leaves the backend out", backends: map[string][]Backend{"web": {{"web-r1", 0}, {"web-r2", 100}}}, want: []string{"web-r2:80:100", "cdn:8080:3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, err := Weighted(route.Obj, tc.backends)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
			for _, r := range rules {
				refs, _, _ := unstructured.NestedSlice(r.(map[string]any), "backendRefs")
				for _, b := range refs {
					m := b.(map[string]any)
					got = append(got, strings.Join([]string{m["name"].(string), toString(m["port"]), toString(m["weight"])}, ":"))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("backendRefs (-want +got):\n%s", diff)
			}
			if refs, _ := Refs(route.Obj); refs[0].Name != "web" {
				t.Errorf("Weighted changed its input: %v", refs)
			}
		})
	}
}

func toString(v any) string {
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}
