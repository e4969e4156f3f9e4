package mergecheck

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/manifest"
	"github.com/shipgate/shipgate/internal/stage"
)

// maxYAMLDirs bounds the directories an error about the manifests input
// lists as holding YAML.
const maxYAMLDirs = 5

// noManifests explains why the merged tree has no YAML to check. When the
// manifests input matches no file at all, that is an input error, not a
// pass with nothing checked: the error names the input, what was looked
// for and where the tree's YAML is. When it matches files but none is YAML
// to check (a repository whose merge-check is about version files, or
// whose YAML the config ignores), it is a note.
func noManifests(ctx context.Context, env *stage.Env, repo *gitmerge.Repo, tree string) (note string, err error) {
	pattern := env.Inputs.Manifests
	paths, err := repo.Paths(ctx, tree)
	if err != nil {
		return "", fmt.Errorf("input manifests %q selects no YAML; list the merged tree: %w", pattern, err)
	}
	matched, yaml := 0, 0
	var dirs []string
	for _, p := range paths {
		isYAML := manifest.IsManifestPath(p)
		if d := path.Dir(p); isYAML && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
		if manifest.Match(pattern, p) {
			matched++
			if isYAML {
				yaml++
			}
		}
	}
	switch {
	case matched == 0:
		where := "the merged tree has no YAML file"
		if len(dirs) > 0 {
			slices.Sort(dirs)
			more := ""
			if len(dirs) > maxYAMLDirs {
				more = fmt.Sprintf(" and %d more", len(dirs)-maxYAMLDirs)
				dirs = dirs[:maxYAMLDirs]
			}
			where = "the merged tree's YAML is in " + strings.Join(dirs, ", ") + more
		}
		return "", fmt.Errorf("input manifests %q matches no file in the merged tree: looked for a directory, file or glob %q relative to the repository root, holding YAML files (.yaml, .yml); %s. Set manifests to where the Kubernetes YAML is, e.g. deploy",
			pattern, pattern, where)
	case yaml == 0:
		return fmt.Sprintf("Input manifests %q matches %d file(s) in the merged tree, none of them YAML (.yaml, .yml): no manifest was checked.", pattern, matched), nil
	default:
		return fmt.Sprintf("Input manifests %q matches %d YAML file(s) in the merged tree, all skipped by merge-check.ignore %q: no manifest was checked.", pattern, yaml, env.Config.MergeCheck.Ignore), nil
	}
}
