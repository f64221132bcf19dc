#!/usr/bin/env bash
# The javaagent benchmarks (make bench): builds what they need, starts a real SPIRE server and
# SPIRE Agent, runs every comparison side by side and writes bench/results/javaagent-<date>.md
# and .json. Extra arguments go to the benchmark, e.g.
#   bench/run.sh --rounds 3 --startup-pairs 6 --out /tmp/bench-results
# Knobs: --startup-pairs N, --rounds N, --handshake-window-ms MS, --handshake-concurrency N,
# --warm-requests N, --out DIR. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

MVN=(./mvnw -B -q)
if [[ -n "${MAKELEVEL:-}" ]]; then
  invoked="make bench${*:+ (bench/run.sh $*)}"
else
  invoked="bench/run.sh${*:+ $*}"
fi

echo "bench: building the javaagent, compat apps and testkit"
if ! "${MVN[@]}" install -DskipTests; then
  # A module in the middle of development can break the root reactor; the benchmark needs only these.
  echo "bench: the root build failed; building only the modules the benchmark needs"
  "${MVN[@]}" -N install
  for module in testkit spiffe-tls compat-apps javaagent; do
    "${MVN[@]}" -f "$module/pom.xml" install -DskipTests
  done
fi
"${MVN[@]}" -f bench/pom.xml package -DskipTests

echo "bench: running (about 7 minutes; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.lanyard.bench.JavaagentBench --command "$invoked" "$@"
