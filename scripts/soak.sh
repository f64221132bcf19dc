#!/usr/bin/env bash
# The long runs of issue 9 (what `make soak` runs after the fuzzers), each writing its figures to
# bench/results/soak-<date>.md with the command that produced them:
#   - RotationSoakIT for SOAK_MINUTES (default 30): the rotation soak (point 1, >= 10 minutes) and
#     the leak soak (point 14, 30 minutes) in one run, through the javaagent and the sidecar;
#   - WebhookLoadIT with LANYARD_SOAK=1: 50 pod creations/s for 60 s through the webhook as the
#     chart registers it, on the real kube-apiserver (point 12).
#
#   scripts/soak.sh                 # 30 minutes
#   SOAK_MINUTES=10 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_MINUTES=${SOAK_MINUTES:-30}
DATE=$(date -u +%Y-%m-%d)
OUT=${SOAK_OUT:-bench/results/soak-$DATE.md}
LOGS=bench/results/tmp/soak
mkdir -p "$LOGS" "$(dirname "$OUT")"
status=0

echo "soak.sh: building the javaagent, the sidecar and the compat apps (no tests) ..."
./mvnw -B -q install -DskipTests -pl sidecar-proxy,javaagent,compat-apps,charts -am

run_rotation_soak() {
  local command="LANYARD_SOAK_MINUTES=$SOAK_MINUTES ./mvnw -B verify -pl sidecar-proxy -Dit.test=RotationSoakIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false"
  local started=$SECONDS verdict=passed
  echo "soak.sh: $command"
  if ! LANYARD_SOAK_MINUTES=$SOAK_MINUTES ./mvnw -B verify -pl sidecar-proxy -Dit.test=RotationSoakIT \
      -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false >"$LOGS/rotation-soak.log" 2>&1; then
    verdict=FAILED
    status=1
  fi
  {
    echo "## RotationSoakIT, $SOAK_MINUTES minutes: $verdict ($((SECONDS - started)) s)"
    echo
    echo "Command: \`$command\` (machine: $(nproc) processors, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); Lanyard $(git rev-parse --short=12 HEAD))"
    echo
    echo '```'
    cat "sidecar-proxy/target/rotation-soak-${SOAK_MINUTES}min.txt" 2>/dev/null \
      || echo "(no report: see $LOGS/rotation-soak.log)"
    if [ "$verdict" = FAILED ]; then
      grep -E '^\[ERROR\] +[A-Za-z]+IT|Expecting|expected' "$LOGS/rotation-soak.log" | head -20 || true
    fi
    echo '```'
    echo
  } >>"$OUT.part"
}

run_webhook_load() {
  local command="LANYARD_SOAK=1 ./mvnw -B verify -pl charts -Dit.test=WebhookLoadIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false"
  local started=$SECONDS verdict=passed
  echo "soak.sh: $command"
  if ! LANYARD_SOAK=1 ./mvnw -B verify -pl charts -Dit.test=WebhookLoadIT -Dtest=NoSuchTest \
      -Dsurefire.failIfNoSpecifiedTests=false >"$LOGS/webhook-load.log" 2>&1; then
    verdict=FAILED
    status=1
  fi
  {
    echo "## WebhookLoadIT, 60 s of load: $verdict ($((SECONDS - started)) s)"
    echo
    echo "Command: \`$command\` (load average at the end $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    echo '```'
    grep -h '^WebhookLoadIT:' charts/target/failsafe-reports/dev.lanyard.charts.WebhookLoadIT-output.txt 2>/dev/null || echo "(no figures: see $LOGS/webhook-load.log)"
    if [ "$verdict" = FAILED ]; then
      grep -E 'Expecting|expected|ERROR\] +[A-Za-z]+IT' "$LOGS/webhook-load.log" | head -20 || true
    fi
    echo '```'
    echo
  } >>"$OUT.part"
}

rm -f "$OUT.part"
{
  echo "# soak runs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "Produced by \`make soak\` (scripts/soak.sh, SOAK_MINUTES=$SOAK_MINUTES). What each shows: docs/RELIABILITY.md."
  echo
} >"$OUT.part"
run_rotation_soak
run_webhook_load
mv "$OUT.part" "$OUT"
echo "soak.sh: wrote $OUT"
exit $status
