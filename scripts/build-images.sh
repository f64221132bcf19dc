#!/usr/bin/env bash
# Builds the container images the test node runs, without a daemon or a registry, as docker-archive
# tarballs (manifest.json + config + one layer tar) that `ctr images import` and Jib's `tar://` base
# read. Each lands in ${LANYARD_TOOLS:-$HOME/.cache/lanyard/tools}/images as NAME.tar with its image
# reference in NAME.ref, and is rebuilt only when its inputs change (this script, the binary or the
# Debian package versions it is made of). Needs root for debootstrap (CI runs as root).
#
#   pause    the pod sandbox: install-tools.sh's static pause binary, nothing else
#   busybox  Debian's busybox-static with its applets linked in /bin: the test workloads' image
#   coredns  install-tools.sh's static CoreDNS: the cluster DNS
#   jre17    debootstrap minbase + openjdk-17-jre-headless, trimmed: the base of the demo JVM images
#   jre25    debootstrap minbase + a jlink runtime of the host's Temurin 25 (the modules the sidecar
#            and webhook use) in /opt/java/openjdk: their base, JDK 25 for their AOT caches (JEP 483/515)
#   python3  debootstrap minbase + python3-minimal and its standard library, trimmed: the notifier's base
#
# Usage: scripts/build-images.sh [NAME...]   (all when none given)
set -euo pipefail

# Every image this script builds (with no NAME given), in build order; --names prints them.
ALL_IMAGES=(pause busybox coredns jre17 jre25 python3)
if [ "${1:-}" = --names ]; then echo "${ALL_IMAGES[*]}"; exit 0; fi

TOOLS=${LANYARD_TOOLS:-$HOME/.cache/lanyard/tools}
BIN=$TOOLS/bin
IMAGES=$TOOLS/images
STAMPS=$TOOLS/stamps
LOGS=$TOOLS/logs
SUITE=bookworm
MIRROR=${LANYARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
JRE_PACKAGE=openjdk-17-jre-headless
PYTHON_PACKAGES=python3-minimal,libpython3-stdlib
# The JDK the sidecar and webhook images run (and their AOT caches are trained with: same build).
TEMURIN25=${LANYARD_TEMURIN25:-/usr/lib/jvm/temurin-25-jdk-amd64}
# What the sidecar and webhook jars use (jdeps --ignore-missing-deps --print-module-deps over both,
# plus jdk.crypto.ec for the JDK TLS fallback and jdk.management for the JVM metrics); nothing else.
JRE25_MODULES=java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.security.jgss,java.sql,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.unsupported
JRE25_HOME=/opt/java/openjdk
SELF_HASH=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
mkdir -p "$IMAGES" "$STAMPS" "$LOGS"

say() { printf 'build-images: %s\n' "$*"; }
fail() { say "FAILED: $*"; exit 1; }

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-images.XXXXXX")
# debootstrap mounts /proc and /sys inside its target; a failure half way must not leave them.
cleanup() {
  local mount
  for mount in $(awk -v w="$WORK" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    $SUDO umount -l "$mount" || true
  done
  $SUDO rm -rf "$WORK"
}
trap cleanup EXIT

source "$(dirname "${BASH_SOURCE[0]}")/lib/logged-run.sh"

json_strings() { # json_strings A B C -> "A","B","C"
  local first=1 item
  for item in "$@"; do
    [ $first = 1 ] || printf ','
    printf '"%s"' "$item"
    first=0
  done
}

# archive NAME REF ROOTFS CONFIG_JSON: writes $IMAGES/NAME.tar (docker-archive, one layer) and NAME.ref.
# CONFIG_JSON is the image's runtime config ({"Env": [...], "Entrypoint": [...], ...}).
archive() {
  local name=$1 ref=$2 rootfs=$3 config=$4
  local out="$WORK/$name-archive"
  mkdir -p "$out"
  # Numeric root ownership, sorted, fixed times: the same rootfs gives the same layer digest.
  $SUDO tar --create --file "$out/layer.tar" --directory "$rootfs" --sort=name --numeric-owner \
    --mtime=@0 .
  local diff_id; diff_id=$(sha256sum "$out/layer.tar" | cut -d' ' -f1)
  mkdir -p "$out/$diff_id"
  mv "$out/layer.tar" "$out/$diff_id/layer.tar"
  printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$config" "$diff_id" >"$out/config.json"
  local config_id; config_id=$(sha256sum "$out/config.json" | cut -d' ' -f1)
  mv "$out/config.json" "$out/$config_id.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
    "$config_id" "$ref" "$diff_id" >"$out/manifest.json"
  tar --create --file "$IMAGES/$name.tar.new" --directory "$out" --sort=name --mtime=@0 \
    --owner=0 --group=0 manifest.json "$config_id.json" "$diff_id"
  mv "$IMAGES/$name.tar.new" "$IMAGES/$name.tar"
  echo "$ref" >"$IMAGES/$name.ref.new"
  mv "$IMAGES/$name.ref.new" "$IMAGES/$name.ref"
}

# image NAME KEY BUILD_FUNCTION: builds unless NAME.tar exists with the same key (inputs' hash).
image() {
  local name=$1 key=$2 build=$3
  local stamp; stamp=$(printf '%s %s' "$SELF_HASH" "$key" | sha256sum | cut -c1-16)
  if [ -s "$IMAGES/$name.tar" ] && [ -s "$IMAGES/$name.ref" ] \
      && [ "$(cat "$STAMPS/image-$name" 2>/dev/null)" = "$stamp" ]; then
    say "$name: reused ($(cat "$IMAGES/$name.ref"))"
    return
  fi
  local began; began=$(date +%s)
  local log="$LOGS/image-$name.log"
  : >"$log"
  say "$name: building, log in $log ..."
  # A stale image goes first, so a test waiting on a background build waits for the new one.
  rm -f "$IMAGES/$name.tar" "$IMAGES/$name.ref"
  "$build" "$log"
  echo "$stamp" >"$STAMPS/image-$name"
  say "$name: built $(cat "$IMAGES/$name.ref") in $(( $(date +%s) - began ))s," \
    "$(( $(stat -c %s "$IMAGES/$name.tar") / 1048576 )) MiB"
}

require_file() { [ -x "$1" ] || fail "$1 is missing ($2)"; }
file_hash() { sha256sum "$1" | cut -c1-16; }
package_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
# The versions the mirror offers now (the host's apt lists), in one apt-cache call (2 s each).
candidate_versions() { apt-cache policy "$@" | awk '/Candidate:/ { printf "%s ", $2 }'; }

# A root filesystem for one static binary: the binary, /etc/passwd and /etc/group, /tmp.
static_rootfs() {
  local rootfs=$1
  mkdir -p "$rootfs/etc" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
}

build_pause() {
  local rootfs="$WORK/pause"
  static_rootfs "$rootfs"
  install -m 0755 "$BIN/pause" "$rootfs/pause"
  archive pause "lanyard.local/pause:$(file_hash "$BIN/pause")" "$rootfs" \
    '{"Entrypoint":["/pause"],"User":"65532:65532"}'
}

build_busybox() {
  local rootfs="$WORK/busybox"
  static_rootfs "$rootfs"
  mkdir -p "$rootfs/bin"
  install -m 0755 /bin/busybox "$rootfs/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
  done
  local version; version=$(package_version busybox-static); version=${version#*:}; version=${version%%-*}
  archive busybox "lanyard.local/busybox:$version" "$rootfs" \
    '{"Env":["PATH=/bin"],"Cmd":["sh"]}'
}

build_coredns() {
  local rootfs="$WORK/coredns"
  static_rootfs "$rootfs"
  install -m 0755 "$BIN/coredns" "$rootfs/coredns"
  local version; version=$("$BIN/coredns" -version | awk -F- '/CoreDNS-/ { print $2; exit }')
  archive coredns "lanyard.local/coredns:$version" "$rootfs" '{"Entrypoint":["/coredns"]}'
}

# debian_rootfs LOG ROOTFS PACKAGES: debootstrap minbase with PACKAGES (comma list), trimmed, plus the
# non-root user 65532 the images run as. Prints nothing; the rootfs is ready for archive().
debian_rootfs() {
  local log=$1 rootfs=$2 packages=$3
  run "$log" $SUDO debootstrap --variant=minbase ${packages:+--include="$packages"} "$SUITE" "$rootfs" "$MIRROR"
  # Trim what a runtime never reads: docs (the copyright files stay), man pages, locales, apt's
  # package lists and caches, logs, and the build host's name and resolver.
  run "$log" $SUDO find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  run "$log" $SUDO find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  run "$log" $SUDO rm -rf "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/lintian" \
    "$rootfs/var/cache/apt" "$rootfs/var/lib/apt/lists" "$rootfs/var/cache/debconf"/*-old \
    "$rootfs/var/log"/* "$rootfs/etc/hostname"
  run "$log" $SUDO find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
  $SUDO truncate -s 0 "$rootfs/etc/resolv.conf" "$rootfs/etc/hosts"
  # A non-root user the images run as (the uid distroless uses).
  printf 'nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n' | $SUDO tee -a "$rootfs/etc/passwd" >/dev/null
  printf 'nonroot:x:65532:\n' | $SUDO tee -a "$rootfs/etc/group" >/dev/null
  $SUDO install -d -o 65532 -g 65532 -m 0755 "$rootfs/home/nonroot"
}

BASE_PATH="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

build_jre17() {
  local log=$1 rootfs="$WORK/jre17"
  debian_rootfs "$log" "$rootfs" "$JRE_PACKAGE"
  local version
  version=$($SUDO chroot "$rootfs" dpkg-query -W -f='${Version}' "$JRE_PACKAGE")
  $SUDO chroot "$rootfs" dpkg-query -W >"$IMAGES/jre17.packages"
  local java_home; java_home=$(dirname "$(dirname "$($SUDO chroot "$rootfs" readlink -f /usr/bin/java)")")
  archive jre17 "lanyard.local/jre17:${version//[~+:]/_}" "$rootfs" \
    "{\"Env\":[$(json_strings "$BASE_PATH" "JAVA_HOME=$java_home")],\"User\":\"65532:65532\",\"WorkingDir\":\"/home/nonroot\"}"
}

# Debian minbase (glibc for the JVM and BoringSSL's natives) plus a jlink image of Temurin 25 made
# from its run-time image (JEP 493: Temurin 25 ships no jmods), stripped; no Debian JRE.
build_jre25() {
  local log=$1 rootfs="$WORK/jre25"
  debian_rootfs "$log" "$rootfs" ""
  # --generate-cds-archive: the JDK's default CDS archive for these modules (what a JVM maps when
  # it has no application AOT cache, as Debian's JRE 17 does).
  run "$log" "$TEMURIN25/bin/jlink" --add-modules "$JRE25_MODULES" --strip-debug --no-man-pages \
    --no-header-files --generate-cds-archive --output "$WORK/jre25-runtime"
  $SUDO mkdir -p "$rootfs$(dirname "$JRE25_HOME")"
  $SUDO cp -a "$WORK/jre25-runtime" "$rootfs$JRE25_HOME"
  $SUDO chown -R 0:0 "$rootfs$JRE25_HOME"
  # /usr/bin/java as on the jre17 base: the webhook writes the sidecar's command with that path.
  $SUDO ln -s "$JRE25_HOME/bin/java" "$rootfs/usr/bin/java"
  $SUDO chroot "$rootfs" dpkg-query -W >"$IMAGES/jre25.packages"
  local version; version=$(awk -F'"' '/^JAVA_RUNTIME_VERSION=/ { print $2 }' "$TEMURIN25/release")
  archive jre25 "lanyard.local/jre25:${version//[~+:]/_}" "$rootfs" \
    "{\"Env\":[$(json_strings "PATH=$JRE25_HOME/bin:${BASE_PATH#PATH=}" "JAVA_HOME=$JRE25_HOME")],\"User\":\"65532:65532\",\"WorkingDir\":\"/home/nonroot\"}"
}

# The interpreter (python3-minimal) and the standard library modules beyond it that the notifier
# imports (http.server, json: libpython3-stdlib), nothing else.
build_python3() {
  local log=$1 rootfs="$WORK/python3"
  debian_rootfs "$log" "$rootfs" "$PYTHON_PACKAGES"
  local version
  version=$($SUDO chroot "$rootfs" dpkg-query -W -f='${Version}' python3-minimal)
  $SUDO chroot "$rootfs" dpkg-query -W >"$IMAGES/python3.packages"
  # Drop the bytecode the packages compiled at install (about 10 MB): the interpreter compiles what
  # a program imports in memory at start (PYTHONDONTWRITEBYTECODE: 65532 may not write there).
  run "$log" $SUDO find "$rootfs/usr/lib" -name __pycache__ -type d -prune -exec rm -rf {} +
  archive python3 "lanyard.local/python3:${version//[~+:]/_}" "$rootfs" \
    "{\"Env\":[$(json_strings "$BASE_PATH" "PYTHONDONTWRITEBYTECODE=1" "PYTHONUNBUFFERED=1")],\"User\":\"65532:65532\",\"WorkingDir\":\"/home/nonroot\"}"
}

want() { [ ${#SELECTED[@]} -eq 0 ] || [[ " ${SELECTED[*]} " == *" $1 "* ]]; }
SELECTED=("$@")

if want pause; then
  require_file "$BIN/pause" "scripts/install-tools.sh builds it"
  image pause "$(file_hash "$BIN/pause")" build_pause
fi
if want busybox; then
  require_file /bin/busybox "apt-get install busybox-static"
  image busybox "$(package_version busybox-static)" build_busybox
fi
if want coredns; then
  require_file "$BIN/coredns" "scripts/install-tools.sh builds it"
  image coredns "$(file_hash "$BIN/coredns")" build_coredns
fi
if want jre17; then
  command -v debootstrap >/dev/null || fail "debootstrap is missing (apt-get install debootstrap)"
  # Keyed by the versions of the JRE and its runtime that the mirror offers.
  image jre17 "$SUITE $MIRROR $(candidate_versions "$JRE_PACKAGE" libc6 ca-certificates-java)" build_jre17
fi
if want jre25; then
  command -v debootstrap >/dev/null || fail "debootstrap is missing (apt-get install debootstrap)"
  require_file "$TEMURIN25/bin/jlink" "Temurin 25 (LANYARD_TEMURIN25 names another JDK 25 home)"
  # Keyed by the Temurin build, the modules, and the Debian base the mirror offers.
  image jre25 "$SUITE $MIRROR $(grep -h '^JAVA_RUNTIME_VERSION=' "$TEMURIN25/release") $JRE25_MODULES $(candidate_versions libc6 zlib1g)" build_jre25
fi
if want python3; then
  command -v debootstrap >/dev/null || fail "debootstrap is missing (apt-get install debootstrap)"
  image python3 "$SUITE $MIRROR $(candidate_versions python3-minimal libpython3-stdlib libc6)" build_python3
fi
