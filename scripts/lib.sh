# Shared by the scripts: build the programs, start them on free ports, stop them on exit.
# Source it; it defines functions only.

TLSLAB_ROOT=${TLSLAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TLSLAB_BUILD=${TLSLAB_BUILD:-$TLSLAB_ROOT/build}
TLSLAB_BIN=$TLSLAB_BUILD/bin
TLSLAB_PIDS=()

tlslab_build() {
  "$TLSLAB_ROOT/scripts/setup.sh"
  cmake -S "$TLSLAB_ROOT" -B "$TLSLAB_BUILD" -G Ninja >/dev/null
  cmake --build "$TLSLAB_BUILD" -j 2 --target tlslab-ca tlslab-server tlslab-client "$@"
}

# tlslab_start VAR NAME LOGFILE PATTERN COMMAND...: starts COMMAND in the background (not in a
# subshell, so tlslab_stop_all knows it) and sets VAR to the port that PATTERN (an extended regex
# with one group) captures from its output.
tlslab_start() {
  local var=$1 name=$2 log=$3 pattern=$4
  shift 4
  : >"$log"  # there before the first read below, whenever the background job gets to open it
  "$@" >"$log" 2>&1 &
  TLSLAB_PIDS+=($!)
  local port=""
  for _ in $(seq 1 200); do
    port=$(sed -nE "s/$pattern/\1/p" "$log" | head -n 1)
    [[ -n "$port" ]] && break
    if ! kill -0 "${TLSLAB_PIDS[-1]}" 2>/dev/null; then
      echo "$name failed to start:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.05
  done
  [[ -n "$port" ]] || { echo "$name did not report its port:" >&2; cat "$log" >&2; return 1; }
  printf -v "$var" '%s' "$port"
}

tlslab_stop_all() {
  local pid
  for pid in "${TLSLAB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${TLSLAB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  TLSLAB_PIDS=()
}
