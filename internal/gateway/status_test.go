package gateway

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func TestJudgeStatus(t *testing.T) {
	t.Parallel()
	const spec = "metadata: {name: web, namespace: shop, generation: 4}\nspec:\n  parentRefs: [{name: gw}]\n"
	tests := []struct {
		name, status string
		done         bool
		waiting      string
		refused      string
	}{
		{name: "accepted at the generation", done: true, status: `status: {parents: [{parentRef: {name: gw}, controllerName: traefik.io/gateway-controller, conditions: [
  {type: Accepted, status: "True", reason: Accepted, observedGeneration: 4}, {type: ResolvedRefs, status: "True", reason: ResolvedRefs, observedGeneration: 4}]}]}`},
		{name: "an older generation waits", waiting: "Accepted by traefik.io/gateway-controller not yet for generation 4", status: `status: {parents: [{parentRef: {name: gw}, controllerName: traefik.io/gateway-controller, conditions: [
  {type: Accepted, status: "True", reason: Accepted, observedGeneration: 3}, {type: ResolvedRefs, status: "True", reason: ResolvedRefs, observedGeneration: 3}]}]}`},
		{name: "no status", waiting: "parent gw: no status from any gateway", status: "status: {}"},
		{name: "refused with the gateway's reason", refused: "Accepted is False, reason NoMatchingParent: no listener", status: `status: {parents: [{parentRef: {name: gw}, controllerName: traefik.io/gateway-controller, conditions: [
  {type: Accepted, status: "False", reason: NoMatchingParent, message: no listener, observedGeneration: 4}]}]}`},
		{name: "unresolved refs", refused: "ResolvedRefs is False, reason BackendNotFound", status: `status: {parents: [{parentRef: {name: gw}, controllerName: x, conditions: [
  {type: Accepted, status: "True", reason: Accepted, observedGeneration: 4}, {type: ResolvedRefs, status: "False", reason: BackendNotFound, observedGeneration: 4}]}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(spec+tc.status), &u.Object); err != nil {
				t.Fatal(err)
			}
			done, waiting, err := judge(u, 4)
			var refused *RefusedError
			switch {
			case tc.refused != "":
				if !errors.As(err, &refused) || !strings.Contains(err.Error(), tc.refused) {
					t.Errorf("judge() error = %v, want a refusal with %q", err, tc.refused)
				}
			case err != nil:
				t.Errorf("judge() error = %v", err)
			case done != tc.done || !strings.Contains(waiting, tc.waiting):
				t.Errorf("judge() = %v, %q; want %v, %q", done, waiting, tc.done, tc.waiting)
			}
		})
	}
}
