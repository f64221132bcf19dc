#!/usr/bin/env bash
# The sidecar's memory floor: a JVM doing nothing and the smallest Netty + BoringSSL mTLS server,
# each with the sidecar's documented JVM flags, next to the sidecar itself on a real SPIRE; writes
# bench/results/memory-floor-<date>.md and .json. Extra arguments go to the benchmark, e.g.
#   bench/memory-floor.sh --rounds 3 --idle-seconds 10 --out /tmp/bench-results
# --java-home DIR measures on another JDK (the report is then named after it). --no-build (first
# argument) uses the sidecar jar already built. About 7 minutes. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

MVN=(./mvnw -B -q)
invoked="bench/memory-floor.sh${*:+ $*}"
if [[ "${1:-}" == "--no-build" ]]; then
  shift
else
  echo "bench: building the sidecar and testkit"
  "${MVN[@]}" -N install
  for module in testkit spiffe-tls sidecar-proxy; do
    "${MVN[@]}" -f "$module/pom.xml" install -DskipTests
  done
fi
"${MVN[@]}" -f bench/pom.xml package -DskipTests

echo "bench: running (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.lanyard.bench.MemoryFloorBench --command "$invoked" "$@"
