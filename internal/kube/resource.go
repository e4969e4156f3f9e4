package kube

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource returns the API resource of an object's kind and whether it
// is namespaced, from the cluster's discovery.
func (c *Client) Resource(id ID) (schema.GroupVersionResource, bool, error) {
	m, err := c.mapping(id, "")
	if err != nil {
		return schema.GroupVersionResource{}, false, fmt.Errorf("resource of %s: %w", id.GroupKind(), err)
	}
	return m.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}
