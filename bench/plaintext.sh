#!/usr/bin/env bash
# Issue 19's benchmark: a plain-HTTP client and server without Lanyard, upgraded to mTLS in-process
# by the javaagent, and through two Lanyard sidecars, side by side in one run against a real SPIRE
# server and SPIRE Agent; writes bench/results/plaintext-upgrade-<date>.md and .json. Extra
# arguments go to the benchmark, e.g.
#   bench/plaintext.sh --rounds 6 --out /tmp/bench-results
# Knobs: --rounds N (4), --warmup-requests N (2000), --warm-requests N (3000), --window-ms MS (4000), --concurrency N (2),
# --startup-trials N (4), --out DIR. --no-build (first argument) uses what is already built.
# See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

MVN=(./mvnw -B -q)
invoked="bench/plaintext.sh${*:+ $*}"
build=1
if [[ "${1:-}" == "--no-build" ]]; then
  build=0
  shift
fi

if [[ $build == 1 ]]; then
  echo "bench: building the javaagent, the sidecar, compat apps and testkit"
  "${MVN[@]}" install -DskipTests -pl testkit,spiffe-tls,compat-apps,javaagent,sidecar-proxy -am
fi
"${MVN[@]}" -f bench/pom.xml package -DskipTests

echo "bench: running (about 5 minutes; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.lanyard.bench.PlaintextUpgradeBench --command "$invoked" "$@"
