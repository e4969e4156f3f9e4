#!/usr/bin/env bash
# Regenerates the webhook event payloads in this directory from npm
# @octokit/webhooks-examples (api.github.com/index.json: a list of
# {name, actions, examples}). Needs npm, tar and node. CI does not run this:
# the payloads are committed. See README.md.
set -euo pipefail

version=7.6.1
# file  event  action ("-" for events without one)  index among the examples of that event and action
picks='
pull_request.opened.json             pull_request  opened            0
pull_request.synchronize.json        pull_request  synchronize       0
merge_group.checks_requested.json    merge_group   checks_requested  0
push.json                            push          -                 4
workflow_dispatch.json               workflow_dispatch -             0
'

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "@octokit/webhooks-examples@$version" >/dev/null)
tar -xzf "$tmp/octokit-webhooks-examples-$version.tgz" -C "$tmp" package/api.github.com/index.json

echo "$picks" | while read -r file event action index; do
  [ -n "$file" ] || continue
  node -e '
    const [index, event, action, n, out] = process.argv.slice(1);
    const all = JSON.parse(require("fs").readFileSync(index, "utf8"));
    const entry = all.find((e) => e.name === event);
    if (!entry) throw new Error(`no event ${event}`);
    const examples = entry.examples.filter((x) => action === "-" || x.action === action);
    const ex = examples[Number(n)];
    if (!ex) throw new Error(`${event}.${action}: no example ${n} of ${examples.length}`);
    require("fs").writeFileSync(out, JSON.stringify(ex, null, 2) + "\n");
  ' "$tmp/package/api.github.com/index.json" "$event" "$action" "$index" "$here/$file"
  echo "wrote $file" >&2
done
