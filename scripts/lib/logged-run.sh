# Sourced by install-tools.sh and build-images.sh, which each define say() (their log prefix).
# run LOG CMD...: runs a command with its output in LOG; on failure names the command and the log.
run() {
  local log=$1; shift
  local rc=0
  "$@" >>"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    say "FAILED (exit $rc): $*"
    say "last lines of $log:"
    tail -n 25 "$log" | sed 's/^/    /'
    exit 1
  fi
}
