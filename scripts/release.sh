#!/usr/bin/env bash
# make release: everything a user installs Lanyard from, into one directory (default dist/), with
# SHA-256 checksums, built reproducibly (the same sources give the same jar and chart bytes):
#
#   images/lanyard-{webhook,sidecar,javaagent}-VERSION.tar  docker-archive tarballs (Jib, `make images`)
#   lanyard-VERSION.tgz             the chart (`helm package`), the image digests pinned in its values
#   lanyard-cli-VERSION.jar         the CLI as a runnable jar (java -cp JAR dev.lanyard.webhook.cli.LanyardCli)
#   kubectl-lanyard                 the same jar behind a sh launcher, one file: put it on PATH and
#                                   `kubectl lanyard version` runs it (needs only a Java 17+ runtime)
#   SHA256SUMS                      `sha256sum -c SHA256SUMS` checks all of the above
#
# Usage: scripts/release.sh [OUT_DIR]
#   LANYARD_RELEASE_SKIP_IMAGES=1  only the CLI and the chart (the chart's digests then stay empty)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(realpath -m "${1:-$ROOT/dist}")
MVN=("$ROOT/mvnw" -B -q)
say() { printf 'release: %s\n' "$*"; }
# Jars and chart depend only on the sources: the chart's mtimes are the last commit's.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct)}

cd "$ROOT"
# The project's own <version> (the first in the root pom; no parent).
VERSION=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -1)
[ -n "$VERSION" ] || { say "cannot read the project version from pom.xml"; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"

if [ "${LANYARD_RELEASE_SKIP_IMAGES:-0}" = 1 ]; then
  say "building the CLI jar (no images: LANYARD_RELEASE_SKIP_IMAGES=1)"
  "${MVN[@]}" package -DskipTests -pl injector-webhook -am
else
  say "building the images (make images) and every jar"
  scripts/build-images.sh busybox jre17 python3
  "${MVN[@]}" package -DskipTests -pl images -am
  mkdir -p "$OUT/images"
  for image in webhook sidecar javaagent; do
    cp "images/target/images/$image.tar" "$OUT/images/lanyard-$image-$VERSION.tar"
  done
fi

scripts/release-assemble.sh "$OUT" "$VERSION"
