#!/usr/bin/env bash
# The README's test command and the last step of .ci/run: sets up what the
# tests need on a fresh machine, then runs them.
#
# Usage (as root):
#   bash hack/test.sh [go test arguments]
#
#   1. Installs the packages in `needs` that are missing (apt-get, as root;
#      otherwise it names them and the command that installs them, and
#      stops) and checks git is at least 2.38.
#   2. Builds the local control plane's binaries once, or verifies the
#      cache (bash .ci/build-k8s.sh, ~20 minutes cold); not when
#      SHIPGATE_K8S_BIN_DIR points the tests at binaries elsewhere.
#   3. Makes a Docker engine answer and builds or loads the kind node image
#      (bash .ci/build-kind-node.sh); not when SHIPGATE_SKIP_KIND=1.
#   4. Runs go test -race -shuffle=on with the arguments given, ./... when
#      none: e.g. bash hack/test.sh -run TestControllerLifecycle ./internal/podnet
#
# Root, because the pod network the Kubernetes tests serve pods from makes
# network namespaces, veth pairs and addresses (internal/podnet).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests need: "command[|another name of it]:Debian package", one
# line each. A new need is one more line.
needs=(
  "git:git"                            # merge-check's merges (version checked below)
  "ip:iproute2"                        # the pod network: ip netns, veth, addresses
  "flock:util-linux"                   # the lock of .ci/build-k8s.sh
  "chromium|chromium-browser:chromium" # the timeline report's browser tests
  "prometheus:prometheus"              # the metric rules' tests run a real Prometheus
)

say() { echo "test.sh: $*" >&2; }

# missing lists the packages of needs whose command is not on PATH.
missing() {
  local need cmds pkg found c
  for need in "${needs[@]}"; do
    cmds=${need%%:*} pkg=${need#*:} found=
    for c in ${cmds//|/ }; do
      if command -v "$c" >/dev/null 2>&1; then found=1; fi
    done
    if [ -z "$found" ]; then echo "$pkg"; fi
  done
}

if ! command -v go >/dev/null 2>&1; then
  say "go is not on PATH: install Go (the version in go.mod or newer) from https://go.dev/dl/"
  exit 1
fi
root=
if [ "$(id -u)" -eq 0 ]; then root=1; fi

mapfile -t pkgs < <(missing)
if [ ${#pkgs[@]} -gt 0 ]; then
  if [ -z "$root" ]; then
    say "missing: ${pkgs[*]}; install them with:"
    say "  sudo apt-get update && sudo apt-get install -y ${pkgs[*]}"
  else
    say "installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${pkgs[@]}" >/dev/null
    mapfile -t pkgs < <(missing)
    if [ ${#pkgs[@]} -gt 0 ]; then
      say "still missing after apt-get install: ${pkgs[*]}"
      exit 1
    fi
  fi
fi
if [ -z "$root" ]; then
  say "the tests need root: the pod network makes network namespaces and veth pairs; run:"
  say "  sudo env \"PATH=\$PATH\" bash hack/test.sh${*:+ $*}"
  exit 1
fi
read -r _ _ version _ < <(git version)
IFS=. read -r major minor _ <<<"$version"
if [ "${major:-0}" -lt 2 ] || { [ "$major" -eq 2 ] && [ "${minor:-0}" -lt 38 ]; }; then
  say "git $version is older than 2.38: merge-check needs git merge-tree --write-tree; install git 2.38 or newer"
  exit 1
fi

if [ -n "${SHIPGATE_K8S_BIN_DIR:-}" ]; then
  say "SHIPGATE_K8S_BIN_DIR=$SHIPGATE_K8S_BIN_DIR: the tests use the control plane binaries there"
else
  say "the local control plane's binaries (built once, cached by version)"
  bash .ci/build-k8s.sh >/dev/null
fi
if [ -z "${SHIPGATE_TRAEFIK_DIR:-}" ]; then bash .ci/build-traefik.sh >/dev/null; fi # Traefik for the weighted promote's tests (~15 minutes cold, cached by version)
# The kind provider's end-to-end tests: a Docker engine (Debian's docker.io,
# started if none answers) and the kind node image, built offline (~13
# minutes cold, the control plane's build cached) or loaded from the cache.
# SHIPGATE_SKIP_KIND=1 skips both; the kind tests then skip and say so.
if [ "${SHIPGATE_SKIP_KIND:-}" != 1 ]; then bash .ci/build-kind-node.sh >/dev/null; fi

if [ $# -eq 0 ]; then set -- ./...; fi
say "go test -race -shuffle=on -timeout 40m $*"
exec go test -race -shuffle=on -timeout 40m "$@"  # the root package's end-to-end tests pass 10 minutes, go test's default, on a busy machine
