#!/usr/bin/env bash
# Regenerates api.github.com.subset.json from GitHub's OpenAPI description as
# published on npm (@octokit/openapi). Needs npm, tar and go. CI does not run
# this: the subset is committed. See README.md.
set -euo pipefail

version=23.0.2
ops=(
  checks/create
  checks/update
  checks/get
  checks/list-for-ref
  pulls/get
  pulls/list
  pulls/merge
  repos/get
  repos/create-deployment
  repos/create-deployment-status
  repos/list-deployments
  repos/create-commit-status
  repos/list-deployment-statuses
  repos/list-pull-requests-associated-with-commit
  issues/create-comment
  actions/list-workflow-runs-for-repo
  actions/list-workflow-run-artifacts
  actions/download-artifact
)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetching @octokit/openapi@$version (about 28 MB)" >&2
(cd "$tmp" && npm pack --silent "@octokit/openapi@$version" >/dev/null)
tar -xzf "$tmp/octokit-openapi-$version.tgz" -C "$tmp" package/generated/api.github.com.json

(IFS=,; cd "$root" && go run ./internal/ghemu/cmd/openapi-subset \
  -in "$tmp/package/generated/api.github.com.json" \
  -out "$here/api.github.com.subset.json" \
  -source "@octokit/openapi@$version" \
  -file generated/api.github.com.json \
  -ops "${ops[*]}")
echo "wrote $here/api.github.com.subset.json" >&2
