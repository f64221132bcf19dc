#!/usr/bin/env bash
# The admission webhook benchmarks (issue 4): builds the webhook jar, testkit and this module,
# starts a real etcd + kube-apiserver and the real webhook jar, then measures handler latency at a
# fixed rate and pods created per second with and without the webhook, interleaved. Writes
# bench/results/webhook-<date>.md and .json. Extra arguments go to the benchmark, e.g.
#   bench/webhook.sh --rate 100 --seconds 30 --rounds 6 --out /tmp/bench-results
# Knobs: --rate N, --seconds N, --warmup-seconds N, --rounds N, --pods N, --creators N, --out DIR.
# See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

MVN=(./mvnw -B -q)
invoked="bench/webhook.sh${*:+ $*}"

echo "bench: building the webhook jar, testkit and the benchmarks"
"${MVN[@]}" -N install
"${MVN[@]}" -f testkit/pom.xml install -DskipTests
"${MVN[@]}" -f injector-webhook/pom.xml install -DskipTests
"${MVN[@]}" -f bench/pom.xml package -DskipTests

echo "bench: running (about 3 minutes; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.lanyard.bench.WebhookBench --command "$invoked" "$@"
