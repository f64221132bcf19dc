#!/usr/bin/env bash
# Runs every Jazzer @FuzzTest in the repo in fuzzing mode, one test method at a time (Jazzer's JUnit
# integration fuzzes one method per JVM), and writes a summary to bench/results/fuzz-<date>.md.
#
#   scripts/fuzz.sh                         # every fuzz test, 2 minutes each
#   FUZZ_SECONDS=30 scripts/fuzz.sh         # shorter
#   FUZZ_ONLY=PeerPolicyFuzzTest scripts/fuzz.sh   # only tests whose Class#method contains this
#   FUZZ_BUILD=1 scripts/fuzz.sh            # first install the modules (and what they need), no tests
#
# Without FUZZ_BUILD the modules' dependencies must already be installed (./mvnw install -DskipTests).
# A crash fails the run (exit 1) and leaves the crashing input as crash-* in the test's committed
# inputs directory (src/test/resources/<package>/<Class>Inputs/<method>/), where `make test` then
# replays it: fix the code, keep the input. Generated corpora are kept between runs in
# bench/results/tmp/fuzz-corpus/ (ignored by git), never in the module directories.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-120}
FUZZ_ONLY=${FUZZ_ONLY:-}
DATE=$(date -u +%Y-%m-%d)
OUT=${FUZZ_OUT:-bench/results/fuzz-$DATE.md}
WORK=bench/results/tmp/fuzz
CORPORA=bench/results/tmp/fuzz-corpus
mkdir -p "$WORK" "$CORPORA" "$(dirname "$OUT")"
COMMAND="FUZZ_SECONDS=$FUZZ_SECONDS${FUZZ_ONLY:+ FUZZ_ONLY=$FUZZ_ONLY} scripts/fuzz.sh"

# module<TAB>fully.qualified.Class<TAB>method, for every @FuzzTest method under */src/test/java.
targets() {
  grep -rl --include='*.java' '@FuzzTest' -- */src/test/java | sort | while read -r file; do
    module=${file%%/src/test/java/*}
    class=${file#*/src/test/java/}; class=${class%.java}; class=${class//\//.}
    awk '/@FuzzTest/ {want=1; next} want && /void [A-Za-z0-9_]+\(/ {
           match($0, /void [A-Za-z0-9_]+\(/); print substr($0, RSTART+5, RLENGTH-6); want=0 }' "$file" |
      while read -r method; do printf '%s\t%s\t%s\n' "$module" "$class" "$method"; done
  done
}

mapfile -t TARGETS < <(targets | { if [ -n "$FUZZ_ONLY" ]; then grep -F -- "$FUZZ_ONLY" || true; else cat; fi; })
if [ ${#TARGETS[@]} -eq 0 ]; then
  echo "fuzz.sh: no @FuzzTest matches '${FUZZ_ONLY}'" >&2
  exit 2
fi

if [ "${FUZZ_BUILD:-0}" = 1 ]; then
  modules=$(printf '%s\n' "${TARGETS[@]}" | cut -f1 | sort -u | paste -sd, -)
  ./mvnw -B -q install -DskipTests -pl "$modules" -am
fi

rows=()
failed=0
for target in "${TARGETS[@]}"; do
  IFS=$'\t' read -r module class method <<<"$target"
  simple=${class##*.}
  log="$WORK/$simple-$method.log"
  echo "fuzz.sh: $module $simple#$method for ${FUZZ_SECONDS}s (log: $log)"
  # Resume from the corpus this test generated last time; Jazzer keeps it in <module>/.cifuzz-corpus.
  saved="$CORPORA/$module/$class/$method"
  if [ -d "$saved" ]; then
    mkdir -p "$module/.cifuzz-corpus/$class"
    rm -rf "$module/.cifuzz-corpus/$class/$method"
    mv "$saved" "$module/.cifuzz-corpus/$class/$method"
  fi
  stamp=$(mktemp)
  start=$(date +%s)
  set +e
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${FUZZ_SECONDS}s" ./mvnw -B test -pl "$module" \
    -Dtest="$simple#$method" -Djazzer.hooks=true -Dsurefire.failIfNoSpecifiedTests=false \
    -Dsurefire.timeout=$((FUZZ_SECONDS + 600)) >"$log" 2>&1
  status=$?
  set -e
  seconds=$(( $(date +%s) - start ))
  if [ -d "$module/.cifuzz-corpus/$class/$method" ]; then
    mkdir -p "$CORPORA/$module/$class"
    rm -rf "$saved"
    mv "$module/.cifuzz-corpus/$class/$method" "$saved"
  fi
  rmdir -p "$module/.cifuzz-corpus/$class" 2>/dev/null || true
  corpus=$(find "$saved" -type f 2>/dev/null | wc -l)
  # libFuzzer's own last words ("Done 123456 runs in 30 second(s)") go to the forked JVM's stderr,
  # which surefire puts in the build log or in the test's -output.txt.
  report="$module/target/surefire-reports/$class-output.txt"
  runs=$(cat "$log" "$report" 2>/dev/null | grep -aoE 'Done [0-9]+ runs in [0-9]+ second' | tail -1 || true)
  executions=$(sed -E 's/Done ([0-9]+) runs in ([0-9]+) second/\1/' <<<"$runs")
  fuzz_seconds=$(sed -E 's/Done ([0-9]+) runs in ([0-9]+) second/\2/' <<<"$runs")
  crashes=$(find "$module" -path '*/target' -prune -o -type f -name 'crash-*' -newer "$stamp" -print | wc -l)
  rm -f "$stamp"
  result=ok
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    result="FAILED (exit $status; see $log)"
    failed=1
  fi
  echo "fuzz.sh: $simple#$method: ${executions:-?} executions in ${fuzz_seconds:-?} s, $crashes crash(es), $result"
  rows+=("| \`$module\` | \`$simple#$method\` | ${fuzz_seconds:-?} s (${seconds} s with the build) | ${executions:-n/a} | $corpus | $crashes | $result |")
done

{
  echo "# Fuzzing run, $DATE"
  echo
  echo "Every Jazzer \`@FuzzTest\` in fuzzing mode (\`JAZZER_FUZZ=1\`, \`-Djazzer.hooks=true\`), one"
  echo "method per JVM, at most ${FUZZ_SECONDS} s each. Produced by:"
  echo
  echo '```'
  echo "$COMMAND"
  echo '```'
  echo
  echo "Machine: $(nproc) cores, $(java -version 2>&1 | head -1); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Executions are libFuzzer's count (\"Done N runs\"); corpus is the generated corpus after the run"
  echo "(kept in bench/results/tmp/fuzz-corpus/, so a later run resumes from it)."
  echo
  echo "| Module | Test | Fuzzing time | Executions | Corpus | Crashes | Result |"
  echo "|--------|------|--------------|------------|--------|---------|--------|"
  printf '%s\n' "${rows[@]}"
} >"$OUT"
echo "fuzz.sh: summary in $OUT"
exit $failed
