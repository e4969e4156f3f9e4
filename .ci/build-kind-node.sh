#!/usr/bin/env bash
# Builds a kind node image offline and caches it by Kubernetes version, then
# makes sure a Docker engine runs that can boot it. `kind build node-image`
# cannot run without a registry (it pulls pause, etcd, CoreDNS, kindnetd and
# the storage images), so the image is assembled here from:
#   - a Debian bookworm rootfs (debootstrap --variant=minbase) with systemd,
#     containerd, runc, the CNI plugins, iptables, nftables, conntrack;
#   - kind's base files (images/base/files of the sigs.k8s.io/kind module at
#     go.mod's version) and its default storage manifest;
#   - crictl, kubelet, kubeadm, kubectl, kube-proxy, CoreDNS and
#     local-path-provisioner built from the Go module proxy, the control
#     plane's commands and etcd from .ci/build-k8s.sh's cache;
#   - component images (a static binary on a minimal base) tagged exactly
#     as `kubeadm config images list` prints them, a pause built from
#     .ci/kind-node/pause.go and a CNI stand-in for kindnetd
#     (.ci/kind-node/cni.go: no NetworkPolicy), imported into the node's
#     containerd with `ctr images import`.
# The node is committed as kindest/node:<k8s version>-shipgate and saved to
# the cache gzipped (~450 MB), so later runs only `docker load` it.
#
# Docker: when no engine answers on /var/run/docker.sock, Debian's
# docker.io is installed if missing and dockerd started with the
# configuration in $state (daemon.json, its log and PID file): its default
# runtime is a runc wrapper that drops CAP_SYS_RESOURCE from each
# container's spec (a VM whose bounding set lacks it cannot start a
# privileged container otherwise) and its DNS is 127.0.0.1, so nothing
# inside a cluster resolves an outside name. Starting is idempotent: an
# engine that answers is used as it is.
#
# Progress goes to stderr; the image's name is the last line on stdout.
# Run as root (apt-get, dockerd, debootstrap's chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

K8S_VERSION=${K8S_VERSION:-v1.33.13}
CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0}
COREDNS_VERSION=${COREDNS_VERSION:-v1.12.0}
LPP_VERSION=${LPP_VERSION:-v0.0.30}
KIND_VERSION=$(awk '$1 == "sigs.k8s.io/kind" {print $2}' go.mod)
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=${XDG_CACHE_HOME:-$HOME/.cache}/shipgate
cache=$root/kind-node/$K8S_VERSION
state=$root/dockerd
image=kindest/node:$K8S_VERSION-shipgate

log() { echo "build-kind-node: $*" >&2; }
die() { log "$*"; exit 1; }
started=$SECONDS

[ "$(id -u)" -eq 0 ] || die "needs root (apt-get, dockerd, debootstrap); run: sudo env \"PATH=\$PATH\" bash .ci/build-kind-node.sh"
command -v go >/dev/null || die "go is not on PATH: install Go (the version in go.mod or newer)"
[ -n "$KIND_VERSION" ] || die "go.mod does not require sigs.k8s.io/kind"

# install_missing CMD:PACKAGE...: apt-get installs the packages whose
# command is not on PATH.
install_missing() {
  local need pkgs=()
  for need in "$@"; do
    command -v "${need%%:*}" >/dev/null 2>&1 || pkgs+=("${need#*:}")
  done
  [ ${#pkgs[@]} -eq 0 ] && return 0
  log "installing ${pkgs[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed; install ${pkgs[*]} by hand"
  apt-get install -y -qq "${pkgs[@]}" >/dev/null || die "apt-get install ${pkgs[*]} failed"
  for need in "$@"; do
    command -v "${need%%:*}" >/dev/null 2>&1 || die "${need%%:*} is still missing after apt-get install ${need#*:}"
  done
}

# docker_up answers whether an engine answers on the default socket.
docker_up() { timeout 10 docker info >/dev/null 2>&1; }

# start_dockerd starts Debian's dockerd with the runc wrapper and the
# loopback DNS, unless an engine already answers.
start_dockerd() {
  if docker_up && [ "$(docker info --format '{{.DefaultRuntime}}' 2>/dev/null)" != shipgate-runc ]; then
    log "docker: an engine answers on /var/run/docker.sock; using it"
    return 0
  fi
  install_missing dockerd:docker.io
  command -v docker >/dev/null || die "the docker CLI is missing after installing docker.io"
  local runc pid
  runc=$(command -v runc) || die "runc is missing (Debian's docker.io depends on it): apt-get install runc"
  # The wrapper and the configuration are (re)written every time: a running
  # dockerd of ours runs the current wrapper from its next container on.
  mkdir -p "$state"
  cat >"$state/runc-drop-sys-resource" <<SH
#!/bin/sh
# runc for dockerd, written by .ci/build-kind-node.sh: removes
# CAP_SYS_RESOURCE from the container's spec (this machine's bounding set
# lacks it, and runc refuses a capability it cannot keep), then runs runc.
# The spec is config.json in the bundle (create, run) or the process file
# (exec, as for docker exec --privileged).
spec= prev=
for a in "\$@"; do
  case \$prev in --bundle|-b) spec=\$a/config.json ;; --process|-p) spec=\$a ;; esac
  case \$a in --bundle=*) spec=\${a#--bundle=}/config.json ;; --process=*) spec=\${a#--process=} ;; esac
  prev=\$a
done
if [ -n "\$spec" ] && [ -f "\$spec" ]; then
  sed -i -e 's/"CAP_SYS_RESOURCE",//g' -e 's/,"CAP_SYS_RESOURCE"//g' -e 's/"CAP_SYS_RESOURCE"//g' "\$spec"
fi
exec $runc "\$@"
SH
  chmod 755 "$state/runc-drop-sys-resource"
  cat >"$state/daemon.json" <<JSON
{
  "default-runtime": "shipgate-runc",
  "runtimes": {"shipgate-runc": {"path": "$state/runc-drop-sys-resource"}},
  "dns": ["127.0.0.1"]
}
JSON
  if docker_up; then
    log "docker: our dockerd answers on /var/run/docker.sock (config $state/daemon.json)"
    return 0
  fi
  if [ -f "$state/dockerd.pid" ] && pid=$(cat "$state/dockerd.pid") && kill -0 "$pid" 2>/dev/null; then
    log "docker: dockerd (PID $pid) is starting already; waiting for it"
  else
    log "docker: starting dockerd (config $state/daemon.json, log $state/dockerd.log, socket /var/run/docker.sock)"
    setsid dockerd --config-file "$state/daemon.json" --pidfile "$state/dockerd.pid" >>"$state/dockerd.log" 2>&1 </dev/null &
  fi
  local i
  for i in $(seq 60); do
    docker_up && { log "docker: dockerd answers after ${i}s"; return 0; }
    sleep 1
  done
  die "docker: dockerd did not answer within 60s; see $state/dockerd.log"
}

install_missing debootstrap:debootstrap flock:util-linux jq:jq
# debootstrap checks bookworm's Release file with Debian's key (not on
# Ubuntu by default).
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -f "$keyring" ]; then
  log "installing debian-archive-keyring (apt-get) for debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debian-archive-keyring >/dev/null || die "apt-get install debian-archive-keyring failed; debootstrap needs $keyring"
  [ -f "$keyring" ] || die "$keyring is still missing after installing debian-archive-keyring"
fi
start_dockerd

# drop_replaced ID removes the image ID once $image names another (an
# older build of it), unless a container still uses it.
drop_replaced() {
  if [ -n "$1" ] && [ "$1" != "$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null)" ]; then
    docker rmi "$1" >/dev/null 2>&1 && log "removed the replaced image ${1#sha256:}" || true
  fi
}

# shellcheck source=lib.sh
source .ci/lib.sh
take_lock "$cache"

want="k8s=$K8S_VERSION kind=$KIND_VERSION crictl=$CRICTL_VERSION coredns=$COREDNS_VERSION local-path-provisioner=$LPP_VERSION recipe=$(sed -n '/^# The node image recipe/,$p' .ci/build-kind-node.sh | cat - .ci/kind-node/* | sha256sum | cut -c1-12)"
if [ -f "$cache/VERSIONS" ] && [ "$(cat "$cache/VERSIONS")" = "$want" ] && [ -f "$cache/node.tar.gz" ]; then
  if [ "$(docker image inspect -f '{{index .Config.Labels "shipgate.versions"}}' "$image" 2>/dev/null)" = "$want" ]; then
    log "$image is loaded and matches the cache ($want) in $((SECONDS - started))s"
    echo "$image"
    exit 0
  fi
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  step "docker load $image from $cache/node.tar.gz" sh -c 'gzip -dc "$1" | docker load' sh "$cache/node.tar.gz"
  drop_replaced "$old"
  echo "$image"
  exit 0
fi
# The node image recipe: from here to the end, with .ci/kind-node/*
# (their hash is part of the cache's VERSIONS).
log "building $image ($want) into $cache; about 20 minutes cold on 2 cores, 6-10 GB of disk"
old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
rm -rf "$cache/bin" "$cache/node.tar.gz" "$cache/VERSIONS"
mkdir -p "$cache/bin"
bin=$cache/bin
work=$(mktemp -d)
export CGO_ENABLED=0

# The control plane's commands and etcd: .ci/build-k8s.sh's cache.
cp_dir=$(K8S_VERSION=$K8S_VERSION bash .ci/build-k8s.sh | tail -1)

# kubelet, kubeadm, kubectl, kube-proxy: a throwaway module requiring
# k8s.io/kubernetes with the staging modules replaced by their tags, as in
# .ci/build-k8s.sh (the same module and build caches).
mkdir -p "$work/k8s" && cd "$work/k8s"
go mod init shipgate.local/k8s-node-build >/dev/null 2>&1
step "resolve k8s.io/kubernetes $K8S_VERSION" sh -c 'go mod download -json "k8s.io/kubernetes@$1" >dl.json' sh "$K8S_VERSION"
gomod=$(jq -r .GoMod dl.json)
{
  echo "require k8s.io/kubernetes $K8S_VERSION"
  grep -E '^\s+k8s.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk '{print $1}' \
    | grep -vE '^k8s.io/(sample-cli-plugin|sample-controller)$' \
    | while read -r m; do echo "replace $m => $m v0.${K8S_VERSION#v1.}"; done
} >>go.mod
printf '//go:build tools\n\npackage tools\n\nimport (\n' >tools.go
for c in kubelet kubeadm kubectl kube-proxy; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c" >>tools.go; done
printf ')\n' >>tools.go
step "go mod tidy (kubelet, kubeadm, kubectl, kube-proxy)" go mod tidy
for c in kubelet kubeadm kubectl kube-proxy; do
  step "build $c $K8S_VERSION" go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION" -o "$bin/$c" "k8s.io/kubernetes/cmd/$c"
done
cd "$repo"
step "build crictl $CRICTL_VERSION" env GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
step "build coredns $COREDNS_VERSION" env GOBIN="$bin" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
step "build local-path-provisioner $LPP_VERSION" env GOBIN="$bin" go install -trimpath -ldflags "-s -w" "github.com/rancher/local-path-provisioner@$LPP_VERSION"
for p in pause cni; do
  mkdir -p "$work/$p" && cp ".ci/kind-node/$p.go" "$work/$p/main.go"
  (cd "$work/$p" && go mod init "shipgate.local/$p" >/dev/null 2>&1 && step "build $p (.ci/kind-node/$p.go)" go build -trimpath -ldflags "-s -w" -o "$bin/$p" .)
done
images=$("$bin/kubeadm" config images list --kubernetes-version "$K8S_VERSION")
tag_of() { grep -E "/$1:" <<<"$images" || die "kubeadm config images list names no $1 image: $images"; }

# The rootfs: Debian's packages with kind's base files, as kind's base
# image Dockerfile lays them out.
kind_dir=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir)
[ -d "$kind_dir/images/base/files" ] || die "sigs.k8s.io/kind@$KIND_VERSION has no images/base/files"
rootfs=$work/rootfs
step "debootstrap bookworm (minbase) from $DEBIAN_MIRROR" debootstrap --variant=minbase --keyring="$keyring" \
  --include=systemd,systemd-sysv,containerd,runc,containernetworking-plugins,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,jq,procps \
  bookworm "$rootfs" "$DEBIAN_MIRROR"
files=$kind_dir/images/base/files
install -m 0755 -t "$rootfs/usr/local/bin" "$files"/usr/local/bin/*
mkdir -p "$rootfs/kind/bin" "$rootfs/LICENSES" "$rootfs/etc/kubernetes/manifests" "$rootfs/kind/manifests" "$rootfs/opt/cni/bin"
cp -r "$files/kind/." "$rootfs/kind/" && chmod 0755 "$rootfs"/kind/bin/*
cp "$files/LICENSES/"* "$rootfs/LICENSES/"
cp -r "$files/etc/." "$rootfs/etc/"
chmod -R u+rwX,go+rX,go-w "$rootfs/etc/containerd" "$rootfs/etc/systemd/system" "$rootfs/etc/default" "$rootfs/etc/sysctl.d"
# runc cannot lower oom_score_adj without CAP_SYS_RESOURCE: restrict it,
# as kind does for rootless nodes.
sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "$rootfs/etc/containerd/config.toml"
grep -q 'restrict_oom_score_adj = true' "$rootfs/etc/containerd/config.toml" || die "kind's containerd config.toml has no restrict_oom_score_adj line to set"
ln -sf /usr/bin/containerd "$rootfs/usr/local/bin/containerd"
[ -x "$rootfs/usr/lib/cni/ptp" ] || die "Debian's containernetworking-plugins put no ptp in /usr/lib/cni of the rootfs"
for p in "$rootfs"/usr/lib/cni/*; do ln -sf "/usr/lib/cni/${p##*/}" "$rootfs/opt/cni/bin/"; done
install -m 0755 "$bin/kubelet" "$bin/kubeadm" "$bin/kubectl" "$rootfs/usr/bin/"
install -m 0755 "$bin/crictl" "$rootfs/usr/local/bin/"
echo "$K8S_VERSION" >"$rootfs/kind/version"
cp .ci/kind-node/default-cni.yaml "$rootfs/kind/manifests/default-cni.yaml"
awk '/^const defaultStorageManifest = `/{f=1;next} f&&/^`$/{exit} f' "$kind_dir/pkg/build/nodeimage/const_storage.go" \
  | sed -e "s|\` + storageProvisionerImage + \`|docker.io/rancher/local-path-provisioner:$LPP_VERSION|" \
        -e "s|\` + storageHelperImage + \`|shipgate.local/local-path-helper:v1|" >"$rootfs/kind/manifests/default-storage.yaml"
grep -q "local-path-provisioner:$LPP_VERSION" "$rootfs/kind/manifests/default-storage.yaml" || die "kind's default storage manifest was not found in $kind_dir/pkg/build/nodeimage/const_storage.go"
chroot "$rootfs" sh -ec '
  ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer | length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}" | jq "del(.process.rlimits)" >/etc/containerd/cri-base.json
  find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
  rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* /lib/systemd/system/local-fs.target.wants/* \
    /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
  echo ReadKMsg=no >>/etc/systemd/journald.conf
  systemctl enable kubelet.service containerd.service undo-mount-hacks.service
  systemctl mask systemd-binfmt.service
  apt-get clean
  rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /var/cache/debconf/*-old
'

# copy_from_rootfs DEST FILE...: copies FILEs of the rootfs and the shared
# libraries they load into DEST (a component image's tree).
copy_from_rootfs() {
  local dest=$1 f l
  shift
  for f in "$@"; do
    mkdir -p "$dest$(dirname "$f")"
    cp -a "$rootfs$f" "$dest$f"
    if [ -L "$rootfs$f" ]; then f=$(chroot "$rootfs" readlink -f "$f"); mkdir -p "$dest$(dirname "$f")"; cp -a "$rootfs$f" "$dest$f"; fi
    for l in $(chroot "$rootfs" ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true); do
      mkdir -p "$dest$(dirname "$l")"
      cp -aL "$rootfs$l" "$dest$l"
    done
  done
}
# image_from DIR NAME ENTRYPOINT: imports DIR with a minimal base (passwd,
# group, /tmp) as the Docker image NAME.
image_from() {
  local dir=$1 name=$2 entry=$3
  mkdir -p "$dir/etc" "$dir/tmp" && chmod 1777 "$dir/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  tar -C "$dir" -c . | docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
    --change "ENTRYPOINT $entry" - "$name" >/dev/null
  echo "$name"
}
built=()
for c in kube-apiserver kube-controller-manager kube-scheduler etcd; do
  d=$work/img/$c && mkdir -p "$d/usr/local/bin" && cp "$cp_dir/$c" "$d/usr/local/bin/"
  built+=("$(image_from "$d" "$(tag_of "$c")" "[\"/usr/local/bin/$c\"]")")
done
d=$work/img/kube-proxy && mkdir -p "$d/usr/local/bin" && cp "$bin/kube-proxy" "$d/usr/local/bin/"
copy_from_rootfs "$d" /usr/sbin/xtables-nft-multi /usr/sbin/conntrack
mkdir -p "$d/usr/lib/x86_64-linux-gnu" && cp -a "$rootfs/usr/lib/x86_64-linux-gnu/xtables" "$d/usr/lib/x86_64-linux-gnu/"
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do ln -sf xtables-nft-multi "$d/usr/sbin/$t"; done
built+=("$(image_from "$d" "$(tag_of kube-proxy)" '["/usr/local/bin/kube-proxy"]')")
d=$work/img/coredns && mkdir -p "$d" && cp "$bin/coredns" "$d/coredns"
built+=("$(image_from "$d" "$(tag_of coredns)" '["/coredns"]')")
d=$work/img/pause && mkdir -p "$d" && cp "$bin/pause" "$d/pause"
built+=("$(image_from "$d" "$(tag_of pause)" '["/pause"]')")
d=$work/img/cni && mkdir -p "$d/usr/local/bin" && cp "$bin/cni" "$d/usr/local/bin/"
copy_from_rootfs "$d" /usr/bin/ip
built+=("$(image_from "$d" shipgate.local/kind-cni:v1 '["/usr/local/bin/cni"]')")
d=$work/img/lpp && mkdir -p "$d/usr/local/bin" && cp "$bin/local-path-provisioner" "$d/usr/local/bin/"
built+=("$(image_from "$d" "docker.io/rancher/local-path-provisioner:$LPP_VERSION" '["/usr/local/bin/local-path-provisioner"]')")
d=$work/img/helper && copy_from_rootfs "$d" /usr/bin/sh /usr/bin/mkdir /usr/bin/rm /usr/bin/cat && ln -s usr/bin "$d/bin"
built+=("$(image_from "$d" shipgate.local/local-path-helper:v1 '["/bin/sh"]')")
log "component images: ${built[*]}"
step "docker save the component images" sh -c 'docker save "$@" >"$0"' "$work/images.tar" "${built[@]}"

# The node: the rootfs as an image, the component images imported into its
# containerd (unpacked on first use, as kind does), committed.
base=shipgate.local/kind-base:$K8S_VERSION
step "docker import the rootfs as $base" sh -c 'tar -C "$1" -c . | docker import --change "ENV container=docker" --change "ENTRYPOINT [\"/usr/local/bin/entrypoint\", \"/sbin/init\"]" - "$2" >/dev/null' sh "$rootfs" "$base"
rm -rf "$rootfs"
builder=shipgate-kind-build-$$
docker rm -f "$builder" >/dev/null 2>&1 || true
trap 'docker rm -f "$builder" >/dev/null 2>&1 || true; rm -f "$holder"; rm -rf "$work"' EXIT
docker run -d --name "$builder" --network none --security-opt seccomp=unconfined --entrypoint sleep "$base" infinity >/dev/null
docker cp "$work/images.tar" "$builder:/images.tar"
docker exec "$builder" bash -c 'nohup containerd >/dev/null 2>&1 &'
docker exec "$builder" bash -c 'for i in $(seq 30); do [ -S /run/containerd/containerd.sock ] && ctr version >/dev/null 2>&1 && exit 0; sleep 1; done; echo "containerd did not start within 30s" >&2; exit 1'
step "ctr images import (into the node's containerd)" docker exec "$builder" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests /images.tar
docker exec "$builder" sh -c 'ctr --namespace=k8s.io images list -q | grep -v "^sha256:"' >&2
docker exec "$builder" sh -c 'pkill containerd; for i in $(seq 30); do pgrep containerd >/dev/null || break; sleep 1; done; rm -f /images.tar'
committed=shipgate.local/kind-node-commit:$K8S_VERSION
docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' "$builder" "$committed" >/dev/null
docker rm -f "$builder" >/dev/null
# STOPSIGNAL is no change docker import or commit takes: a build adds it
# (the classic builder, offline: its only input is the committed image).
printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\nLABEL shipgate.versions="%s"\n' "$committed" "$want" \
  | DOCKER_BUILDKIT=0 docker build -q -t "$image" - >/dev/null
docker rmi "$committed" "$base" "${built[@]}" >/dev/null 2>&1 || true
drop_replaced "$old"
step "docker save $image to $cache/node.tar.gz" sh -c 'docker save "$1" | gzip -1 >"$2.tmp" && mv "$2.tmp" "$2"' sh "$image" "$cache/node.tar.gz"
echo "$want" >"$cache/VERSIONS"
log "built $image in $((SECONDS - started))s: $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.2f GB", $1/1e9}'), cached as $(du -h "$cache/node.tar.gz" | cut -f1)"
echo "$image"
