#!/usr/bin/env bash
# Builds the real tools Lanyard's tests and demo use, from the package registries only, pinned and
# cached by version in ${LANYARD_TOOLS:-$HOME/.cache/lanyard/tools}/bin. Idempotent: a tool whose
# stamp matches (version + wrapper go.mod/go.sum) is reused. Fails loudly, naming the command.
#
# Usage: install-tools.sh            every tool, the Debian packages and the images
#        install-tools.sh NAME...    only the named tools (spire, kubernetes, kube-node, coredns,
#                                    pause, helm, ghostunnel, spire-controller-manager)
#        install-tools.sh --background [NAME...]
#                                    the same, niced (LANYARD_TOOLS_NICE, 10) in its own process
#                                    group, returning at once: `make test` runs the Maven suite
#                                    meanwhile, and testkit's Tools and Images wait for a tool or
#                                    image this build has yet to make (builder.pid, logs/background.log)
#        install-tools.sh --await    waits for that background build; exits with its status
#        install-tools.sh --stop     ends that background build (and its go builds) if it runs
#
# Why wrapper Go modules (scripts/tools/*): the Go module proxy here refuses the version lists of
# SPIRE and ghostunnel, so `go install pkg@v` fails; a module that requires them builds fine, and
# k8s.io/kubernetes cannot be `go install`ed at all (README, "What the tests use").
set -euo pipefail

SPIRE_VERSION=1.15.3
KUBERNETES_VERSION=1.35.4
ETCD_VERSION=3.6.5
HELM_VERSION=3.21.4
GHOSTUNNEL_VERSION=1.8.4
COREDNS_VERSION=1.13.1
SPIRE_CONTROLLER_MANAGER_VERSION=0.6.3
# The test node (testkit's KubeNode): containerd 1.6 with its CRI plugin, runc, the CNI plugins in
# /usr/lib/cni, iptables and conntrack for kube-proxy, debootstrap and busybox-static for the images.
DEBIAN_PACKAGES=(wrk iproute2 util-linux curl openssl
  containerd runc containernetworking-plugins iptables conntrack debootstrap busybox-static)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${LANYARD_TOOLS:-$HOME/.cache/lanyard/tools}
BIN=$TOOLS/bin
STAMPS=$TOOLS/stamps
LOGS=$TOOLS/logs
mkdir -p "$BIN" "$STAMPS" "$LOGS"

START=$(date +%s)
say() { printf 'install-tools: %s\n' "$*"; }

# The background build: its pid (also its process group) while it runs, then its exit status.
BUILDER_PID=$TOOLS/builder.pid
BUILDER_STATUS=$TOOLS/builder.status
BUILDER_LOG=$LOGS/background.log
# What it makes, one path under $TOOLS per line: tests wait only for these (a typo fails at once).
BUILDER_MAKES=$TOOLS/builder.makes
builder_alive() { [ -s "$BUILDER_PID" ] && kill -0 "$(cat "$BUILDER_PID")" 2>/dev/null; }
case "${1:-}" in
  --background)
    shift
    if builder_alive; then say "a background build already runs (pid $(cat "$BUILDER_PID"); scripts/install-tools.sh --stop ends it)"; exit 1; fi
    BACKGROUND=1 ;;   # declared and started below, once the steps are defined
  --await)
    while builder_alive; do sleep 1; done
    status=$(cat "$BUILDER_STATUS" 2>/dev/null || echo "unknown (no $BUILDER_STATUS)")
    if [ "$status" != 0 ]; then
      say "FAILED: the background build ended with status $status; last lines of $BUILDER_LOG:"
      tail -n 25 "$BUILDER_LOG" 2>/dev/null | sed 's/^/    /'
      exit 1
    fi
    say "the background build has finished ($(tail -n 1 "$BUILDER_LOG"))"
    exit 0 ;;
  --stop)
    if builder_alive; then
      say "stopping the background build (pid $(cat "$BUILDER_PID"))"
      kill -TERM -- "-$(cat "$BUILDER_PID")" 2>/dev/null || true
    fi
    rm -f "$BUILDER_PID"
    exit 0 ;;
  --as-builder)
    shift
    # setsid gave this build a scheduler autogroup of its own (kernel.sched_autogroup_enabled), and
    # CFS shares the CPU between autogroups before it looks at a process's nice: rank the group
    # below the tests too, or it takes half the machine from them.
    echo "${LANYARD_TOOLS_NICE:-10}" >/proc/self/autogroup 2>/dev/null || true
    trap 'exit 143' TERM INT   # so the status below says it was stopped
    trap 'echo $? >"$BUILDER_STATUS"; rm -f "$BUILDER_PID"' EXIT ;;
esac

source "$REPO/scripts/lib/logged-run.sh"

require_command() {
  command -v "$1" >/dev/null 2>&1 || { say "FAILED: '$1' is not installed ($2)"; exit 1; }
}

# stamp_of NAME VERSION [FILES...]: a key that changes when the version or a wrapper file changes.
stamp_of() {
  local name=$1 version=$2; shift 2
  { echo "$name $version $(go env GOVERSION)"; [ $# -eq 0 ] || cat "$@"; } | sha256sum | cut -c1-16
}

# fresh NAME STAMP BINARIES...: true when every binary exists and the stamp matches.
fresh() {
  local name=$1 stamp=$2; shift 2
  [ "$(cat "$STAMPS/$name" 2>/dev/null)" = "$stamp" ] || return 1
  local binary
  for binary in "$@"; do [ -x "$BIN/$binary" ] || return 1; done
}

# tool NAME VERSION "BINARIES" BUILD_FUNCTION [WRAPPER_FILES...]
tool() {
  local name=$1 version=$2 binaries=$3 build=$4; shift 4
  if [ -n "${DECLARING:-}" ]; then printf 'bin/%s\n' $binaries; return; fi
  local stamp; stamp=$(stamp_of "$name" "$version" "$@")
  # shellcheck disable=SC2086
  if fresh "$name" "$stamp" $binaries; then
    say "$name $version: reused ($binaries)"
    return
  fi
  local began; began=$(date +%s)
  local log="$LOGS/$name.log"
  : >"$log"
  say "$name $version: building ($binaries), log in $log ..."
  # A stale binary goes first, so a test waiting on a background build waits for the new one; the
  # build writes into a staging bin/ and each binary appears whole, by a rename (same file system).
  local binary stage="$TOOLS/staging/$name/bin"
  for binary in $binaries; do rm -rf "${BIN:?}/$binary"; done
  rm -rf "$TOOLS/staging/$name"; mkdir -p "$stage"
  ( BIN=$stage; "$build" "$log" )   # a subshell: builds cd into their wrapper module
  for binary in $binaries; do
    mkdir -p "$(dirname "$BIN/$binary")"
    mv "$stage/$binary" "$BIN/$binary"
  done
  rm -rf "$TOOLS/staging/$name"
  echo "$stamp" >"$STAMPS/$name"
  say "$name $version: built in $(( $(date +%s) - began ))s"
}

build_spire() {
  # cgo on: the sqlite datastore needs it.
  cd "$REPO/scripts/tools/spire"
  run "$1" env CGO_ENABLED=1 go build -tags tools -o "$BIN/" \
    github.com/spiffe/spire/cmd/spire-server github.com/spiffe/spire/cmd/spire-agent
}

# Version ldflags that make the Kubernetes binaries' --version (and kubectl's skew check) truthful.
kube_ldflags() {
  local major=${KUBERNETES_VERSION%%.*} minor=${KUBERNETES_VERSION#*.}; minor=${minor%%.*}
  local v="v$KUBERNETES_VERSION"
  local ldflags="-s -w"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z"
  done
  echo "$ldflags"
}

build_kubernetes() {
  cd "$REPO/scripts/tools/kube"
  run "$1" env CGO_ENABLED=0 go build -tags tools -ldflags "$(kube_ldflags)" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
  run "$1" env CGO_ENABLED=0 go build -tags tools -o "$BIN/etcd" go.etcd.io/etcd/server/v3
}

# The node components, from the same wrapper module (its go.mod pins their extra requirements).
build_kube_node() {
  cd "$REPO/scripts/tools/kube"
  run "$1" env CGO_ENABLED=0 go build -tags tools -ldflags "$(kube_ldflags)" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-controller-manager
}

# CoreDNS with only the plugins cluster DNS needs (see scripts/tools/coredns/main.go); static.
build_coredns() {
  cd "$REPO/scripts/tools/coredns"
  run "$1" env CGO_ENABLED=0 go build -ldflags "-s -w" -o "$BIN/coredns" .
}

# The pod sandbox process: static, so its image is this one file.
build_pause() {
  run "$1" gcc -static -O2 -Wall -Wextra -Werror -o "$BIN/pause" "$REPO/scripts/tools/pause/pause.c"
  run "$1" strip "$BIN/pause"
}

build_helm() {
  run "$1" env GOBIN="$BIN" CGO_ENABLED=0 go install "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
}

build_ghostunnel() {
  # Default tags with cgo: -tags nopkcs11 does not compile at v1.8.4. The go-landlock
  # pseudo-version is missing from the checksum database; go.sum pins it.
  cd "$REPO/scripts/tools/ghostunnel"
  run "$1" env CGO_ENABLED=1 GONOSUMDB=github.com/landlock-lsm/go-landlock \
    go build -tags tools -o "$BIN/ghostunnel" github.com/ghostunnel/ghostunnel
}

# The controller that turns ClusterSPIFFEIDs into SPIRE entries on the test node (testkit's
# SpireOnNode), and this version's CRDs and ClusterRole, copied unchanged from its module.
SCM_MANIFESTS=../manifests/spire-controller-manager-$SPIRE_CONTROLLER_MANAGER_VERSION  # under $BIN
build_spire_controller_manager() {
  cd "$REPO/scripts/tools/spire-controller-manager"
  run "$1" env CGO_ENABLED=0 go build -tags tools -ldflags "-s -w" -o "$BIN/spire-controller-manager" \
    github.com/spiffe/spire-controller-manager/cmd
  local module manifests="$BIN/$SCM_MANIFESTS"
  module=$(go list -m -f '{{.Dir}}' github.com/spiffe/spire-controller-manager)
  rm -rf "$manifests"
  mkdir -p "$manifests/crd/bases" "$manifests/rbac"
  run "$1" cp "$module"/config/crd/bases/spire.spiffe.io_clusterspiffeids.yaml \
    "$module"/config/crd/bases/spire.spiffe.io_clusterfederatedtrustdomains.yaml \
    "$module"/config/crd/bases/spire.spiffe.io_clusterstaticentries.yaml "$manifests/crd/bases/"
  run "$1" cp "$module/config/rbac/role.yaml" "$manifests/rbac/"
  chmod -R u+w "$manifests"   # the module cache is read-only
}

install_debian_packages() {
  [ -z "${DECLARING:-}" ] || return 0
  local missing=() package
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "debian packages: reused (${DEBIAN_PACKAGES[*]})"
    return
  fi
  local log="$LOGS/apt.log" began; began=$(date +%s)
  : >"$log"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  say "debian packages: installing ${missing[*]} ..."
  run "$log" $sudo apt-get update
  run "$log" env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  say "debian packages: installed in $(( $(date +%s) - began ))s"
}

require_command go "Go 1.25 or newer is needed to build SPIRE, kube-apiserver, etcd, helm, ghostunnel"
require_command gcc "cgo builds of SPIRE and ghostunnel, and the static pause binary, need gcc"
require_command java "JDK 17 or newer"

# step NAME: true when every tool is wanted or NAME is among the ones asked for.
ONLY=" $* "
step() { [ "$ONLY" = "  " ] || [[ "$ONLY" == *" $1 "* ]]; }

all_steps() {
  # In the order the test suite first needs them (a background build lets Maven start at once):
  # SPIRE from the first module on, ghostunnel in the sidecar's, the rest in the webhook's and later.
  step debian-packages && install_debian_packages
  step spire && tool spire "$SPIRE_VERSION" "spire-server spire-agent" build_spire \
    "$REPO/scripts/tools/spire/go.mod" "$REPO/scripts/tools/spire/go.sum"
  step ghostunnel && tool ghostunnel "$GHOSTUNNEL_VERSION" "ghostunnel" build_ghostunnel \
    "$REPO/scripts/tools/ghostunnel/go.mod" "$REPO/scripts/tools/ghostunnel/go.sum"
  step kubernetes && tool kubernetes "$KUBERNETES_VERSION+etcd$ETCD_VERSION" "kube-apiserver kubectl etcd" \
    build_kubernetes "$REPO/scripts/tools/kube/go.mod" "$REPO/scripts/tools/kube/go.sum"
  step helm && tool helm "$HELM_VERSION" "helm" build_helm
  step kube-node && tool kube-node "$KUBERNETES_VERSION" \
    "kubelet kube-proxy kube-scheduler kube-controller-manager" \
    build_kube_node "$REPO/scripts/tools/kube/go.mod" "$REPO/scripts/tools/kube/go.sum"
  step coredns && tool coredns "$COREDNS_VERSION" "coredns" build_coredns \
    "$REPO/scripts/tools/coredns/go.mod" "$REPO/scripts/tools/coredns/go.sum" \
    "$REPO/scripts/tools/coredns/main.go"
  step pause && tool pause "1" "pause" build_pause "$REPO/scripts/tools/pause/pause.c"
  step spire-controller-manager && tool spire-controller-manager "$SPIRE_CONTROLLER_MANAGER_VERSION" \
    "$SCM_MANIFESTS spire-controller-manager" build_spire_controller_manager \
    "$REPO/scripts/tools/spire-controller-manager/go.mod" \
    "$REPO/scripts/tools/spire-controller-manager/go.sum" \
    "$REPO/scripts/tools/spire-controller-manager/tools.go"

  # The node's images (pause, busybox, coredns, the JRE base), each cached by its inputs.
  if step images; then
    if [ -n "${DECLARING:-}" ]; then
      printf 'images/%s.ref\n' $("$REPO/scripts/build-images.sh" --names)
    else
      LANYARD_TOOLS="$TOOLS" "$REPO/scripts/build-images.sh"
    fi
  fi
}

if [ -n "${BACKGROUND:-}" ]; then
  rm -f "$BUILDER_STATUS"
  DECLARING=1 all_steps >"$BUILDER_MAKES"
  # setsid: a process group of its own, so --stop ends its go builds too.
  nice -n "${LANYARD_TOOLS_NICE:-10}" setsid "$0" --as-builder "$@" >"$BUILDER_LOG" 2>&1 </dev/null &
  echo $! >"$BUILDER_PID"
  say "building in the background (pid $!, log $BUILDER_LOG); tests wait for what it has yet to build"
  exit 0
fi
all_steps

say "all tools ready in $BIN ($(( $(date +%s) - START ))s)"
