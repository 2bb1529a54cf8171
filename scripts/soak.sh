#!/usr/bin/env bash
# A long mixed load on the three programs, not part of the default tests: full handshakes (RSA key
# transport, the client asking the CA), ECDHE ones, stapled ones and mutual ones, in rounds, with a
# certificate revoked in every round and the CA restarted midway. It checks what a long run must
# keep true:
#   - no handshake fails that should not (tlslab-bench's errors, a client's exit code);
#   - each process's memory stays flat (VmRSS after the first round against the last);
#   - a revoked certificate is refused within its documented window: by a client that asks the CA,
#     at once (the very next answer); through a staple, within the server's refresh interval
#     (PROTOCOL.md §9.1);
#   - while the CA restarts, stapled handshakes go on (the server staples the answer it holds).
#
#   ./scripts/soak.sh [MINUTES]   at least MINUTES (default 2), and until TLSLAB_SOAK_HANDSHAKES
#                                 handshakes (default 100000) were made
# Environment: TLSLAB_SOAK_HANDSHAKES (default 100000), TLSLAB_SOAK_SEGMENT (seconds of each load
# segment, default 5), TLSLAB_SOAK_RSS_SLACK_KIB (growth allowed beside 10 %, default 4096),
# TLSLAB_BIN (programs already built there: no build), KEEP=1 (keep the work directory and logs).
# It runs at least two rounds. ctest's scripts.soak_smoke runs a short one (the script keeps working).
# Exit status: 0 every check held; 1 one did not (each failure is printed); 2 bad arguments.
# Everything runs on 127.0.0.1; every process it starts is stopped at the end, also on Ctrl-C.
set -euo pipefail
bin_from_environment=${TLSLAB_BIN:-}
source "$(dirname "$0")/lib.sh"

minutes=${1:-2}
goal=${TLSLAB_SOAK_HANDSHAKES:-100000}
segment=${TLSLAB_SOAK_SEGMENT:-5}
number='^[0-9]+([.][0-9]+)?$'
if [[ $# -gt 1 || ! "$minutes" =~ $number || ! "$goal" =~ ^[0-9]+$ || ! "$segment" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/soak.sh [MINUTES] (a number); TLSLAB_SOAK_HANDSHAKES and TLSLAB_SOAK_SEGMENT whole numbers" >&2
  exit 2
fi

trap tlslab_stop_all EXIT INT TERM
if [[ -n "$bin_from_environment" ]]; then
  TLSLAB_BIN=$bin_from_environment
else
  tlslab_build tlslab-bench | tail -n 1
fi
for program in tlslab-ca tlslab-server tlslab-client tlslab-bench; do
  [[ -x "$TLSLAB_BIN/$program" ]] || { echo "$TLSLAB_BIN/$program is missing: build first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/tlslab-soak.XXXXXX)
cleanup() {
  tlslab_stop_all
  if [[ "${KEEP:-0}" == 1 ]]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

failures=0
fail() { failures=$((failures + 1)); echo "FAIL: $*" >&2; }
field() { python3 -c "import json,sys
try: print(json.load(sys.stdin)['$1'])
except Exception: print(-1)"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

ca=$TLSLAB_BIN/tlslab-ca
"$ca" init --dir "$work/ca" >/dev/null
issue() { "$ca" issue --dir "$work/ca" --cn localhost --san DNS:localhost,IP:127.0.0.1 "$@" >/dev/null; }
issue --out-cert "$work/rsa.crt" --out-key "$work/rsa.key"
issue --key-type ec-p256 --out-cert "$work/ec.crt" --out-key "$work/ec.key"
"$ca" issue --dir "$work/ca" --cn alice --client --out-cert "$work/alice.crt" --out-key "$work/alice.key" >/dev/null
trust=(--trust "$work/ca/ca.crt")

# The CA listens on a port of its own choosing once, then on that same port after its restart.
ca_port=$(free_port)
start_ca() {
  local port
  tlslab_start port "tlslab-ca" "$work/ca.$1.log" '.*status service listening on [0-9.]+:([0-9]+).*' \
    "$ca" --log-level warn serve --quiet --dir "$work/ca" --listen "127.0.0.1:$ca_port" --threads 2
  ca_pid=${TLSLAB_PIDS[-1]}
}
start_ca first
ca_service=(--ca-service "127.0.0.1:$ca_port")

# start_server VAR LOGNAME ARGS...: a tlslab-server on a free port; its pid in VAR_pid.
start_server() {
  local var=$1 log=$2
  shift 2
  tlslab_start "$var" "tlslab-server ($log)" "$work/server-$log.log" '.*listening on [0-9.]+:([0-9]+).*' \
    "$TLSLAB_BIN/tlslab-server" --listen 127.0.0.1:0 --threads 2 --quiet --log-level warn "$@"
  printf -v "${var}_pid" '%s' "${TLSLAB_PIDS[-1]}"
}
refresh_ms=1000
start_server rsa_port rsa --cert "$work/rsa.crt" --key "$work/rsa.key"
start_server ec_port ec --cert "$work/ec.crt" --key "$work/ec.key"
start_server staple_port stapled --cert "$work/rsa.crt" --key "$work/rsa.key" --staple-from "127.0.0.1:$ca_port" \
  --staple-trust "$work/ca/ca.crt" --staple-refresh-ms "$refresh_ms"
start_server mutual_port mutual --cert "$work/rsa.crt" --key "$work/rsa.key" --client-auth require \
  --client-trust "$work/ca/ca.crt" "${ca_service[@]}"

handshakes=0
declare -A made=()
# load KIND ARGS...: one segment of tlslab-bench handshakes; every error is unexpected.
load() {
  local kind=$1 out ops errors
  shift
  out=$("$TLSLAB_BIN/tlslab-bench" --json "${trust[@]}" "${ca_service[@]}" --mode handshake --connections 8 \
    --duration "$segment" "$@" 2>"$work/bench.err" || true)
  ops=$(field operations <<<"$out")
  errors=$(field errors <<<"$out")
  if [[ "$ops" -le 0 || "$errors" != 0 ]]; then
    fail "$kind: $ops handshakes, $errors errors ($(tail -n 1 "$work/bench.err"))"
  fi
  [[ "$ops" -gt 0 ]] && { handshakes=$((handshakes + ops)); made[$kind]=$((${made[$kind]:-0} + ops)); }
  return 0
}
# client ARGS...: one tlslab-client run; prints its exit code.
client() {
  local rc=0
  "$TLSLAB_BIN/tlslab-client" --quiet --output /dev/null "${trust[@]}" --server-name localhost "$@" \
    >>"$work/clients.log" 2>&1 || rc=$?
  echo "$rc"
}
mutual() {
  local i rc
  for i in $(seq 1 20); do
    rc=$(client --connect "127.0.0.1:$mutual_port" "${ca_service[@]}" --cert "$work/alice.crt" --key "$work/alice.key")
    if [[ "$rc" == 0 ]]; then
      handshakes=$((handshakes + 1)) made[mutual]=$((${made[mutual]:-0} + 1))
    else
      fail "mutual handshake $i: tlslab-client exit $rc"
    fi
  done
}

# revocation ROUND: a certificate of its own behind a server that asks nothing (the client asks the
# CA) and one that staples; both accepted, then revoked: the direct client must refuse at the very
# next handshake, the stapled one must stop accepting within the refresh interval.
windows=()
revocation() {
  local round=$1 victim="$work/victim-$1" direct_port direct_pid stapled_port stapled_pid serial revoked_at
  local last_accept="" rc deadline t
  issue --out-cert "$victim.crt" --out-key "$victim.key"
  start_server direct_port "victim-$round" --cert "$victim.crt" --key "$victim.key"
  direct_pid=$direct_port_pid
  start_server stapled_port "victim-stapled-$round" --cert "$victim.crt" --key "$victim.key" \
    --staple-from "127.0.0.1:$ca_port" --staple-trust "$work/ca/ca.crt" --staple-refresh-ms "$refresh_ms"
  stapled_pid=$stapled_port_pid
  rc=$(client --connect "127.0.0.1:$direct_port" "${ca_service[@]}" --ca-check direct)
  [[ "$rc" == 0 ]] || fail "round $round: the certificate to revoke was refused before its revocation (exit $rc)"
  rc=$(client --connect "127.0.0.1:$stapled_port" --ca-check stapled)
  [[ "$rc" == 0 ]] || fail "round $round: its staple was refused before the revocation (exit $rc)"
  serial=$(openssl x509 -in "$victim.crt" -noout -serial | cut -d= -f2)
  "$ca" revoke --dir "$work/ca" --serial "$serial" --reason keyCompromise >/dev/null
  revoked_at=$(now)
  rc=$(client --connect "127.0.0.1:$direct_port" "${ca_service[@]}" --ca-check direct)
  [[ "$rc" == 5 ]] || fail "round $round: the next direct handshake after the revocation ended with exit $rc, not 5 (certificate_revoked)"
  # Through the staple: accepted until the server's next refresh; the last acceptance must be
  # within one refresh interval of the revocation.
  deadline=$(python3 -c "print($revoked_at + 10 * $refresh_ms / 1000)")
  while :; do
    t=$(now)
    rc=$(client --connect "127.0.0.1:$stapled_port" --ca-check stapled)
    [[ "$rc" == 0 ]] && last_accept=$t
    [[ "$rc" == 5 ]] && break
    if [[ "$rc" != 0 ]]; then fail "round $round: a stapled handshake after the revocation ended with exit $rc"; break; fi
    if python3 -c "import sys; sys.exit(0 if $t > $deadline else 1)"; then
      fail "round $round: the revoked certificate's staple was still accepted 10 refresh intervals later"
      break
    fi
  done
  local window=0
  [[ -n "$last_accept" ]] && window=$(python3 -c "print(f'{$last_accept - $revoked_at:.2f}')")
  windows+=("$window")
  if python3 -c "import sys; sys.exit(0 if $window > $refresh_ms / 1000 else 1)"; then
    fail "round $round: accepted through the staple ${window} s after the revocation, more than the ${refresh_ms} ms refresh interval"
  fi
  kill "$direct_pid" "$stapled_pid" 2>/dev/null || true
  wait "$direct_pid" "$stapled_pid" 2>/dev/null || true
}

# The CA's restart, in the middle of a stapled segment: the stapled handshakes must all succeed.
restarted=0
restart_ca_under_stapled_load() {
  local out ops errors bench_pid
  "$TLSLAB_BIN/tlslab-bench" --json "${trust[@]}" --connect "127.0.0.1:$staple_port" --ca-check stapled \
    --mode handshake --connections 8 --duration "$segment" >"$work/restart.json" 2>"$work/bench.err" &
  bench_pid=$!
  sleep "$(python3 -c "print($segment / 3)")"
  kill "$ca_pid"
  wait "$ca_pid" 2>/dev/null || true
  sleep 0.5
  start_ca second
  wait "$bench_pid" || true
  ops=$(field operations <"$work/restart.json")
  errors=$(field errors <"$work/restart.json")
  if [[ "$ops" -le 0 || "$errors" != 0 ]]; then
    fail "stapled handshakes while the CA restarted: $ops made, $errors errors"
  fi
  [[ "$ops" -gt 0 ]] && { handshakes=$((handshakes + ops)); made[stapled]=$((${made[stapled]:-0} + ops)); }
  restarted=1
  return 0
}

declare -A rss_first=() rss_last=()
sample_rss() {
  local name pid
  for name in ca rsa ec stapled mutual; do
    case $name in
      ca) pid=$ca_pid ;;
      rsa) pid=$rsa_port_pid ;;
      ec) pid=$ec_port_pid ;;
      stapled) pid=$staple_port_pid ;;
      mutual) pid=$mutual_port_pid ;;
    esac
    rss_last[$name]=$(rss_kib "$pid")
    [[ -n "${rss_first[$name]:-}" ]] || rss_first[$name]=${rss_last[$name]}
  done
}

start=$(now)
round=0
echo "soak: at least $minutes minute(s) and $goal handshakes, segments of $segment s, in $work" >&2
while :; do
  round=$((round + 1))
  load full --connect "127.0.0.1:$rsa_port"
  load ecdhe --connect "127.0.0.1:$ec_port" --suites ecdhe-aes128gcm --groups x25519
  elapsed=$(python3 -c "print($(now) - $start)")
  if [[ $restarted == 0 ]] && python3 -c "import sys; sys.exit(0 if $handshakes * 2 >= $goal or $elapsed * 2 >= $minutes * 60 else 1)"; then
    restart_ca_under_stapled_load
    # The CA's memory is compared from its new start on.
    unset 'rss_first[ca]'
  else
    load stapled --connect "127.0.0.1:$staple_port" --ca-check stapled
  fi
  mutual
  revocation "$round"
  sample_rss
  elapsed=$(python3 -c "print($(now) - $start)")
  printf 'round %d: %d handshakes so far, %.0f s, RSS KiB: CA %s, servers %s %s %s %s, staple window %s s\n' \
    "$round" "$handshakes" "$elapsed" "${rss_last[ca]}" "${rss_last[rsa]}" "${rss_last[ec]}" "${rss_last[stapled]}" \
    "${rss_last[mutual]}" "${windows[-1]}" >&2
  if [[ $restarted == 1 && $round -ge 2 ]] &&
    python3 -c "import sys; sys.exit(0 if $handshakes >= $goal and $elapsed >= $minutes * 60 else 1)"; then
    break
  fi
done

# Memory is flat when it grew by at most 10 % plus 4 MiB (TLSLAB_SOAK_RSS_SLACK_KIB) from the first
# sample to the last (the first round warms the allocator and the caches up).
slack=${TLSLAB_SOAK_RSS_SLACK_KIB:-4096}
flat=()
for name in ca rsa ec stapled mutual; do
  first=${rss_first[$name]} last=${rss_last[$name]}
  flat+=("$name $first→$last KiB")
  if python3 -c "import sys; sys.exit(0 if $last > $first * 1.10 + $slack else 1)"; then
    fail "$name: RSS grew from $first to $last KiB"
  fi
done
[[ $round -ge 2 ]] || fail "only $round round(s): memory could not be compared (give it more minutes)"

echo
echo "soak summary: $handshakes handshakes in $round rounds, $(python3 -c "print(f'{$(now) - $start:.0f}')") s"
echo "  by kind: full ${made[full]:-0}, ECDHE ${made[ecdhe]:-0}, stapled ${made[stapled]:-0}, mutual ${made[mutual]:-0}"
echo "  revocations: $round, each refused at the next direct handshake; through the staple accepted for at most" \
  "$(python3 -c "print(max(float(w) for w in '${windows[*]}'.split()))") s after it (refresh interval $((refresh_ms / 1000)) s)"
echo "  CA restarted midway: stapled handshakes during the restart all succeeded ($restarted restart)"
echo "  RSS first round → last: ${flat[*]}"
if [[ $failures -gt 0 ]]; then
  echo "soak: $failures check(s) failed" >&2
  exit 1
fi
echo "soak: every check held (0 unexpected failures)"
