#!/usr/bin/env bash
# The stolen-ticket-key lesson with the real programs (issue 26, PROTOCOL.md §7.8):
# scripts/capture.sh stolen-ticket-key records a full ECDHE handshake and the resumed one that
# follows it (tlslab-client --session-file, tlslab-server --ticket-key-file; tshark on lo), then
# runs tlslab-decrypt as an attacker, once with the server's private key, once with its ticket
# key file. Checks that:
#   - the server's private key opens neither session (ECDHE; resumed: no PRE-MASTER was sent) and
#     says why, exit 3;
#   - the ticket key file alone opens both, the ECDHE one too, prints the lesson, exits 0, and the
#     key log it recovered holds both sessions' lines byte for byte as the two sides wrote them;
#   - the files are the user's and the secrets private (0600);
#   - a wrong ticket key file opens nothing and says so (exit 3); a 0644 one, a missing one, and
#     (as root) another user's are refused with one line (exit 1), and nothing is created.
#
# Exit status: 0 all checks passed; 1 a check failed; 77 skipped (tshark missing or unable to
# capture here, or the client without the ECDHE suites or --session-file).
# Environment: TLSLAB_BIN (default <repo>/build/bin), TSHARK, KEEP=1 keeps the work directory.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export TLSLAB_BIN=${TLSLAB_BIN:-$root/build/bin}
TSHARK=${TSHARK:-tshark}
export TSHARK

skip() { echo "SKIP: $*"; exit 77; }
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed (Debian: apt install tshark)"
[[ -x $TLSLAB_BIN/tlslab-decrypt ]] || { echo "FAIL: $TLSLAB_BIN/tlslab-decrypt is missing"; exit 1; }
help=$("$TLSLAB_BIN/tlslab-client" --help 2>/dev/null)
grep -q ecdhe-aes128gcm <<<"$help" || skip "$TLSLAB_BIN/tlslab-client has no ECDHE suites (PROTOCOL.md §7.6) yet"
grep -q -- --session-file <<<"$help" || skip "$TLSLAB_BIN/tlslab-client has no --session-file (PROTOCOL.md §7.8) yet"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-stolen-ticket-key.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"

failures=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }
expect_eq() { if [[ "$2" == "$3" ]]; then pass; else fail "$1: got '$2', expected '$3'"; fi; }
expect_contains() { if grep -qF -- "$3" <<<"$2"; then pass; else fail "$1: '$3' not found"; fi; }
expect_absent() { if grep -qF -- "$3" <<<"$2"; then fail "$1: '$3' found"; else pass; fi; }

# --- 1. the recording and the attacker's two turns --------------------------------------------------
out=$work/tk.pcapng base=$work/tk log=$work/capture.log
CAPTURE_QUIET=1 SUDO_USER=nobody "$root/scripts/capture.sh" stolen-ticket-key -o "$out" >"$log" 2>&1
rc=$?
if [[ $rc == 77 ]]; then skip "$(grep -m1 'cannot capture' "$log" || tail -n 1 "$log")"; fi
if [[ $rc != 0 ]]; then
  sed 's/^/  /' "$log"
  echo "FAIL: scripts/capture.sh stolen-ticket-key exited with $rc"
  exit 1
fi
report=$(cat "$log")
by_key=$(sed -n '/^  \$ tlslab-decrypt --key /,/^capture: and the server/p' "$log")
by_ticket=$(sed -n '/^  \$ tlslab-decrypt --ticket-key-file /,/^capture: wrote/p' "$log")
expect_contains "capture.sh shows the attacker's first command" "$report" "\$ tlslab-decrypt --key tk.server.key tk.pcapng"
expect_contains "capture.sh shows the attacker's second command" "$report" \
  "\$ tlslab-decrypt --ticket-key-file tk.ticket.keys --keylog-out tk.stolen.keylog tk.pcapng"
expect_contains "the server's key: the full handshake is ECDHE" "$by_key" "cannot open: this session used ECDHE (group x25519)"
expect_contains "the server's key: the resumed session, and what would open it" "$by_key" \
  "cannot open: a resumed session (§7.8): no PRE-MASTER was sent, its master secret is the one sealed in the ticket of arrow 1; the server's private key cannot open it, the server's ticket key (--ticket-key-file) would"
expect_contains "the server's key: the summary" "$by_key" \
  "2 sessions: 0 opened, 0 with nothing encrypted, 2 could not be opened (forward secrecy: 1, resumed session: 1)"
expect_absent "the server's key: no request in the clear" "$by_key" "GET /?recorded"
expect_contains "the ticket key: the full ECDHE handshake's request" "$by_ticket" "          GET /?recorded=full HTTP/1.1"
expect_contains "the ticket key: the resumed session's request" "$by_ticket" "          GET /?recorded=resumed HTTP/1.1"
expect_contains "the ticket key: the full handshake's NewSessionTicket" "$by_ticket" \
  "NewSessionTicket (§7.8): lifetime hint 7200 s, a ticket of 113 bytes"
expect_contains "the ticket key: the summary" "$by_ticket" "2 sessions: 2 opened, 0 with nothing encrypted, 0 could not be opened"
expect_contains "the ticket key: the lesson" "$by_ticket" \
  "the ticket key opened 2 sessions (1 resumed, 1 full handshake, 2 of them ECDHE) from 1 ticket in the clear: whoever holds the ticket key opens every session resumed under it, and the full handshake that began it, forward secrecy or not"

# --- 2. the key logs: the sides' own, and the one the attacker recovered ---------------------------
sides=$(sort "$base.keylog" 2>/dev/null) stolen=$(sort "$base.stolen.keylog" 2>/dev/null)
expect_eq "the sides wrote a line per session" "$(grep -c '^CLIENT_RANDOM ' <<<"$sides")" 2
expect_eq "the attacker recovered both lines, as the sides wrote them" "$stolen" "$sides"
full_master=$(head -n 1 "$base.keylog" | awk '{ print $3 }')
resumed_master=$(sed -n 2p "$base.keylog" | awk '{ print $3 }')
expect_eq "the resumed session's line holds the full handshake's master secret (§7.8)" "$resumed_master" "$full_master"

# --- 3. the files are the user's, the secrets private -----------------------------------------------
want_owner=$(id -un)
[[ $EUID == 0 ]] && want_owner=nobody
for file in "$base.server.key" "$base.ticket.keys" "$base.stolen.keylog" "$base.keylog"; do
  expect_eq "$(basename "$file") is private to the user" "$(stat -c '%a %U' -- "$file" 2>&1)" "600 $want_owner"
done
expect_eq "the capture is the user's" "$(stat -c '%a %U' -- "$out" 2>&1)" "644 $want_owner"

# --- 4. tlslab-decrypt run again, as printed; wrong, open and missing ticket key files --------------
cp -- "$base.ticket.keys" "$work/again.keys" && chmod 600 "$work/again.keys"
again=$("$TLSLAB_BIN/tlslab-decrypt" --ticket-key-file "$work/again.keys" --keylog-out "$work/again.keylog" "$out" 2>&1)
expect_eq "the ticket key again: exit 0" "$?" 0
expect_eq "the ticket key again: the same lines" "$(sort "$work/again.keylog" 2>&1)" "$sides"
expect_eq "the ticket key file is read, never written" "$(cat "$work/again.keys")" "$(cat "$base.ticket.keys")"

printf 'tlslab-ticket-keys 1\n%s %s %s\n' "$(date +%s)" "$(openssl rand -hex 16)" "$(openssl rand -hex 32)" >"$work/wrong.keys"
chmod 600 "$work/wrong.keys"
wrong=$("$TLSLAB_BIN/tlslab-decrypt" --ticket-key-file "$work/wrong.keys" --keylog-out "$work/wrong.keylog" "$out" 2>&1)
expect_eq "a wrong ticket key file: exit 3" "$?" 3
expect_contains "a wrong ticket key file opens nothing" "$wrong" "2 sessions: 0 opened, 0 with nothing encrypted, 2 could not be opened"
expect_contains "a wrong ticket key file says so" "$wrong" \
  "the ticket key file opened none of the 1 ticket in the capture: it is not the key that sealed them"
expect_absent "a wrong ticket key file: no request in the clear" "$wrong" "GET /?recorded"
if [[ -s $work/wrong.keylog ]]; then fail "a wrong ticket key file wrote key log lines"; else pass; fi

cp -- "$base.ticket.keys" "$work/open.keys" && chmod 644 "$work/open.keys"
open=$("$TLSLAB_BIN/tlslab-decrypt" --ticket-key-file "$work/open.keys" "$out" 2>&1)
expect_eq "a 0644 ticket key file: exit 1" "$?" 1
expect_eq "a 0644 ticket key file is refused in one line" "$open" \
  "tlslab-decrypt: --ticket-key-file $work/open.keys: refused: it must be a regular file of this user with mode 0600 (no group or world access; chmod 600 it), at most 4 KiB"
missing=$("$TLSLAB_BIN/tlslab-decrypt" --ticket-key-file "$work/missing.keys" "$out" 2>&1)
expect_eq "a missing ticket key file: exit 1" "$?" 1
expect_contains "a missing ticket key file says so" "$missing" "--ticket-key-file $work/missing.keys: cannot open"
if [[ -e $work/missing.keys ]]; then fail "a missing ticket key file was created"; else pass; fi
if [[ $EUID == 0 ]]; then  # the delivered file is nobody's: not this user's
  theirs=$("$TLSLAB_BIN/tlslab-decrypt" --ticket-key-file "$base.ticket.keys" "$out" 2>&1)
  expect_eq "another user's ticket key file: exit 1" "$?" 1
  expect_contains "another user's ticket key file is refused" "$theirs" "refused: it must be a regular file of this user"
fi
none=$("$TLSLAB_BIN/tlslab-decrypt" "$out" 2>&1)
expect_eq "no key at all: exit 2" "$?" 2
expect_contains "no key at all: what to give" "$none" "give the stolen key: --key"

if [[ $failures -gt 0 ]]; then
  echo "stolen_ticket_key_test: $failures of $checks checks FAILED (KEEP=1 keeps the files)"
  exit 1
fi
echo "stolen_ticket_key_test: all $checks checks passed"
