#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy and
# caches them by version: kube-apiserver, kube-controller-manager,
# kube-scheduler (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3) and
# kwok (sigs.k8s.io/kwok). A version already built and verified is not
# rebuilt. Progress goes to stderr: what it builds, each step's start and
# end with elapsed seconds, a line a minute while a step or a wait for
# another build's lock goes on. Prints the directory holding the binaries
# as its last line on stdout.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.33.13}
ETCD_VERSION=${ETCD_VERSION:-v3.6.5}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/shipgate/k8s/$K8S_VERSION
bins=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)

log() { echo "build-k8s: $*" >&2; }
started=$SECONDS

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
take_lock "$cache"

want="k8s=$K8S_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION"
# unverified says why the cache does not hold this script's binaries, or
# fails when it does.
unverified() {
  if [ ! -f "$cache/VERSIONS" ]; then echo "no build yet"; return 0; fi
  if [ "$(cat "$cache/VERSIONS")" != "$want" ]; then echo "VERSIONS is '$(cat "$cache/VERSIONS")', want '$want'"; return 0; fi
  for b in "${bins[@]}"; do
    if [ ! -x "$cache/$b" ]; then echo "$b is missing"; return 0; fi
  done
  if ! "$cache/kube-apiserver" --version 2>/dev/null | grep -qix "kubernetes $K8S_VERSION"; then
    echo "kube-apiserver --version is not Kubernetes $K8S_VERSION"
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
log "building ($why): kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION into $cache; about 20 minutes on 2 cores"

mkdir -p "$cache"
work=$(mktemp -d)

# kube-apiserver, controller-manager and scheduler: a throwaway module that
# requires k8s.io/kubernetes and replaces each staging module at v0.0.0 with
# its published v0.Y.Z tag.
minor=${K8S_VERSION#v1.}
staging="v0.${minor}"
mkdir -p "$work/k8s" && cd "$work/k8s"
go mod init shipgate.local/k8s-build >/dev/null 2>&1
step "resolve k8s.io/kubernetes $K8S_VERSION" sh -c 'go mod download -json "k8s.io/kubernetes@$1" >dl.json' sh "$K8S_VERSION"
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
step "go mod tidy (downloads the module graph)" go mod tidy
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  CGO_ENABLED=0 step "build $c $K8S_VERSION" go build -trimpath -ldflags "$ldflags" -o "$cache/$c" "k8s.io/kubernetes/cmd/$c"
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
step "download etcd $ETCD_VERSION" go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
step "go mod tidy (etcd)" go mod tidy
CGO_ENABLED=0 step "build etcd $ETCD_VERSION" go build -trimpath -ldflags "-s -w" -o "$cache/etcd" .

GOBIN="$cache" CGO_ENABLED=0 step "build kwok $KWOK_VERSION" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"

echo "$want" > "$cache/VERSIONS"
if why=$(unverified); then
  log "built binaries failed verification: $why"
  exit 1
fi
log "built and verified in $((SECONDS - started))s"
echo "$cache"
