#!/usr/bin/env bash
# The three tlslab programs on three hosts: each in its own network namespace, joined by a
# bridge in a fourth ("wire") namespace, captured on that bridge with tshark and dissected with
# scripts/wireshark/tlslab.lua.
#
#   ns client  169.254.77.10 --veth--+
#   ns server  169.254.77.20 --veth--+-- br0 in ns wire (tshark -i br0)
#   ns ca      169.254.77.30 --veth--+
#
# All interfaces and addresses live inside the namespaces this test creates (link-local
# 169.254.77.0/24); nothing is added to the host's own network namespace, and traffic flows only
# between these namespaces. The server certificate names the server by address
# (--san IP:169.254.77.20), and the client connects by address.
#
# Checks: each arrow's frame is on the wire between the right hosts (ClientHello, ServerHello,
# Status request, Status response, ClientKeyExchange, both Finished with verify_data valid), the
# Info column names the same sender and receiver, the randoms equal the client's --trace-json, the
# certificate's iPAddress SAN, and the decrypted http.request.uri is "/".
#
# Exit status: 0 passed; 1 a check failed; 77 skipped (not root / `ip netns add` not permitted,
# tshark cannot capture, python3 or lua-luaossl missing).
# Environment: TLSLAB_BIN (default <repo>/build/bin), TSHARK (default tshark), KEEP=1 keeps the
# work directory.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dissector=${TLSLAB_DISSECTOR:-$root/scripts/wireshark/tlslab.lua}
bin=${TLSLAB_BIN:-$root/build/bin}
TSHARK=${TSHARK:-tshark}

skip() { echo "SKIP: $*"; exit 77; }
command -v ip >/dev/null 2>&1 || skip "iproute2 (ip) is not installed"
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed (Debian: apt install tshark)"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the --trace-json trace"
for p in tlslab-ca tlslab-server tlslab-client; do
  [[ -x $bin/$p ]] || { echo "FAIL: $bin/$p is missing (build first or set TLSLAB_BIN)"; exit 1; }
done

net=169.254.77
client_ip=$net.10 server_ip=$net.20 ca_ip=$net.30
server_port=4433 ca_port=4434                  # private namespaces: the default ports are free
ns_wire=tlslab-wire-$$ ns_client=tlslab-client-$$ ns_server=tlslab-server-$$ ns_ca=tlslab-ca-$$
created=()                                     # namespaces this test made, deleted on exit
pids=()                                        # processes it started (in those namespaces)
tshark_pid=""

work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-netns.XXXXXX")
[[ ${KEEP:-0} == 1 ]] && echo "work dir: $work"

stop_tshark() {
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
  stop_tshark
  local pid ns
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  for ns in "${created[@]}"; do
    # anything still running inside a namespace of ours (it can only be ours) is stopped first
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null || echo "WARNING: could not delete network namespace $ns" >&2
  done
  if [[ ${KEEP:-0} != 1 ]]; then rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- 1. the namespaces and the wire ---------------------------------------------------------------
[[ $(id -u) == 0 ]] || skip "network namespaces need root (this runs as uid $(id -u))"
if ! ip netns add "$ns_wire" 2>"$work/netns.err"; then
  skip "'ip netns add' is not permitted here: $(head -n 1 "$work/netns.err")"
fi
created+=("$ns_wire")
for ns in "$ns_client" "$ns_server" "$ns_ca"; do
  ip netns add "$ns" || { echo "FAIL: ip netns add $ns"; exit 1; }
  created+=("$ns")
done

setup() {
  local ns
  for ns in "${created[@]}"; do
    # no IPv6 (router solicitations, MLD) on the wire: only the test's own packets
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
      >/dev/null 2>&1 || true
    ip -n "$ns" link set lo up || return 1
  done
  ip -n "$ns_wire" link add br0 type bridge || return 1
  ip -n "$ns_wire" link set br0 up || return 1
  local host addr
  for host in client server ca; do
    case $host in
      client) ns=$ns_client addr=$client_ip ;;
      server) ns=$ns_server addr=$server_ip ;;
      ca) ns=$ns_ca addr=$ca_ip ;;
    esac
    # the pair is created inside the wire namespace, one end moved to the host's namespace
    ip -n "$ns_wire" link add "v-$host" type veth peer name eth0 netns "$ns" || return 1
    ip -n "$ns_wire" link set "v-$host" master br0 up || return 1
    ip -n "$ns" addr add "$addr/24" dev eth0 || return 1
    ip -n "$ns" link set eth0 up || return 1
  done
}
setup || { echo "FAIL: could not set up the namespaces' network"; exit 1; }
# the client reaches both other hosts over the bridge (when ping is there to tell)
if command -v ping >/dev/null 2>&1; then
  for target in "$server_ip" "$ca_ip"; do
    ok=0
    for _ in $(seq 1 20); do
      if ip netns exec "$ns_client" ping -n -c 1 -W 1 "$target" >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.1
    done
    [[ $ok == 1 ]] || { echo "FAIL: $target is not reachable from the client namespace"; exit 1; }
  done
fi

# --- 2. PKI (files only), services, capture, client ----------------------------------------------
mkdir -p "$work/ca"
if ! { "$bin/tlslab-ca" init --dir "$work/ca" --cn "tlslab netns CA" &&
        "$bin/tlslab-ca" issue --dir "$work/ca" --cn "$server_ip" --san "IP:$server_ip" \
          --out-cert "$work/server.crt" --out-key "$work/server.key"; } >"$work/pki.log" 2>&1; then
  cat "$work/pki.log"; echo "FAIL: tlslab-ca init/issue"; exit 1
fi

start_in() {  # start_in NS LOG COMMAND...: starts COMMAND in namespace NS, waits for "listening on"
  local ns=$1 log=$2
  shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    grep -q "listening on" "$log" && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log"; echo "FAIL: $(basename "$1") did not start in $ns"; exit 1
}
start_in "$ns_ca" "$work/ca.log" "$bin/tlslab-ca" serve --dir "$work/ca" --listen "$ca_ip:$ca_port"
start_in "$ns_server" "$work/server.log" "$bin/tlslab-server" --cert "$work/server.crt" \
  --key "$work/server.key" --listen "$server_ip:$server_port" --keylog "$work/keylog" --quiet

pcap=$work/wire.pcapng
ip netns exec "$ns_wire" "$TSHARK" -i br0 -w "$pcap" -f tcp 2>"$work/tshark.err" &
tshark_pid=$!
for _ in $(seq 1 200); do
  grep -q "Capture started" "$work/tshark.err" && break
  if ! kill -0 "$tshark_pid" 2>/dev/null; then
    wait "$tshark_pid" 2>/dev/null; tshark_pid=""
    skip "tshark cannot capture on the bridge: $(grep -v '^Running as' "$work/tshark.err" | head -n 2 | tr '\n' ' ')"
  fi
  sleep 0.05
done
grep -q "Capturing on" "$work/tshark.err" || skip "tshark did not start capturing"
grep -q "Capture started" "$work/tshark.err" || sleep 1
sleep 0.2

ip netns exec "$ns_client" "$bin/tlslab-client" --connect "$server_ip:$server_port" \
  --ca-service "$ca_ip:$ca_port" --trust "$work/ca/ca.crt" --keylog "$work/keylog" \
  --trace-json "$work/trace.json" --quiet --get / --output "$work/body.html" >"$work/client.log" 2>&1
client_status=$?
sleep 0.3
stop_tshark
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
pids=()
if [[ $client_status != 0 ]]; then
  echo "--- client"; cat "$work/client.log"; echo "--- server"; cat "$work/server.log"
  echo "--- CA"; cat "$work/ca.log"
  echo "FAIL: tlslab-client exited with $client_status"
  exit 1
fi

# --- 3. the dissected capture ---------------------------------------------------------------------
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
failures=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }
tsh() { "$TSHARK" -n -r "$pcap" -X "lua_script:$dissector" -o "tlslab.keylog_file:$work/keylog" "$@" 2>>"$work/tshark.stderr"; }
expect_count() {  # expect_count WHAT WANT FILTER
  local got; got=$(tsh -Y "$3" -T fields -e frame.number | grep -c .)
  if [[ $got == "$2" ]]; then pass; else fail "$1: $got packet(s) match '$3', expected $2"; fi
}
trace() {  # trace ARROW FIELD
  python3 - "$work/trace.json" "$@" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    event = json.loads(line)
    if event.get("arrow") == int(sys.argv[2]) and sys.argv[3] in event.get("fields", {}):
        print(event["fields"][sys.argv[3]])
        break
EOF
}

notes=$(tsh -Y tlslab.expert.not_decrypted -V)
grep -q "lua-luaossl" <<<"$notes" && skip "$(grep -m1 -o 'lua-luaossl[^]]*' <<<"$notes")"

c2s="ip.src == $client_ip && ip.dst == $server_ip"
s2c="ip.src == $server_ip && ip.dst == $client_ip"
c2ca="ip.src == $client_ip && ip.dst == $ca_ip"
ca2c="ip.src == $ca_ip && ip.dst == $client_ip"
cr=$(trace 1 RAND-CLIENT) sr=$(trace 2 RAND-SERVER)
if [[ $cr =~ ^[0-9a-f]{64}$ && $sr =~ ^[0-9a-f]{64}$ ]]; then pass; else fail "no randoms in the client's trace: '$cr' '$sr'"; fi

expect_count "ClientHello client -> server, RAND-CLIENT as traced" 1 "$c2s && tlslab.handshake.type == 1 && tlslab.client_random == $cr"
expect_count "ServerHello server -> client, RAND-SERVER as traced" 1 "$s2c && tlslab.handshake.type == 2 && tlslab.server_random == $sr"
expect_count "certificate names the server by address (iPAddress SAN)" 1 \
  "tlslab.handshake.type == 2 && x509ce.IPAddress.ipv4 == $server_ip && tlslab.server_public_key.matches_certificate == 1"
expect_count "Status request client -> CA" 1 "$c2ca && tlslab.handshake.type == 64 && tlslab.status.nonce == $(trace 3 nonce)"
expect_count "Status response CA -> client, good" 1 "$ca2c && tlslab.handshake.type == 65 && ocsp.certStatus == 0"
expect_count "ClientKeyExchange client -> server" 1 "$c2s && tlslab.handshake.type == 16"
expect_count "client Finished (test message), valid" 1 \
  "$c2s && tlslab.arrow == 6 && tlslab.verify_data == $(trace 6 verify_data) && tlslab.verify_data.valid == 1"
expect_count "server Finished (ACK), valid" 1 \
  "$s2c && tlslab.arrow == 7 && tlslab.verify_data == $(trace 7 verify_data) && tlslab.verify_data.valid == 1"
uri=$(tsh -Y "$c2s && http.request" -T fields -e http.request.uri)
if [[ $uri == / ]]; then pass; else fail "decrypted http.request.uri: '$uri', expected '/'"; fi
expect_count "decrypted HTTP response server -> client" 1 "$s2c && http.response.code == 200"
# the Info column names who talks to whom, as the addresses on this wire say
for pair in "$c2s|Client → Server" "$s2c|Server → Client" "$c2ca|Client → CA" "$ca2c|CA → Client"; do
  rows=$(tsh -Y "${pair%%|*} && tlslab" -T fields -e _ws.col.Info)
  wrong=$(grep -vF -- "${pair#*|}: " <<<"$rows")
  if [[ -n $rows && -z $wrong ]]; then pass; else fail "Info on frames ${pair%%|*} should say '${pair#*|}': $wrong"; fi
done
expect_count "only the three hosts on the wire" 0 \
  "!(ip.src in {$client_ip, $server_ip, $ca_ip} && ip.dst in {$client_ip, $server_ip, $ca_ip})"
expect_count "bridge capture: each frame once (one ClientHello, one Status request)" 2 \
  'tlslab.handshake.type in {1, 64}'
expect_count "no malformed frame, expert error or Lua error" 0 \
  '_ws.malformed || _ws.expert.severity == "Error" || _ws.lua.error || tlslab.expert.dissector_bug || tlslab.expert.implausible_plaintext'

grep -v "Running as user" "$work/tshark.stderr" >"$work/tshark.unexpected" 2>/dev/null
if [[ -s $work/tshark.unexpected ]]; then fail "tshark wrote to stderr:"; head -n 20 "$work/tshark.unexpected"; else pass; fi

if [[ $failures -gt 0 ]]; then
  echo "netns_test: $failures of $checks checks FAILED (KEEP=1 keeps the capture)"
  exit 1
fi
echo "netns_test: all $checks checks passed"
