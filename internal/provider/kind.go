package provider

import (
	"context"
	"errors"
)

func openKind(ctx context.Context, spec Spec, save func(Handle) error) (*Cluster, error) {
	return nil, errors.New("provider kind: not wired yet")
}

func deleteKind(ctx context.Context, name string, spec Spec) error {
	return errors.New("provider kind: not wired yet")
}
