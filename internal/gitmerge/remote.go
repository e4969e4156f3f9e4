package gitmerge

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// HasRemote reports whether the repository has a remote of that name.
func (r *Repo) HasRemote(ctx context.Context, name string) (bool, error) {
	out, err := r.output(ctx, nil, "remote")
	if err != nil {
		return false, fmt.Errorf("list remotes: %w", err)
	}
	return slices.Contains(strings.Fields(string(out)), name), nil
}
