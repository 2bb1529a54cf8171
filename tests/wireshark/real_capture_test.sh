#!/usr/bin/env bash
# Captures real sessions of the tlslab programs with scripts/capture.sh (scenarios "good" and
# "revoked", and "good" with the client offering only ecdhe-aes128gcm, PROTOCOL.md §7.6, when
# tlslab-client has that suite; on the loopback interface) and checks that the Wireshark dissector
# (scripts/wireshark/tlslab.lua) shows in them what the client's machine-readable trace
# (--trace-json) says happened: the randoms, the chosen suite, the certificate, the CA's answer,
# the alert, the Finished checks and the decrypted HTTP request. Also what capture.sh leaves for
# the user who ran it with sudo: the modes of the capture, the key log and the report, their
# owner ($SUDO_USER, else the owner of the output directory), and the commands it prints (no
# decryption option when the key log is empty; each tshark command works as printed).
#
# Exit status: 0 all checks passed; 1 a check failed (each failure is printed); 77 skipped
# (tshark missing or unable to capture here, python3 missing, or lua-luaossl missing so nothing
# can be decrypted; or the ECDHE capture or its signature check could not run: then every other
# check ran and passed, and the result says what was not checked).
#
# Environment: TLSLAB_BIN (default <repo>/build/bin), TSHARK (default tshark), KEEP=1 keeps the
# work directory (captures, key logs, traces).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dissector=${TLSLAB_DISSECTOR:-$root/scripts/wireshark/tlslab.lua}
capture=$root/scripts/capture.sh
export TLSLAB_BIN=${TLSLAB_BIN:-$root/build/bin}
TSHARK=${TSHARK:-tshark}
export TSHARK

skip() { echo "SKIP: $*"; exit 77; }
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed (Debian: apt install tshark)"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the --trace-json trace"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-realcap.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
# A private HOME: an installed copy of tlslab.lua or the user's preferences must not interfere.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"

failures=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }
expect_eq() {  # expect_eq WHAT GOT WANT
  if [[ "$2" == "$3" ]]; then pass; else fail "$1: got '$2', expected '$3'"; fi
}
expect_contains() {  # expect_contains WHAT HAYSTACK NEEDLE
  if grep -qF -- "$3" <<<"$2"; then pass; else fail "$1: '$3' not found in: $(head -c 300 <<<"$2")"; fi
}

# --- 1. the two captures -----------------------------------------------------------------------
# run_capture NAME DIR [ENV...] [-- ARGS...]: capture.sh NAME (or capture.sh ARGS) with ENV (for
# env(1)), writes DIR/NAME.{pcapng,keylog,html} and $work/NAME.{trace.json,log}
captured=0
run_capture() {
  local s=$1 dir=$2 rc envs=() args=()
  shift 2
  while [[ $# -gt 0 && $1 != -- ]]; do envs+=("$1"); shift; done
  [[ ${1:-} == -- ]] && { shift; args=("$@"); }
  [[ ${#args[@]} -gt 0 ]] || args=("$s")
  env "${envs[@]}" CAPTURE_QUIET=1 CAPTURE_TRACE_JSON="$work/$s.trace.json" \
    "$capture" "${args[@]}" -o "$dir/$s.pcapng" >"$work/$s.log" 2>&1
  rc=$?
  # The first capture tells whether tshark can capture here at all; after it, 77 is a failure
  # (as it was when dumpcap, which keeps no right but capturing, wrote into a user's directory).
  if [[ $rc == 77 && $captured == 0 ]]; then
    skip "$(grep -m1 'cannot capture' "$work/$s.log" || tail -n 1 "$work/$s.log")"
  fi
  captured=1
  if [[ $rc != 0 ]]; then
    sed 's/^/  /' "$work/$s.log"
    echo "FAIL: scripts/capture.sh ${args[*]} exited with $rc"
    exit 1
  fi
}
# As root (as with sudo), the files go to $SUDO_USER (good), or without it to the owner of the
# output directory (revoked, in a directory of nobody's).
as_root=0
[[ $EUID == 0 ]] && as_root=1
mkdir -p "$work/nobody"
[[ $as_root == 1 ]] && chown nobody: "$work/nobody"
run_capture good "$work" SUDO_USER=nobody
run_capture revoked "$work/nobody" -u SUDO_USER
# ECDHE (§7.6) once tlslab-client offers it: the same session, forward-secret
not_run=()  # checks that could not run here: the result is then "skipped", not "passed"
with_ecdhe=0
if "$TLSLAB_BIN/tlslab-client" --help 2>/dev/null | grep -q ecdhe-aes128gcm; then
  with_ecdhe=1
  run_capture ecdhe "$work" -- good --suites ecdhe-aes128gcm
else
  not_run+=("the ECDHE capture ($TLSLAB_BIN/tlslab-client has no ecdhe-aes128gcm suite)")
fi

# trace FILE ARROW FIELD: a field of the client's trace for one arrow of the diagram
trace() {
  python3 - "$@" <<'EOF'
import json, sys
path, arrow, field = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for line in open(path):
    event = json.loads(line)
    if event.get("arrow") == arrow and field in event.get("fields", {}):
        print(event["fields"][field])
        break
EOF
}

# tsh PCAP ARGS...: the dissector, the capture's key log, one pass (as a user would run it)
tsh() {
  local pcap=$1; shift
  "$TSHARK" -n -r "$pcap" -X "lua_script:$dissector" -o "tlslab.keylog_file:${pcap%.pcapng}.keylog" "$@" \
    2>>"$work/tshark.stderr"
}
count() {  # count PCAP FILTER: packets matching
  tsh "$1" -Y "$2" -T fields -e frame.number | grep -c .
}
expect_count() {  # expect_count WHAT WANT PCAP FILTER
  local got; got=$(count "$3" "$4")
  if [[ $got == "$2" ]]; then pass; else fail "$1: $got packet(s) match '$4' in $(basename "$3"), expected $2"; fi
}

good=$work/good.pcapng revoked=$work/nobody/revoked.pcapng

notes=$(tsh "$good" -Y tlslab.expert.not_decrypted -V)
if grep -q "lua-luaossl" <<<"$notes"; then
  skip "$(grep -m1 -o 'lua-luaossl[^]]*' <<<"$notes")"
fi

# --- 2. good: the dissector agrees with the client's trace --------------------------------------
cr=$(trace "$work/good.trace.json" 1 RAND-CLIENT)
sr=$(trace "$work/good.trace.json" 2 RAND-SERVER)
suite=$(trace "$work/good.trace.json" 2 "cipher suite")
cert=$(trace "$work/good.trace.json" 2 CERTIFICATE)
nonce=$(trace "$work/good.trace.json" 3 nonce)
cv=$(trace "$work/good.trace.json" 6 verify_data)
sv=$(trace "$work/good.trace.json" 7 verify_data)
serial=$(sed -nE 's/.*serial ([0-9a-f]+).*/\1/p' <<<"$cert")
for v in cr sr suite serial nonce cv sv; do
  [[ -n ${!v} ]] || fail "the client's trace has no value for $v ($work/good.trace.json)"
done
[[ $cr =~ ^[0-9a-f]{64}$ && $sr =~ ^[0-9a-f]{64}$ ]] || fail "randoms in the trace are not 32 bytes: '$cr' '$sr'"

hello=$(tsh "$good" -Y 'tlslab.handshake.type in {1, 2}' -T fields -E occurrence=a -E aggregator=, \
  -e tlslab.handshake.type -e tlslab.client_random -e tlslab.server_random)
expect_eq "RAND-CLIENT in the ClientHello" "$(awk -F'\t' '$1 == 1 { print $2 }' <<<"$hello")" "$cr"
expect_eq "RAND-SERVER in the ServerHello" "$(awk -F'\t' '$1 == 2 { print $3 }' <<<"$hello")" "$sr"
expect_count "RAND-CLIENT in the ClientHello (filter)" 1 "$good" "tlslab.client_random == $cr"
expect_count "RAND-SERVER in the ServerHello (filter)" 1 "$good" "tlslab.server_random == $sr"

sh_tree=$(tsh "$good" -Y 'tlslab.handshake.type == 2' -V)
expect_contains "chosen cipher suite" "$sh_tree" "Cipher suite: $suite (0x"
expect_eq "suite of the trace" "$suite" TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256
# the subject's RDN sequence (x509af/x509sat), not the issuer's
subject=$(grep -A1 -m1 "subject: rdnSequence" <<<"$sh_tree" | tail -n 1)
expect_contains "certificate subject" "$subject" "id-at-commonName=localhost"
expect_count "x509sat CN=localhost" 1 "$good" 'tlslab.handshake.type == 2 && x509sat.uTF8String == "localhost"'
expect_count "certificate serial as in the trace" 1 "$good" "tlslab.handshake.type == 2 && x509af.serialNumber == $serial"
expect_count "SERVER'S PUBLIC KEY equals the certificate's" 1 "$good" 'tlslab.server_public_key.matches_certificate == 1'

expect_count "status request with the trace's nonce" 1 "$good" "tlslab.handshake.type == 64 && tlslab.status.nonce == $nonce"
expect_count "OCSP response: successful, certStatus good, nonce echoed" 1 "$good" \
  "tlslab.handshake.type == 65 && ocsp.responseStatus == 0 && ocsp.certStatus == 0 && ocsp.ReOcspNonce == $nonce"
expect_count "status response linked to its request" 1 "$good" 'tlslab.handshake.type == 65 && tlslab.request_in'

fin=$(tsh "$good" -Y 'tlslab.verify_data' -T fields -E occurrence=a -E aggregator=, \
  -e tlslab.arrow -e tlslab.verify_data -e tlslab.verify_data.valid)
expect_eq "client Finished (arrow 6): verify_data as in the trace, valid" \
  "$(awk -F'\t' '$1 == 6 { print $2 " " $3 }' <<<"$fin")" "$cv 1"
expect_eq "server Finished (arrow 7): verify_data as in the trace, valid" \
  "$(awk -F'\t' '$1 == 7 { print $2 " " $3 }' <<<"$fin")" "$sv 1"
expect_count "Finished frames with verify_data.valid true" 2 "$good" 'tlslab.verify_data.valid == 1'
master=$(awk -v r="$cr" '$1 == "CLIENT_RANDOM" && $2 == r { print $3; exit }' "${good%.pcapng}.keylog")
expect_count "SESSION MASTER KEY from the key log" 2 "$good" "tlslab.master_secret == \"$master\""

expect_eq "decrypted request URI" "$(tsh "$good" -Y http.request -T fields -e http.request.uri)" "/"
expect_count "decrypted response: 200 with the session page" 1 "$good" \
  "http.response.code == 200 && http.file_data contains \"$cr\""
expect_count "close_notify from both sides (protected)" 2 "$good" 'tlslab.alert.description == 0 && tlslab.alert.level == 1'
info=$(tsh "$good" -Y tlslab -T fields -e _ws.col.Info)
for text in "(1) Client → Server: ClientHello" "(2) Server → Client: ServerHello" \
    "(3) Client → CA: Status request" "(4) CA → Client: Status response: good" \
    "(5) Client → Server: ClientKeyExchange (PRE-MASTER)" "(6) Client → Server: Finished (test message)" \
    "(7) Server → Client: Finished (ACK)" "(8) Client → Server: Application data (GET / HTTP/1.1)" \
    "(8) Server → Client: Application data (HTTP/1.1 200 OK)" "Client → Server: Alert: close_notify"; do
  expect_contains "Info column" "$info" "$text"
done
expect_count "every protected frame decrypted (tag marked not verified)" 0 "$good" \
  'tlslab.protected.ciphertext && !tlslab.protected.tag.verified'
expect_count "good capture: no malformed frame, expert error or Lua error" 0 "$good" \
  '_ws.malformed || _ws.expert.severity == "Error" || _ws.lua.error || tlslab.expert.dissector_bug || tlslab.expert.implausible_plaintext || tlslab.expert.not_decrypted'

# --- 3. revoked: the CA says revoked, the client sends certificate_revoked ------------------------
rcr=$(trace "$work/revoked.trace.json" 1 RAND-CLIENT)
rsr=$(trace "$work/revoked.trace.json" 2 RAND-SERVER)
status=$(trace "$work/revoked.trace.json" 4 "certificate status")
[[ -n $rcr && -n $rsr ]] || fail "the revoked trace has no randoms"
expect_contains "trace of the revoked session" "$status" revoked
expect_count "revoked: RAND-CLIENT as in the trace" 1 "$revoked" "tlslab.client_random == $rcr"
expect_count "revoked: RAND-SERVER as in the trace" 1 "$revoked" "tlslab.server_random == $rsr"
expect_count "revoked: OCSP certStatus revoked (keyCompromise)" 1 "$revoked" \
  'tlslab.handshake.type == 65 && ocsp.certStatus == 1 && ocsp.revocationReason == 1'
expect_count "revoked: no certStatus good" 0 "$revoked" 'ocsp.certStatus == 0'
alert=$(tsh "$revoked" -Y tlslab.alert.description -T fields -e tlslab.alert.level -e tlslab.alert.description \
  -e tcp.dstport)
server_port=$(tsh "$revoked" -Y 'tlslab.handshake.type == 1' -T fields -e tcp.dstport)
expect_eq "revoked: one fatal certificate_revoked alert, client to server" "$alert" "$(printf '2\t44\t%s' "$server_port")"
alert_tree=$(tsh "$revoked" -Y tlslab.alert.description -V)
expect_contains "revoked: alert named in the tree" "$alert_tree" "Alert description: certificate_revoked (44)"
revoked_info=$(tsh "$revoked" -Y tlslab -T fields -e _ws.col.Info)
expect_contains "revoked: Info column" "$revoked_info" "Client → Server: Alert: certificate_revoked"
expect_contains "revoked: Info column" "$revoked_info" "(4) CA → Client: Status response: revoked (keyCompromise)"
expect_count "revoked: nothing after the alert (no key exchange, no protected frame)" 0 "$revoked" \
  'tlslab.handshake.type == 16 || tlslab.protected.ciphertext'
expect_count "revoked: no malformed frame or Lua error" 0 "$revoked" \
  '_ws.malformed || _ws.lua.error || tlslab.expert.dissector_bug'

# --- 3b. ECDHE: the key shares, the signature, arrow 5's key_exchange, decryption unchanged -------
if [[ $with_ecdhe == 1 ]]; then
  ecdhe=$work/ecdhe.pcapng
  ecr=$(trace "$work/ecdhe.trace.json" 1 RAND-CLIENT)
  esr=$(trace "$work/ecdhe.trace.json" 2 RAND-SERVER)
  esuite=$(trace "$work/ecdhe.trace.json" 2 "cipher suite")
  ecv=$(trace "$work/ecdhe.trace.json" 6 verify_data)
  esv=$(trace "$work/ecdhe.trace.json" 7 verify_data)
  for v in ecr esr esuite ecv esv; do
    [[ -n ${!v} ]] || fail "the client's ECDHE trace has no value for $v ($work/ecdhe.trace.json)"
  done
  expect_eq "ECDHE: suite of the trace" "$esuite" TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256
  expect_count "ECDHE: RAND-CLIENT as in the trace" 1 "$ecdhe" "tlslab.client_random == $ecr"
  expect_count "ECDHE: RAND-SERVER as in the trace" 1 "$ecdhe" "tlslab.server_random == $esr"
  expect_contains "ECDHE: chosen cipher suite" "$(tsh "$ecdhe" -Y 'tlslab.handshake.type == 2' -V)" \
    "Cipher suite: TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256 (0x0b01) (chosen)"
  expect_count "ECDHE: ClientHello offers groups (key_share)" 1 "$ecdhe" \
    'tlslab.handshake.type == 1 && tlslab.key_share.groups == "x25519"'
  ks=$(tsh "$ecdhe" -Y 'tlslab.handshake.type == 2' -T fields -E separator='|' -e tlslab.key_share.group \
    -e tlslab.key_share.public.length -e tlslab.signature_scheme -e tlslab.signature.length)
  # the server's default preference: x25519; its RSA certificate signs with RSA-PSS (2048 bits)
  expect_eq "ECDHE: ServerHello key_share: group, key length, scheme, signature length" "$ks" "0x001d|32|0x0804|256"
  expect_count "ECDHE: ClientKeyExchange is the client's key share, no encrypted PRE-MASTER" 1 "$ecdhe" \
    'tlslab.handshake.type == 16 && tlslab.client_key_exchange.public.length == 32 && !tlslab.encrypted_pre_master'
  # ... and as the client's trace shows them: the groups it offered, the server's key share and
  # signature (arrow 2), its own key share (arrow 5). The trace shortens long values
  # ("x25519 4810fcd3…(32 bytes)"): its hex must begin the dissector's field.
  egroups=$(tsh "$ecdhe" -Y 'tlslab.handshake.type == 1' -V | sed -nE 's/^ *Group offered: ([^ ]+) \(0x.*/\1/p' |
    paste -sd, - | sed 's/,/, /g')
  expect_eq "ECDHE: groups offered, as in the trace" "$egroups" "$(trace "$work/ecdhe.trace.json" 1 "groups (ECDHE)")"
  # trace_matches WHAT ARROW TRACE_FIELD NAME_FIELD BYTES_FIELD: "NAME HEX..." in the trace = the
  # packet's NAME_FIELD (by name) and the start of its BYTES_FIELD
  trace_matches() {
    local value name hex
    value=$(trace "$work/ecdhe.trace.json" "$2" "$3")
    name=$(sed -nE 's/^([A-Za-z0-9_]+) ([0-9a-f]+).*/\1/p' <<<"$value")
    hex=$(sed -nE 's/^([A-Za-z0-9_]+) ([0-9a-f]+).*/\2/p' <<<"$value")
    if [[ -z $name || ${#hex} -lt 16 ]]; then fail "$1: the trace's '$3' is '$value'"; return; fi
    local filter="${5}[0:$(( ${#hex} / 2 ))] == $hex"
    [[ -n $4 ]] && filter+=" && $4 == \"$name\""
    expect_count "$1" 1 "$ecdhe" "$filter"
  }
  trace_matches "ECDHE: the server's key share as in the trace" 2 "server's key share" \
    tlslab.key_share.group tlslab.key_share.public
  trace_matches "ECDHE: the key share's signature as in the trace" 2 signature tlslab.signature_scheme tlslab.signature
  trace_matches "ECDHE: the client's key share (arrow 5) as in the trace" 5 "client's key share" "" \
    tlslab.client_key_exchange.public
  efin=$(tsh "$ecdhe" -Y 'tlslab.verify_data' -T fields -E occurrence=a -E aggregator=, \
    -e tlslab.arrow -e tlslab.verify_data -e tlslab.verify_data.valid)
  expect_eq "ECDHE: client Finished (arrow 6) as in the trace, valid" \
    "$(awk -F'\t' '$1 == 6 { print $2 " " $3 }' <<<"$efin")" "$ecv 1"
  expect_eq "ECDHE: server Finished (arrow 7) as in the trace, valid" \
    "$(awk -F'\t' '$1 == 7 { print $2 " " $3 }' <<<"$efin")" "$esv 1"
  expect_eq "ECDHE: decrypted request URI" "$(tsh "$ecdhe" -Y http.request -T fields -e http.request.uri)" "/"
  expect_count "ECDHE: decrypted response: 200 with the session page" 1 "$ecdhe" \
    "http.response.code == 200 && http.file_data contains \"$ecr\""
  einfo=$(tsh "$ecdhe" -Y tlslab -T fields -e _ws.col.Info)
  for text in "(2) Server → Client: ServerHello (ECDHE x25519)" \
      "(5) Client → Server: ClientKeyExchange (ECDHE x25519 key share)" \
      "(6) Client → Server: Finished (test message)" "(7) Server → Client: Finished (ACK)" \
      "(8) Client → Server: Application data (GET / HTTP/1.1)"; do
    expect_contains "ECDHE: Info column" "$einfo" "$text"
  done
  expect_count "ECDHE capture: no malformed frame, expert error or warning, Lua error" 0 "$ecdhe" \
    '_ws.malformed || _ws.expert.severity == "Error" || _ws.expert.severity == "Warning" || _ws.lua.error || tlslab.expert.dissector_bug || tlslab.expert.not_decrypted'
  # The server's signature verifies over the signed content as the dissector rebuilds it from the
  # wire (RAND-CLIENT || RAND-SERVER || 03 || group || length || key share): the C++ server and the
  # dissector read §7.6 alike. (The dissector itself verifies nothing; Python's cryptography does.)
  if python3 -c 'import cryptography' 2>/dev/null; then
    sig_check=$(tsh "$ecdhe" -Y 'tlslab.handshake.type == 2' -T fields -E separator='|' -e tlslab.server_public_key \
      -e tlslab.signature_scheme -e tlslab.signature -e tlslab.key_share.signed_content | python3 -c '
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
spki, scheme, signature, content = sys.stdin.read().strip().split("|")
key = serialization.load_der_public_key(bytes.fromhex(spki))
args = ((padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()) if scheme == "0x0804"
        else (ec.ECDSA(hashes.SHA256()),))
try:
    key.verify(bytes.fromhex(signature), bytes.fromhex(content), *args)
    print("verified")
except Exception as e:
    print("not verified: %r" % e)
' 2>&1)
    expect_eq "ECDHE: the key share signature verifies over the dissector's signed content" "$sig_check" verified
  else
    not_run+=("the ECDHE key share signature (python3 has no cryptography module)")
  fi
  # the key log of an ECDHE session: one line, the master secret, as for RSA
  emaster=$(awk -v r="$ecr" '$1 == "CLIENT_RANDOM" && $2 == r { print $3; exit }' "$work/ecdhe.keylog")
  [[ -n $emaster ]] || fail "ECDHE: no key log line for RAND-CLIENT $ecr"
  expect_count "ECDHE: SESSION MASTER KEY from the key log" 2 "$ecdhe" "tlslab.master_secret == \"$emaster\""
fi

# --- 4. the files and the commands, for the user who ran capture.sh with sudo ---------------------
mode_owner() { stat -c '%a %U' -- "$1" 2>&1; }
for pcap in "$good" "$revoked"; do
  base=${pcap%.pcapng} name=$(basename "$base")
  want_owner=$(id -un)
  [[ $as_root == 1 ]] && want_owner=nobody
  expect_eq "$name: the capture is readable by all, and the user's" "$(mode_owner "$pcap")" "644 $want_owner"
  expect_eq "$name: the key log is private to the user" "$(mode_owner "$base.keylog")" "600 $want_owner"
  expect_eq "$name: the report is readable by all, and the user's" "$(mode_owner "$base.html")" "644 $want_owner"
  expect_contains "$name: the report is the client's page of the run" "$(head -c 3000 "$base.html" 2>&1)" "<html"
  expect_contains "$name: capture.sh names the report" "$(cat "$work/$name.log")" "$base.html"
done
expect_eq "good: the trace JSON goes to the user too" "$(stat -c %U -- "$work/good.trace.json" 2>&1)" "$want_owner"

# printed_command LOG PROGRAM FILTER: the first command line that capture.sh printed for PROGRAM with
# the display filter -Y FILTER
printed_command() { grep -E "^  $2 .* -Y $3( |\$)" "$1" | head -n 1 | sed 's/^  //'; }
good_gui=$(printed_command "$work/good.log" wireshark tlslab)
expect_contains "good: the Wireshark command shows tlslab frames" "$good_gui" " -Y tlslab "
expect_contains "good: the Wireshark command decrypts with the key log" "$good_gui" \
  "-o tlslab.keylog_file:${good%.pcapng}.keylog"
expect_contains "good: capture.sh prints the decrypted request URIs command" "$(cat "$work/good.log")" "-Y http.request"
revoked_gui=$(printed_command "$work/revoked.log" wireshark tlslab)
expect_contains "revoked: the Wireshark command shows tlslab frames" "$revoked_gui" " -Y tlslab "
if grep -q -e "tlslab.keylog_file" -e "http.request" "$work/revoked.log"; then
  fail "revoked: the key log is empty, yet capture.sh prints a decryption command: $(grep -m1 -e keylog_file -e http.request "$work/revoked.log")"
else
  pass
fi
expect_eq "revoked: the key log is empty" "$(stat -c %s -- "${revoked%.pcapng}.keylog" 2>&1)" 0
# the printed commands work as printed (as the user would paste them)
listed=$(eval "$(printed_command "$work/good.log" tshark tlslab)" 2>>"$work/tshark.stderr")
expect_contains "good: the printed tshark command lists the frames" "$listed" "(8) Client → Server: Application data (GET / HTTP/1.1)"
uris=$(eval "$(printed_command "$work/good.log" tshark http.request)" 2>>"$work/tshark.stderr")
expect_eq "good: the printed tshark command shows the decrypted request URI" "$uris" "/"
listed=$(eval "$(printed_command "$work/revoked.log" tshark tlslab)" 2>>"$work/tshark.stderr")
expect_contains "revoked: the printed tshark command lists the frames" "$listed" "Client → Server: Alert: certificate_revoked"

# --- 5. tshark said nothing unexpected ------------------------------------------------------------
grep -v "Running as user" "$work/tshark.stderr" >"$work/tshark.unexpected"
if [[ -s $work/tshark.unexpected ]]; then fail "tshark wrote to stderr:"; head -n 20 "$work/tshark.unexpected"; else pass; fi

if [[ $failures -gt 0 ]]; then
  echo "real_capture_test: $failures of $checks checks FAILED (KEEP=1 keeps the captures)"
  exit 1
fi
[[ ${#not_run[@]} -eq 0 ]] || skip "all $checks checks passed, but these did not run: ${not_run[*]}"
echo "real_capture_test: all $checks checks passed"
