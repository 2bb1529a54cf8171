#!/usr/bin/env bash
# Captures one real tlslab session on the loopback interface, for Wireshark.
#
#   scripts/capture.sh [SCENARIO] [-o OUT.pcapng] [--get PATH]...
#
# SCENARIO (default good):
#   good             a complete handshake, then GET / (the built-in session page)
#   revoked          the server's certificate is revoked: the CA says so, the client sends
#                    certificate_revoked
#   unknown-ca       the client trusts another CA: unknown_ca
#   expired          the certificate's validity ended (issued --not-before -400d --days 30):
#                    certificate_expired
#   wrong-name       the certificate is for other.example, the client expects localhost:
#                    bad_certificate
#   no-common-suite  the server accepts only AES-256-GCM, the client offers the two others:
#                    the server sends handshake_failure
#
# It makes a throw-away CA and server certificate with tlslab-ca, starts `tlslab-ca serve` and
# `tlslab-server` on free ports of 127.0.0.1, captures both ports with tshark on `lo`, runs
# tlslab-client once, stops the capture and writes, side by side:
#   OUT.pcapng   the capture (default ./tlslab-SCENARIO.pcapng)
#   OUT.keylog   the NSS key log of the session (empty when the handshake stops before the
#                key exchange), for the dissector's tlslab.keylog_file preference
# and prints the commands that open them. Everything it started is stopped on exit, on error
# and on Ctrl-C.
#
# Exit status: 0 the capture is written and the scenario went as described above; 1 it did not
# (the files are still written); 2 usage error or missing programs; 77 tshark cannot capture
# here (not installed, or no permission: capturing needs root or CAP_NET_RAW).
#
# Environment: TLSLAB_BIN (default <repo>/build/bin), TSHARK (default tshark),
#   CAPTURE_TRACE_JSON=FILE  also pass --trace-json FILE to the client (machine-readable trace),
#   CAPTURE_QUIET=1          do not show the client's step-by-step trace.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${TLSLAB_BIN:-$root/build/bin}
TSHARK=${TSHARK:-tshark}
dissector=$root/scripts/wireshark/tlslab.lua

usage() {
  sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}
die() { echo "capture: $*" >&2; exit 2; }
skip() { echo "capture: cannot capture: $*" >&2; exit 77; }

scenario=good out="" gets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -o|--output) [[ $# -ge 2 ]] || die "$1 needs a file name"; out=$2; shift 2 ;;
    --get) [[ $# -ge 2 ]] || die "--get needs a path"; gets+=(--get "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    good|revoked|unknown-ca|expired|wrong-name|no-common-suite) scenario=$1; shift ;;
    *) echo "capture: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ ${#gets[@]} -gt 0 ]] || gets=(--get /)
out=${out:-./tlslab-$scenario.pcapng}
case $out in
  *.pcapng) keylog_out=${out%.pcapng}.keylog ;;
  *) keylog_out=$out.keylog ;;
esac
out_dir=$(cd "$(dirname "$out")" 2>/dev/null && pwd) || die "no such directory: $(dirname "$out")"
out=$out_dir/$(basename "$out")
keylog_out=$out_dir/$(basename "$keylog_out")

for p in tlslab-ca tlslab-server tlslab-client; do
  [[ -x $bin/$p ]] || die "$bin/$p is missing: build first (cmake --build build) or set TLSLAB_BIN"
done
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed (Debian: apt install tshark)"

# --- processes we start, and the cleanup that stops them whatever happens ----------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-capture.XXXXXX") || die "mktemp failed"
ca_pid="" server_pid="" tshark_pid="" client_pid=""

stop_tshark() {  # SIGINT makes tshark stop dumpcap and finish the file
  [[ -n $tshark_pid ]] || return 0
  kill -INT "$tshark_pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$tshark_pid" 2>/dev/null || break; sleep 0.05; done
  kill -TERM "$tshark_pid" 2>/dev/null
  wait "$tshark_pid" 2>/dev/null
  tshark_pid=""
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  [[ -n $client_pid ]] && kill "$client_pid" 2>/dev/null
  stop_tshark
  local pid
  for pid in $server_pid $ca_pid; do kill "$pid" 2>/dev/null; done
  for pid in $client_pid $server_pid $ca_pid; do wait "$pid" 2>/dev/null; done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'echo "capture: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM HUP

# start_service PIDVAR PORTVAR LOG COMMAND...: starts COMMAND in the background, stores its pid
# in PIDVAR at once (for cleanup) and the port of its "listening on ADDR:PORT" line in PORTVAR.
# (Not in a $(...) subshell: the process must be our child, to be stopped and waited for.)
start_service() {
  local pid_var=$1 port_var=$2 log=$3
  shift 3
  "$@" >"$log" 2>&1 &
  local pid=$! port=""
  printf -v "$pid_var" '%s' "$pid"
  for _ in $(seq 1 200); do
    port=$(sed -nE 's/.*listening on [^ ]*:([0-9]+).*/\1/p' "$log" | head -n 1)
    [[ -n $port ]] && { printf -v "$port_var" '%s' "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "capture: $(basename "$1") did not start:" >&2
  sed 's/^/  /' "$log" >&2
  return 1
}

# --- PKI for the scenario -------------------------------------------------------------------
quiet() { local log=$work/cmd.log; "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }; }

mkdir -p "$work/ca" "$work/ca2"
quiet "$bin/tlslab-ca" init --dir "$work/ca" --cn "tlslab capture CA" || die "tlslab-ca init failed"
cert_cn=localhost cert_san=DNS:localhost,IP:127.0.0.1 issue_extra=()
case $scenario in
  expired) issue_extra=(--not-before -400d --days 30) ;;
  wrong-name) cert_cn=other.example cert_san=DNS:other.example ;;
esac
quiet "$bin/tlslab-ca" issue --dir "$work/ca" --cn "$cert_cn" --san "$cert_san" "${issue_extra[@]}" \
  --out-cert "$work/server.crt" --out-key "$work/server.key" || die "tlslab-ca issue failed"
trust=$work/ca/ca.crt
case $scenario in
  revoked)
    serial=$(sed -nE 's/^ *serial +([0-9a-fA-F]+).*/\1/p' "$work/cmd.log" | head -n 1)
    [[ -n $serial ]] || die "no serial in the output of tlslab-ca issue"
    quiet "$bin/tlslab-ca" revoke --dir "$work/ca" --serial "$serial" --reason keyCompromise ||
      die "tlslab-ca revoke failed" ;;
  unknown-ca)
    quiet "$bin/tlslab-ca" init --dir "$work/ca2" --cn "tlslab other CA" || die "tlslab-ca init failed"
    trust=$work/ca2/ca.crt ;;
esac
server_suites=() client_suites=()
if [[ $scenario == no-common-suite ]]; then
  server_suites=(--suites aes256gcm) client_suites=(--suites "aes128gcm,chacha20")
fi

# --- services, capture, client --------------------------------------------------------------
ca_port="" server_port=""
start_service ca_pid ca_port "$work/ca.log" "$bin/tlslab-ca" serve --dir "$work/ca" \
  --listen 127.0.0.1:0 || exit 1
start_service server_pid server_port "$work/server.log" "$bin/tlslab-server" --cert "$work/server.crt" \
  --key "$work/server.key" --listen 127.0.0.1:0 --keylog "$work/server.keylog" --quiet \
  "${server_suites[@]}" || exit 1

rm -f "$out"
# The programs refuse a key log that others can read (it decrypts the session): create it 0600.
rm -f "$keylog_out"
(umask 077 && : >"$keylog_out") || die "cannot write $keylog_out"
"$TSHARK" -i lo -w "$out" -f "tcp port $server_port or tcp port $ca_port" 2>"$work/tshark.err" &
tshark_pid=$!
# tshark prints "Capturing on" before it starts dumpcap, and logs "Capture started" once dumpcap
# has opened the interface, set the filter and opened the file: only then is nothing missed.
capture_live() { grep -q "Capturing on" "$work/tshark.err" && grep -q "Capture started" "$work/tshark.err"; }
for _ in $(seq 1 200); do
  capture_live && break
  if ! kill -0 "$tshark_pid" 2>/dev/null; then
    wait "$tshark_pid" 2>/dev/null
    tshark_pid=""
    skip "tshark -i lo failed: $(grep -v -e '^Running as user' -e '^ *$' "$work/tshark.err" | head -n 3 | tr '\n' ' ')"
  fi
  sleep 0.05
done
if ! capture_live; then
  grep -q "Capturing on" "$work/tshark.err" || skip "tshark did not start capturing within 10 s"
  sleep 1                                   # a tshark that does not log "Capture started"
fi
sleep 0.2

client_args=(--connect "127.0.0.1:$server_port" --ca-service "127.0.0.1:$ca_port" --trust "$trust"
  --server-name localhost --keylog "$keylog_out" "${client_suites[@]}" "${gets[@]}"
  --output "$work/response.body")
[[ -n ${CAPTURE_TRACE_JSON:-} ]] && client_args+=(--trace-json "$CAPTURE_TRACE_JSON")
[[ ${CAPTURE_QUIET:-0} == 1 ]] && client_args+=(--quiet)
echo "capture: scenario $scenario: CA service 127.0.0.1:$ca_port, server 127.0.0.1:$server_port, capturing on lo"
"$bin/tlslab-client" "${client_args[@]}" >"$work/client.out" 2>"$work/client.err" &
client_pid=$!
wait "$client_pid"
client_status=$?
client_pid=""
cat "$work/client.out" "$work/client.err"
sleep 0.3                                   # the last segments (FIN, close_notify) reach lo
stop_tshark
packets=$(sed -nE 's/^([0-9]+) packets? captured.*/\1/p' "$work/tshark.err" | tail -n 1)

# key log: both sides write the same line; keep each line once
cat "$keylog_out" "$work/server.keylog" 2>/dev/null | awk '!seen[$0]++' >"$work/keylog.merged"
cat "$work/keylog.merged" >"$keylog_out"

# --- did the scenario go as described? --------------------------------------------------------
expected_alert=""
case $scenario in
  revoked) expected_alert=certificate_revoked ;;
  unknown-ca) expected_alert=unknown_ca ;;
  expired) expected_alert=certificate_expired ;;
  wrong-name) expected_alert=bad_certificate ;;
  no-common-suite) expected_alert=handshake_failure ;;
esac
result=0
if [[ -z $expected_alert ]]; then
  [[ $client_status == 0 ]] || { echo "capture: tlslab-client failed (exit $client_status)" >&2; result=1; }
  [[ -s $keylog_out ]] || { echo "capture: no key log line was written" >&2; result=1; }
else
  if [[ $client_status == 0 ]] || ! grep -q "$expected_alert" "$work/client.err"; then
    echo "capture: expected the handshake to stop with $expected_alert; client exit $client_status" >&2
    result=1
  fi
fi
if [[ ! -s $out || -z $packets || $packets == 0 ]]; then
  echo "capture: nothing was captured:" >&2
  sed 's/^/  /' "$work/tshark.err" >&2
  result=1
fi
if [[ $result != 0 ]]; then
  echo "capture: server log:" >&2; sed 's/^/  /' "$work/server.log" >&2
  echo "capture: CA log:" >&2; sed 's/^/  /' "$work/ca.log" >&2
fi

q() { printf '%q' "$1"; }
cat <<EOF

capture: wrote $(q "$out") (${packets:-0} packets) and $(q "$keylog_out")
Open it in Wireshark with the tlslab dissector and the key log:
  wireshark -X lua_script:$(q "$dissector") -o tlslab.keylog_file:$(q "$keylog_out") $(q "$out")
or read it with tshark (one line per frame; then the decrypted request URIs):
  tshark -r $(q "$out") -X lua_script:$(q "$dissector") -o tlslab.keylog_file:$(q "$keylog_out") -Y tlslab
  tshark -r $(q "$out") -X lua_script:$(q "$dissector") -o tlslab.keylog_file:$(q "$keylog_out") -Y http.request -T fields -e http.request.uri
EOF
if [[ -n $expected_alert ]]; then
  echo "  tshark -r $(q "$out") -X lua_script:$(q "$dissector") -Y tlslab.alert.description -T fields -e tlslab.alert.description"
fi
exit "$result"
