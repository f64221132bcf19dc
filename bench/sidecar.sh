#!/usr/bin/env bash
# The sidecar benchmark: the sidecar versus ghostunnel versus plaintext, wrk on loopback, a real
# SPIRE server and SPIRE Agent; writes bench/results/sidecar-<date>.md and .json. Extra arguments
# go to the benchmark, e.g.
#   bench/sidecar.sh --rounds 3 --seconds 5 --out /tmp/bench-results
# Knobs: --rounds N (5), --seconds S per wrk run (8), --connections N (16), --threads N (1),
# --ready-trials N (4), --out DIR, --baseline-jar JAR (another sidecar build, e.g. main's, measured
# in the same rounds as configuration sidecar-baseline: a change compared side by side).
# --no-build (first argument) uses the jars already built (sidecar-proxy/target/lanyard-sidecar.jar,
# compat-apps/target). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

MVN=(./mvnw -B -q)
invoked="bench/sidecar.sh${*:+ $*}"
build=1
if [[ "${1:-}" == "--no-build" ]]; then
  build=0
  shift
fi
for tool in wrk "${LANYARD_TOOLS:-$HOME/.cache/lanyard/tools}/bin/ghostunnel"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make tools; wrk from the OS)"; exit 2; }
done

if [[ $build == 1 ]]; then
  echo "bench: building the sidecar, compat apps and testkit"
  if ! "${MVN[@]}" install -DskipTests; then
    # A module in the middle of development can break the root reactor; the benchmark needs only these.
    echo "bench: the root build failed; building only the modules the benchmark needs"
    "${MVN[@]}" -N install
    for module in testkit spiffe-tls compat-apps sidecar-proxy; do
      "${MVN[@]}" -f "$module/pom.xml" install -DskipTests
    done
  fi
fi
"${MVN[@]}" -f bench/pom.xml package -DskipTests

echo "bench: running (about 9 minutes; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.lanyard.bench.SidecarBench --command "$invoked" "$@"
