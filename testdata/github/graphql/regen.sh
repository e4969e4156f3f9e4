#!/usr/bin/env bash
# Re-fetches GitHub's GraphQL schema, as published on npm
# (@octokit/graphql-schema), and writes schema.graphql.gz and LICENSE.md.
# Needs npm, tar and gzip. CI does not run this: the schema is committed.
# See README.md.
set -euo pipefail

version=15.26.1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetching @octokit/graphql-schema@$version (about 0.6 MB)" >&2
(cd "$tmp" && npm pack --silent "@octokit/graphql-schema@$version" >/dev/null)
tar -xzf "$tmp/octokit-graphql-schema-$version.tgz" -C "$tmp" package/schema.graphql package/LICENSE.md

# -n leaves the name and time out of the header, so the same version
# gives the same bytes.
gzip -n -9 -c "$tmp/package/schema.graphql" >"$here/schema.graphql.gz"
cp "$tmp/package/LICENSE.md" "$here/LICENSE.md"
echo "wrote $here/schema.graphql.gz ($(sha256sum "$tmp/package/schema.graphql" | cut -d' ' -f1) uncompressed)" >&2
