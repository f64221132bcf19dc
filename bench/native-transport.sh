#!/usr/bin/env bash
# Issue 19: what steering gRPC-Java from Netty's native epoll transport to the JDK NIO transport
# costs (the javaagent does so while the plaintext upgrade is on). Fresh JVMs, epoll and NIO
# interleaved, grpc-netty-shaded server and client over loopback, no Lanyard: only the transport
# differs. Writes bench/results/native-transport-<date>.md. Usage:
#   bench/native-transport.sh [rounds (4)] [warmup (5000)] [calls (10000)] [concurrency (8)] [windowMs (4000)]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4}
shift || true
invoked="bench/native-transport.sh $rounds${*:+ $*}"
cp_file=$(mktemp)
# testkit's grpc-netty-shaded (java-spiffe's version) and what it needs, from the local repository.
./mvnw -B -q -pl testkit dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
classpath=$(tr ':' '\n' < "$cp_file" | grep -E '/io/grpc/|/com/google/|/io/perfmark/' | paste -sd:)
rm -f "$cp_file"
out="bench/results/native-transport-$(date -u +%F).md"
lines=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= rounds; round++)); do
  for transport in epoll nio; do
    line=$(java -cp "$classpath" bench/native-transport/NativeTransportBench.java "$transport" "$@" \
      | grep '^RESULT')
    echo "round $round: $line"
    lines+=("$round ${line#RESULT }")
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "# gRPC-Java on epoll vs NIO (grpc-netty-shaded, loopback, no Lanyard)"
  echo
  echo "Command: \`$invoked\` on $(date -u +%FT%TZ), $(nproc) processors, load average $load_before"
  echo "before and $load_after after; $(java -version 2>&1 | head -1)."
  echo
  echo "| round | transport | p50 µs | p99 µs | calls/s | CPU ms per 1000 calls |"
  echo "|---|---|---|---|---|---|"
  for entry in "${lines[@]}"; do
    read -r round t p50 p99 ps cpu <<<"$entry"
    echo "| $round | ${t#transport=} | ${p50#p50_us=} | ${p99#p99_us=} | ${ps#per_second=} | ${cpu#cpu_ms_per_1000=} |"
  done
  echo
  printf '%s\n' "${lines[@]}" | awk '
    { split($3, a, "="); split($4, b, "="); split($5, c, "="); split($6, d, "=");
      t = ($2 == "transport=epoll") ? "epoll" : "nio";
      p50[t] += a[2]; p99[t] += b[2]; ps[t] += c[2]; cpu[t] += d[2]; n[t]++ }
    END {
      printf "Means: epoll p50 %.0f µs, p99 %.0f µs, %.0f calls/s, %.1f CPU ms per 1000; ",
        p50["epoll"]/n["epoll"], p99["epoll"]/n["epoll"], ps["epoll"]/n["epoll"], cpu["epoll"]/n["epoll"];
      printf "NIO p50 %.0f µs, p99 %.0f µs, %.0f calls/s, %.1f CPU ms per 1000.\n",
        p50["nio"]/n["nio"], p99["nio"]/n["nio"], ps["nio"]/n["nio"], cpu["nio"]/n["nio"];
      printf "NIO / epoll: p50 %.2f, p99 %.2f, throughput %.2f, CPU per call %.2f.\n",
        (p50["nio"]/n["nio"])/(p50["epoll"]/n["epoll"]), (p99["nio"]/n["nio"])/(p99["epoll"]/n["epoll"]),
        (ps["nio"]/n["nio"])/(ps["epoll"]/n["epoll"]), (cpu["nio"]/n["nio"])/(cpu["epoll"]/n["epoll"]) }'
} > "$out"
cat "$out"
