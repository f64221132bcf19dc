#!/usr/bin/env bash
# JWT-SVID and audit cost per request (issue 8): warm HTTPS requests from one compat client under
# the javaagent with JWT-SVID sending off / on (cached token) / on with LANYARD_AUDIT=all, side by
# side in one run against a real SPIRE server and SPIRE Agent. Writes
# bench/results/jwt-<date>.md and .json. Extra arguments go to JwtBench, e.g.
#   bench/jwt.sh --rounds 3 --requests 2000 --app JdkHttpClientApp --out /tmp/jwt-bench
# Expects the javaagent and compat apps built (./mvnw -o -q -pl spiffe-tls,compat-apps,javaagent
# install -DskipTests); builds only the bench module.
set -euo pipefail
cd "$(dirname "$0")/.."
invoked="bench/jwt.sh${*:+ $*}"
./mvnw -B -q -o -f bench/pom.xml package -DskipTests
echo "jwt-bench: running (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.lanyard.bench.JwtBench --command "$invoked" "$@"
