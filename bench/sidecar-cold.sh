#!/usr/bin/env bash
# Cold against warm (issue 22, item 3): fresh sidecar pairs on JDK 17, on the sidecar image's JDK 25
# without and with the AOT cache the image ships, against fresh ghostunnel pairs, one interleaved
# run on a real SPIRE server and SPIRE Agent; writes bench/results/sidecar-cold-<date>.md and .json.
# Needs the images built first (./mvnw -pl images -am package -DskipTests: the sidecar image's JDK,
# jar and cache under images/target/aot/sidecar/root), wrk, the tools (make tools), and root.
#   bench/sidecar-cold.sh --rounds 3 --connections 16 --out bench/results
set -euo pipefail
cd "$(dirname "$0")/.."
invoked="bench/sidecar-cold.sh${*:+ $*}"
for tool in wrk "${LANYARD_TOOLS:-$HOME/.cache/lanyard/tools}/bin/ghostunnel"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make tools; wrk from the OS)"; exit 2; }
done
./mvnw -B -q -f bench/pom.xml package -DskipTests
echo "bench: running (about 2 minutes per round; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.lanyard.bench.SidecarColdBench --command "$invoked" "$@"
