#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy and
# caches them by version: kube-apiserver, kube-controller-manager,
# kube-scheduler (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3) and
# kwok (sigs.k8s.io/kwok). A version already built and verified is not
# rebuilt. Prints the directory holding the binaries as its last line.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.33.13}
ETCD_VERSION=${ETCD_VERSION:-v3.6.5}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/shipgate/k8s/$K8S_VERSION
bins=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)

# One build at a time per version: a second caller waits for the first.
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9

verified() {
  [ -f "$cache/VERSIONS" ] || return 1
  [ "$(cat "$cache/VERSIONS")" = "k8s=$K8S_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION" ] || return 1
  for b in "${bins[@]}"; do [ -x "$cache/$b" ] || return 1; done
  "$cache/kube-apiserver" --version 2>/dev/null | grep -qix "kubernetes $K8S_VERSION"
}
if verified; then
  echo "$cache"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { echo "build-k8s: $*" >&2; }

# kube-apiserver, controller-manager and scheduler: a throwaway module that
# requires k8s.io/kubernetes and replaces each staging module at v0.0.0 with
# its published v0.Y.Z tag.
minor=${K8S_VERSION#v1.}
staging="v0.${minor}"
mkdir -p "$work/k8s" && cd "$work/k8s"
go mod init shipgate.local/k8s-build >/dev/null 2>&1
log "resolving k8s.io/kubernetes $K8S_VERSION"
go mod download -json "k8s.io/kubernetes@$K8S_VERSION" > dl.json
gomod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' dl.json)
{
  echo "require k8s.io/kubernetes $K8S_VERSION"
  grep -E '^\s+k8s.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk '{print $1}' \
    | grep -vE '^k8s.io/(sample-cli-plugin|sample-controller)$' \
    | while read -r m; do echo "replace $m => $m $staging"; done
} >> go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
log "go mod tidy (downloads the module graph)"
go mod tidy >&2
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  log "building $c $K8S_VERSION (the apiserver takes the longest)"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$cache/$c" "k8s.io/kubernetes/cmd/$c"
done

# etcd: a one-line main around etcdmain in a throwaway module.
mkdir -p "$work/etcd" && cd "$work/etcd"
go mod init shipgate.local/etcd-build >/dev/null 2>&1
cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
go mod tidy >&2
log "building etcd $ETCD_VERSION"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$cache/etcd" .

log "building kwok $KWOK_VERSION"
GOBIN="$cache" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2

echo "k8s=$K8S_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION" > "$cache/VERSIONS"
verified || { log "built binaries failed verification"; exit 1; }
echo "$cache"
