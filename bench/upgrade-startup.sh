#!/usr/bin/env bash
# Issue 19's start-up row, this javaagent build against a baseline build, side by side in one run
# against a real SPIRE server and SPIRE Agent: the upgraded plain-HTTP client (JdkHttpClientApp
# --tls plain --requests 1, LANYARD_UPGRADE_OUTBOUND=<port>=strict) fork to exit with each jar, and
# the same client without Lanyard, then the classes each jar loads from itself. Writes
# bench/results/upgrade-startup-<date>.md.
#   bench/upgrade-startup.sh --baseline-jar /tmp/base/lanyard-javaagent.jar [--trials 8] [--out DIR]
#     [--agent-jar JAR]   (the client's "this" jar; default javaagent/target/lanyard-javaagent.jar)
# Uses what is built (javaagent, compat-apps, sidecar-proxy jars; the bench module is packaged
# here against the testkit in ~/.m2); it installs nothing. Run as root (setpriv per workload gid).
set -euo pipefail
cd "$(dirname "$0")/.."
invoked="bench/upgrade-startup.sh${*:+ $*}"
./mvnw -B -q -f bench/pom.xml package -DskipTests
echo "bench: running (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.lanyard.bench.UpgradeStartupBench --command "$invoked" "$@"
