#!/usr/bin/env bash
# Builds Traefik, the Gateway API implementation the weighted promote's tests
# route through, from the Go module proxy and caches it by version beside
# the Gateway API's standard-channel CRDs it is tested with:
#   traefik             github.com/traefik/traefik/v3/cmd/traefik
#   crds/*.yaml         sigs.k8s.io/gateway-api config/crd/standard
# A version already built and verified is not rebuilt. Progress goes to
# stderr: what it builds, each step's start and end with elapsed seconds, a
# line a minute while a step or a wait for another build's lock goes on.
# Prints the directory holding the binary as its last line on stdout.
#
# `go install …/cmd/traefik@VERSION` is refused (Traefik's go.mod has replace
# directives), so a throwaway module requires Traefik and repeats its
# replace and exclude directives, read from Traefik's own go.mod.
set -euo pipefail

TRAEFIK_VERSION=${TRAEFIK_VERSION:-v3.6.12}
GATEWAY_API_VERSION=${GATEWAY_API_VERSION:-v1.6.3}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/shipgate/traefik/$TRAEFIK_VERSION

log() { echo "build-traefik: $*" >&2; }
started=$SECONDS

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
take_lock "$cache"

want="traefik=$TRAEFIK_VERSION gateway-api=$GATEWAY_API_VERSION"
# unverified says why the cache does not hold this script's build, or fails
# when it does.
unverified() {
  if [ ! -f "$cache/VERSIONS" ]; then echo "no build yet"; return 0; fi
  if [ "$(cat "$cache/VERSIONS")" != "$want" ]; then echo "VERSIONS is '$(cat "$cache/VERSIONS")', want '$want'"; return 0; fi
  if [ ! -x "$cache/traefik" ]; then echo "traefik is missing"; return 0; fi
  local said # read whole: grep -q ending the pipe early would fail it under pipefail
  said=$("$cache/traefik" version 2>/dev/null || true)
  if ! grep -qE "^Version:[[:space:]]+${TRAEFIK_VERSION#v}\$" <<<"$said"; then
    echo "traefik version does not say ${TRAEFIK_VERSION#v}"
    return 0
  fi
  if ! ls "$cache"/crds/gateway.networking.k8s.io_httproutes.yaml >/dev/null 2>&1; then
    echo "the Gateway API CRDs are missing from $cache/crds"
    return 0
  fi
  return 1
}
log "checking $cache for $want"
if ! why=$(unverified); then
  log "cached and verified in $((SECONDS - started))s"
  echo "$cache"
  exit 0
fi
log "building ($why): traefik $TRAEFIK_VERSION and the Gateway API $GATEWAY_API_VERSION standard CRDs into $cache; about 15 minutes on 2 cores"

mkdir -p "$cache"
work=$(mktemp -d)

# The Gateway API's standard channel (the experimental one stays off): the
# CustomResourceDefinitions of the module's config/crd/standard.
mkdir -p "$work/gw" && cd "$work/gw"
go mod init shipgate.local/gateway-api-crds >/dev/null 2>&1
step "download sigs.k8s.io/gateway-api $GATEWAY_API_VERSION" sh -c 'go mod download -json "sigs.k8s.io/gateway-api@$1" >dl.json' sh "$GATEWAY_API_VERSION"
dir=$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' dl.json)
rm -rf "$cache/crds" && mkdir -p "$cache/crds"
for f in "$dir"/config/crd/standard/*.yaml; do
  if grep -q '^kind: CustomResourceDefinition' "$f"; then cp "$f" "$cache/crds/"; fi
done
chmod 0644 "$cache"/crds/*.yaml

# Traefik: a throwaway module requiring it, with its replace and exclude
# directives copied from its go.mod.
mkdir -p "$work/traefik" && cd "$work/traefik"
go mod init shipgate.local/traefik-build >/dev/null 2>&1
step "resolve github.com/traefik/traefik/v3 $TRAEFIK_VERSION" sh -c 'go mod download -json "github.com/traefik/traefik/v3@$1" >dl.json' sh "$TRAEFIK_VERSION"
gomod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' dl.json)
{
  echo "require github.com/traefik/traefik/v3 $TRAEFIK_VERSION"
  # replace ( ... ) blocks and one-line replace/exclude directives.
  awk '
    /^replace \($/ { inblock = 1; next }
    inblock && /^\)$/ { inblock = 0; next }
    inblock && /=>/ { sub(/^[ \t]+/, ""); print "replace " $0; next }
    /^(replace|exclude) [^(]/ { print }
  ' "$gomod"
} >>go.mod
log "module: $(grep -cE '^replace ' go.mod) replace and $(grep -cE '^exclude ' go.mod) exclude directives copied from Traefik's go.mod"
cat >tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
GO
step "go mod tidy (downloads the module graph)" go mod tidy
ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION#v}"
CGO_ENABLED=0 step "build traefik $TRAEFIK_VERSION" go build -trimpath -ldflags "$ldflags" -o "$cache/traefik" github.com/traefik/traefik/v3/cmd/traefik

echo "$want" >"$cache/VERSIONS"
if why=$(unverified); then
  log "built binary failed verification: $why"
  exit 1
fi
log "built and verified in $((SECONDS - started))s"
echo "$cache"
