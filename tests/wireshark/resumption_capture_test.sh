#!/usr/bin/env bash
# The dissector on a real resumed session (issue 26, PROTOCOL.md §7.8): scripts/capture.sh
# stolen-ticket-key records a full ECDHE handshake that ends with a NewSessionTicket, then the
# resumed handshake offering that ticket. Checks, with tshark -T fields, what a user reads:
#   - the ClientHellos' session_ticket: empty ("can keep a ticket"), then the ticket (113 bytes);
#   - the ServerHellos' ticket_mode: new_ticket (1), then resumed (2), the resumed one with empty
#     CERTIFICATE and SERVER'S PUBLIC KEY, the note "resumed: no CERTIFICATE, no SERVER'S PUBLIC
#     KEY" and no error;
#   - with the key log the two sides wrote: the NewSessionTicket decrypted (lifetime hint 7200 s,
#     113-byte ticket), both sessions' Finished verified, both requests decrypted; the same with
#     the key log tlslab-decrypt recovered from the ticket key alone.
# Exit status: 0 passed, 1 a check failed, 77 skipped (no tshark, no capture permission, no
# lua-luaossl).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export TLSLAB_BIN=${TLSLAB_BIN:-$root/build/bin}
TSHARK=${TSHARK:-tshark}
export TSHARK
skip() { echo "SKIP: $*"; exit 77; }
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed"
"$TLSLAB_BIN/tlslab-client" --help 2>/dev/null | grep -q -- --session-file || skip "tlslab-client has no --session-file"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-resumption-capture.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
failures=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }
expect_eq() { if [[ "$2" == "$3" ]]; then pass; else fail "$1: got '$2', expected '$3'"; fi; }

out=$work/r.pcapng
CAPTURE_QUIET=1 "$root/scripts/capture.sh" stolen-ticket-key -o "$out" >"$work/capture.log" 2>&1
rc=$?
[[ $rc == 77 ]] && skip "$(grep -m1 'cannot capture' "$work/capture.log" || tail -n 1 "$work/capture.log")"
[[ $rc == 0 ]] || { sed 's/^/  /' "$work/capture.log"; echo "FAIL: capture.sh stolen-ticket-key exited $rc"; exit 1; }

fields() {  # KEYLOG FILTER FIELD...
  local keylog=$1 filter=$2
  shift 2
  local args=()
  for field in "$@"; do args+=(-e "$field"); done
  "$TSHARK" -n -r "$out" -X "lua_script:$root/scripts/wireshark/tlslab.lua" -o "tlslab.keylog_file:$keylog" \
    -Y "$filter" -T fields -E separator=";" "${args[@]}" 2>>"$work/tshark.err"
}
for keylog in "$work/r.keylog" "$work/r.stolen.keylog"; do
  which=$(basename "$keylog")
  notes=$(fields "$keylog" tlslab.expert.not_decrypted _ws.expert.message)
  grep -q lua-luaossl <<<"$notes" && skip "lua-luaossl is missing: the dissector cannot decrypt"
  expect_eq "$which: ClientHellos: session_ticket length, can keep" \
    "$(fields "$keylog" 'tlslab.handshake.type == 1' tlslab.session_ticket.length tlslab.session_ticket.can_keep | tr '\n' ' ')" \
    "0;1 113; "
  expect_eq "$which: ServerHellos: ticket_mode, resumed, certificate length" \
    "$(fields "$keylog" 'tlslab.handshake.type == 2' tlslab.session_ticket.mode tlslab.resumed tlslab.certificate.length | tr '\n' ' ')" \
    "1;;$(fields "$keylog" 'tlslab.handshake.type == 2 && !tlslab.resumed' tlslab.certificate.length) 2;1;0 "
  expect_eq "$which: the resumed ServerHello's note" \
    "$(fields "$keylog" 'tlslab.resumed' _ws.expert.message)" "resumed: no CERTIFICATE, no SERVER'S PUBLIC KEY"
  expect_eq "$which: no error anywhere" \
    "$(fields "$keylog" 'tlslab.expert.malformed || tlslab.expert.dissector_bug || _ws.lua.error || tlslab.expert.protocol' frame.number)" ""
  expect_eq "$which: NewSessionTicket decrypted" \
    "$(fields "$keylog" 'tlslab.handshake.type == 4' tlslab.new_session_ticket.lifetime_hint tlslab.new_session_ticket.ticket.length)" \
    "7200;113"
  expect_eq "$which: every Finished verified" "$(fields "$keylog" 'tlslab.verify_data.valid' tlslab.verify_data.valid | tr '\n' ' ')" \
    "1 1 1 1 "
  expect_eq "$which: both requests decrypted" "$(fields "$keylog" http.request http.request.uri | tr '\n' ' ')" \
    "/?recorded=full /?recorded=resumed "
done
if [[ $failures -gt 0 ]]; then echo "resumption_capture_test: $failures of $checks checks FAILED"; exit 1; fi
echo "resumption_capture_test: all $checks checks passed"
