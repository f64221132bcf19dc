#!/usr/bin/env bash
# The CLI's release artifacts from the built injector-webhook/target/lanyard-webhook.jar (one
# shaded jar holding the webhook and the CLI): OUT/lanyard-cli-VERSION.jar and OUT/kubectl-lanyard,
# the jar behind a sh launcher in one executable file. The JVM reads a jar with bytes in front of
# it (the zip directory is found from the end), so `java -cp kubectl-lanyard` runs the jar in it.
# kubectl runs any executable named kubectl-lanyard on PATH as `kubectl lanyard`.
#
# Usage: scripts/release-cli.sh OUT_DIR VERSION   (scripts/release.sh calls it; so does ReleaseCliIT)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$1
VERSION=$2
JAR="$ROOT/injector-webhook/target/lanyard-webhook.jar"
[ -f "$JAR" ] || { echo "release-cli: $JAR is missing: run ./mvnw -pl injector-webhook -am package" >&2; exit 1; }
mkdir -p "$OUT"
cp "$JAR" "$OUT/lanyard-cli-$VERSION.jar"
{
  cat <<'LAUNCHER'
#!/bin/sh
# kubectl-lanyard: the Lanyard CLI (kubectl lanyard version|inject|check-inject|identities ...).
# This file is a jar with this launcher in front; it needs a Java 17+ runtime: JAVA_HOME, or java on PATH.
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$java" ${LANYARD_JAVA_OPTS:-} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$0" dev.lanyard.webhook.cli.LanyardCli "$@"
exit 1
LAUNCHER
  cat "$JAR"
} > "$OUT/kubectl-lanyard"
chmod 755 "$OUT/kubectl-lanyard"
touch -d "@0" "$OUT/kubectl-lanyard" "$OUT/lanyard-cli-$VERSION.jar"
