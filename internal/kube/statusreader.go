package kube

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cli-utils/pkg/kstatus/polling/engine"
	"sigs.k8s.io/cli-utils/pkg/kstatus/polling/event"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/cli-utils/pkg/object"
)

// computeReader computes an object's status from the object alone with
// status.Compute. Wait watches the pods of workloads itself to say why one
// is not ready, so the default reader's lookups of ReplicaSets and pods on
// every event are not needed.
type computeReader struct {
	mapper meta.RESTMapper
}

var _ engine.StatusReader = computeReader{}

// Supports reports that every kind is supported.
func (computeReader) Supports(schema.GroupKind) bool { return true }

// ReadStatus reads the object from the cluster and computes its status.
func (r computeReader) ReadStatus(ctx context.Context, reader engine.ClusterReader, id object.ObjMetadata) (*event.ResourceStatus, error) {
	m, err := r.mapper.RESTMapping(id.GroupKind)
	if err != nil {
		return &event.ResourceStatus{Identifier: id, Status: status.UnknownStatus, Error: err}, nil
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(m.GroupVersionKind)
	err = reader.Get(ctx, types.NamespacedName{Namespace: id.Namespace, Name: id.Name}, u)
	switch {
	case apierrors.IsNotFound(err):
		return &event.ResourceStatus{Identifier: id, Status: status.NotFoundStatus, Message: "Resource not found"}, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return &event.ResourceStatus{Identifier: id, Status: status.UnknownStatus, Error: err}, nil
	}
	return r.ReadStatusForObject(ctx, reader, u)
}

// ReadStatusForObject computes the status of an object.
func (computeReader) ReadStatusForObject(_ context.Context, _ engine.ClusterReader, u *unstructured.Unstructured) (*event.ResourceStatus, error) {
	id := object.UnstructuredToObjMetadata(u)
	res, err := status.Compute(u)
	if err != nil {
		return &event.ResourceStatus{Identifier: id, Status: status.UnknownStatus, Resource: u, Error: err}, nil
	}
	return &event.ResourceStatus{Identifier: id, Status: res.Status, Resource: u, Message: res.Message}, nil
}
