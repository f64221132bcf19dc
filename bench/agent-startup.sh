#!/usr/bin/env bash
# What the javaagent costs a JVM's start, this build against a baseline build, side by side in one
# run (issue 22 item 4, issue 19's start-up with LANYARD_UPGRADE_INBOUND):
#   bench/agent-startup.sh --baseline-jar /tmp/baseline/javaagent/target/lanyard-javaagent.jar
# Knobs: --rounds N (8), --out DIR (bench/results), --agent-jar JAR (javaagent/target/...).
# Variants, in a rotated order each round after one discarded round: a trivial main without the
# agent, with each jar, and with each jar and LANYARD_UPGRADE_INBOUND (the socket hooks go in
# before main). Wall time, CPU (user+sys) and peak RSS from /usr/bin/time, fork to exit. Then the
# classes each jar loads from itself once its background start is done (-Xlog:class+load), by
# library. No SPIRE is needed: the Workload API socket is absent, the agent keeps retrying in the
# background and a trivial main never waits for it. Writes agent-startup-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=8
out=bench/results
agent_jar=javaagent/target/lanyard-javaagent.jar
baseline_jar=
args=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --agent-jar) agent_jar=$2; shift 2 ;;
    --baseline-jar) baseline_jar=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "$baseline_jar" ]] || { echo "--baseline-jar JAR is required (see bench/README.md)" >&2; exit 2; }
[[ -f "$agent_jar" ]] || ./mvnw -B -q -pl javaagent -am package -DskipTests

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/classes" "$out"
javac -d "$work/classes" bench/src/main/java/dev/lanyard/bench/Hello.java
cat > "$work/Idle.java" <<'JAVA'
public class Idle {
  public static void main(String[] args) throws Exception {
    Thread.sleep(Long.parseLong(args[0]));
  }
}
JAVA
javac -d "$work/classes" "$work/Idle.java"
export SPIFFE_ENDPOINT_SOCKET="unix:$work/no-agent.sock"
export LANYARD_ADMIN_ADDRESS=off
# UPGRADE: the variables of the "upgrade" variants (default: inbound only).
upgrade=${UPGRADE:-LANYARD_UPGRADE_INBOUND=18080=permissive}

declare -A cmd
cmd[hello]="java -cp $work/classes dev.lanyard.bench.Hello"
cmd[baseline]="java -javaagent:$baseline_jar -cp $work/classes dev.lanyard.bench.Hello"
cmd[this]="java -javaagent:$agent_jar -cp $work/classes dev.lanyard.bench.Hello"
cmd[baseline-upgrade]="env $upgrade java -javaagent:$baseline_jar -cp $work/classes dev.lanyard.bench.Hello"
cmd[this-upgrade]="env $upgrade java -javaagent:$agent_jar -cp $work/classes dev.lanyard.bench.Hello"
variants=(hello baseline this baseline-upgrade this-upgrade)
samples="$work/samples.tsv"
loads="$work/loads.txt"
echo "start $(cut -d' ' -f1-3 /proc/loadavg)" > "$loads"
for ((round = -1; round < rounds; round++)); do
  n=${#variants[@]}
  shift_by=$(( (round + n) % n ))
  for ((k = 0; k < n; k++)); do
    v=${variants[$(( (k + shift_by) % n ))]}
    line=$(/usr/bin/time -f "%e %U %S %M" ${cmd[$v]} 2>&1 >/dev/null | tail -1)
    if (( round >= 0 )); then
      echo -e "$round\t$v\t$line" >> "$samples"
    fi
  done
  echo "round $round $(cut -d' ' -f1-3 /proc/loadavg)" >> "$loads"
done

classes() {
  local jar=$1 log=$2
  shift 2
  env "$@" LANYARD_LOG=debug java -Xlog:class+load=info:file="$log" -javaagent:"$jar" \
    -cp "$work/classes" Idle 12000 2>&1 | grep -o 'started in the background in [0-9]* ms' || true
}
bstart=$(classes "$baseline_jar" "$work/baseline.log")
tstart=$(classes "$agent_jar" "$work/this.log")
echo "end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$loads"

python3 - "$samples" "$loads" "$work/baseline.log" "$work/this.log" "$baseline_jar" "$agent_jar" \
  "$out" "bench/agent-startup.sh ${args[*]}" "$bstart" "$tstart" <<'PY'
import collections, datetime, os, re, statistics, subprocess, sys
samples, loads, blog, tlog, bjar, tjar, out, command, bstart, tstart = sys.argv[1:]
runs = collections.defaultdict(dict)
for line in open(samples):
    r, v, wall, user, sys_, rss = line.split()
    runs[int(r)][v] = (float(wall) * 1000, float(user) + float(sys_), int(rss) / 1024)
def per_round(f):
    return [f(runs[r]) for r in sorted(runs)]
def summ(xs, d=0):
    return f"{statistics.median(xs):.{d}f} ({min(xs):.{d}f}–{max(xs):.{d}f})"
rows = []
def row(label, a, b):
    wall = per_round(lambda x: x[a][0] - x[b][0])
    cpu = per_round(lambda x: x[a][1] - x[b][1])
    rss = per_round(lambda x: x[a][2] - x[b][2])
    ratio = per_round(lambda x: x[a][0] / x[b][0])
    rows.append(f"| {label} | {summ(wall)} | {summ(ratio, 2)} | {summ(cpu, 2)} | {summ(rss, 1)} |")
row("agent (baseline jar) vs no agent", "baseline", "hello")
row("agent (this jar) vs no agent", "this", "hello")
row("agent + upgrade (baseline jar) vs no agent", "baseline-upgrade", "hello")
row("agent + upgrade (this jar) vs no agent", "this-upgrade", "hello")
row("**agent + upgrade: this jar vs baseline jar**", "this-upgrade", "baseline-upgrade")
row("agent, no upgrade: this jar vs baseline jar", "this", "baseline")
absolute = []
for v in ["hello", "baseline", "this", "baseline-upgrade", "this-upgrade"]:
    absolute.append(f"| {v} | {summ(per_round(lambda x: x[v][0]))} | {summ(per_round(lambda x: x[v][1]), 2)} | {summ(per_round(lambda x: x[v][2]), 1)} |")
def groups(log, jar):
    jar = os.path.abspath(jar)
    names = [m.group(1) for m in (re.search(r"\]\s+(\S+) source: (.*)", l) for l in open(log))
             if m and jar in m.group(2)]
    g = collections.Counter()
    for n in names:
        if n.startswith("net.bytebuddy."): g["ByteBuddy"] += 1
        elif n.startswith("dev.lanyard.shaded.io.netty."): g["Netty (shaded, Workload API client)"] += 1
        elif n.startswith("com.google.protobuf."): g["protobuf"] += 1
        elif n.startswith("io.prometheus."): g["Prometheus client"] += 1
        elif n.startswith("dev.lanyard."): g["Lanyard"] += 1
        else: g["other"] += 1
    jwt = sorted(n for n in names if "Jwt" in n)
    return len(names), g, jwt
bt, bg, bjwt = groups(blog, bjar)
tt, tg, tjwt = groups(tlog, tjar)
keys = ["ByteBuddy", "Netty (shaded, Workload API client)", "protobuf", "Prometheus client", "Lanyard", "other"]
crow = [f"| {k} | {bg[k]} | {tg[k]} |" for k in keys]
crow.append(f"| **total from the agent jar** | **{bt}** | **{tt}** |")
crow.append(f"| classes named *Jwt* | {len(bjwt)} ({', '.join(bjwt)}) | {len(tjwt)} ({', '.join(tjwt)}) |")
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
date = datetime.date.today().isoformat()
path = os.path.join(out, f"agent-startup-{date}.md")
with open(path, "w") as f:
    f.write(f"""# javaagent start-up, this build vs a baseline build ({date})

Command: `{command}`

Machine: {os.cpu_count()} processors ({cpu}), {java}. Load average (1, 5, 15 min):

```
{open(loads).read().strip()}
```

The machine was shared with other jobs (four other sessions building and testing): absolute times
are inflated and noisy; read the per-round differences and ratios (median, min–max over
{len(runs)} rounds; each round runs every variant once, in a rotated order, after one discarded
round). A trivial main (`dev.lanyard.bench.Hello`), fork to exit, `/usr/bin/time`;
`LANYARD_ADMIN_ADDRESS=off`, no SPIRE (a trivial main never waits for it). "upgrade" is
`{os.environ.get('UPGRADE', 'LANYARD_UPGRADE_INBOUND=18080=permissive')}`: the socket hooks go in before main.

Baseline jar: `{bjar}`; this jar: `{tjar}`.

## Added by the javaagent (per round: variant minus reference)

| comparison | wall added, ms | wall ratio | CPU added, s | peak RSS added, MiB |
|---|---|---|---|---|
""" + "\n".join(rows) + """

## Absolute (median, min–max)

| variant | wall, ms | CPU, s | peak RSS, MiB |
|---|---|---|---|
""" + "\n".join(absolute) + f"""

## Classes loaded from the agent jar once the background start is done

`-Xlog:class+load`, a main that idles 12 s (`LANYARD_LOG=debug`: baseline "{bstart}", this
"{tstart}"); no TLS request is made (the first mTLS request adds JDK classes, and the agent
classes of its handshake path).

| library | baseline jar | this jar |
|---|---|---|
""" + "\n".join(crow) + "\n")
print(open(path).read())
PY
