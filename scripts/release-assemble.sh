#!/usr/bin/env bash
# The second half of make release, from what the build left in target/ (no Maven here): the CLI
# (scripts/release-cli.sh), the packaged chart with the images' digests pinned when OUT/images
# holds the image tarballs, and OUT/SHA256SUMS over every file. ReleaseCliIT runs it too.
#
# Usage: scripts/release-assemble.sh OUT_DIR VERSION
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$1
VERSION=$2
TOOLS=${LANYARD_TOOLS:-$HOME/.cache/lanyard/tools}
HELM=${HELM:-$TOOLS/bin/helm}
cd "$ROOT"

"$ROOT/scripts/release-cli.sh" "$OUT" "$VERSION"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-chart.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
cp -r charts/lanyard "$STAGE/lanyard"
# pin_digest REPOSITORY FILE: the digest Jib reported for that image, into the digest key that
# follows the image's repository in values.yaml.
pin_digest() {
  local repository=$1 digest
  digest=$(cat "$2")
  case "$digest" in sha256:*) ;; *) echo "release: $2 holds no sha256 digest" >&2; exit 1 ;; esac
  sed -i "/repository: .*\/$repository\$/,/digest:/ s|digest: \"\"|digest: \"$digest\"|" \
    "$STAGE/lanyard/values.yaml"
}
if [ -d "$OUT/images" ]; then
  pin_digest lanyard-webhook images/target/jib/webhook.digest
  pin_digest lanyard-sidecar images/target/jib/sidecar.digest
  pin_digest lanyard-javaagent images/target/jib/javaagent.digest
fi
"$HELM" package "$STAGE/lanyard" --version "$VERSION" --app-version "$VERSION" -d "$STAGE/packaged" >/dev/null
# helm stamps the archive's entries with the time of packaging (SOURCE_DATE_EPOCH is not read), so
# the same chart packaged twice differs. Repack helm's own archive with fixed times, owners and
# order (the last commit's time), which gives the same bytes for the same sources.
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
mkdir "$STAGE/unpacked"
tar -xzf "$STAGE/packaged/lanyard-$VERSION.tgz" -C "$STAGE/unpacked"
tar --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$STAGE/unpacked" -cf - lanyard | gzip -n -9 > "$OUT/lanyard-$VERSION.tgz"
"$HELM" lint --quiet "$OUT/lanyard-$VERSION.tgz" --kube-version 1.29.0 >/dev/null

(cd "$OUT" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort \
  | xargs sha256sum > SHA256SUMS)
echo "release: $OUT"
cat "$OUT/SHA256SUMS"
