#!/usr/bin/env bash
# The stolen-key lesson with the real programs: scripts/capture.sh stolen-key records one RSA
# session and one ECDHE session to the same server (tshark on lo), steals the server's key and
# runs tlslab-decrypt on the recording. Checks that:
#   - the RSA session's HTTP comes out in the clear, the ECDHE session is refused in the lesson's
#     words, and tlslab-decrypt exits 3;
#   - the key log it recovered holds exactly one line, the RSA session's, byte for byte as the
#     client and the server wrote it; the ECDHE session's master secret appears nowhere;
#   - the files are the user's and private (the stolen key and the recovered key log 0600);
#   - the tshark command capture.sh prints, run as printed, shows the decrypted request URI of
#     the RSA session only;
#   - tlslab-decrypt run again as printed agrees, and another key opens nothing.
#
# Exit status: 0 all checks passed; 1 a check failed; 77 skipped (tshark missing or unable to
# capture here, or the client without the ECDHE suites; or lua-luaossl missing, so that the
# printed tshark command could not be checked: the other checks ran and passed).
# Environment: TLSLAB_BIN (default <repo>/build/bin; needs tlslab-ca, -server, -client with the
# ECDHE suites, and tlslab-decrypt), TSHARK, KEEP=1 keeps the work directory.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export TLSLAB_BIN=${TLSLAB_BIN:-$root/build/bin}
TSHARK=${TSHARK:-tshark}
export TSHARK

skip() { echo "SKIP: $*"; exit 77; }
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed (Debian: apt install tshark)"
[[ -x $TLSLAB_BIN/tlslab-decrypt ]] || { echo "FAIL: $TLSLAB_BIN/tlslab-decrypt is missing"; exit 1; }
"$TLSLAB_BIN/tlslab-client" --help 2>/dev/null | grep ecdhe-aes128gcm >/dev/null ||
  skip "$TLSLAB_BIN/tlslab-client has no ECDHE suites (PROTOCOL.md §7.6) yet"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-stolen-key.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config  # no installed dissector or preferences
mkdir -p "$HOME"

failures=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }
expect_eq() { if [[ "$2" == "$3" ]]; then pass; else fail "$1: got '$2', expected '$3'"; fi; }
expect_contains() { if grep -qF -- "$3" <<<"$2"; then pass; else fail "$1: '$3' not found"; fi; }

# --- 1. the recording and the attacker's turn ------------------------------------------------------
out=$work/sk.pcapng base=$work/sk log=$work/capture.log
CAPTURE_QUIET=1 SUDO_USER=nobody "$root/scripts/capture.sh" stolen-key -o "$out" >"$log" 2>&1
rc=$?
if [[ $rc == 77 ]]; then skip "$(grep -m1 'cannot capture' "$log" || tail -n 1 "$log")"; fi
if [[ $rc != 0 ]]; then
  sed 's/^/  /' "$log"
  echo "FAIL: scripts/capture.sh stolen-key exited with $rc"
  exit 1
fi
report=$(cat "$log")
expect_contains "capture.sh shows the attacker's command" "$report" \
  "\$ tlslab-decrypt --key sk.server.key --keylog-out sk.stolen.keylog sk.pcapng"
expect_contains "the RSA session's request, in the clear" "$report" "          GET /?recorded=rsa HTTP/1.1"
expect_contains "the RSA session's response, in the clear" "$report" "          HTTP/1.1 200 OK"
expect_contains "the RSA session opened" "$report" "    opened: "
expect_contains "the ECDHE session refused, in the lesson's words" "$report" \
  "    cannot open: this session used ECDHE (group x25519): the PRE-MASTER was never sent; the server's key only signed its ephemeral key share. Without the ephemeral private keys, which both sides wiped, the recording stays closed: forward secrecy"
if grep -q "recorded=ecdhe" <<<"$report"; then fail "the ECDHE session's request appears in the clear"; else pass; fi
expect_contains "the summary" "$report" "1 could not be opened (forward secrecy: 1)"

# --- 2. the key logs: the sides' own, and the one the attacker recovered ---------------------------
sides=$(cat "$base.keylog" 2>/dev/null) stolen=$(cat "$base.stolen.keylog" 2>/dev/null)
expect_eq "the sides wrote a line per session" "$(grep -c '^CLIENT_RANDOM ' <<<"$sides")" 2
expect_eq "the attacker recovered one line" "$(grep -c '^CLIENT_RANDOM ' <<<"$stolen")" 1
rsa_random=$(sed -n '/^  session 1 of 2: client/,/^  session 2 of 2: client/p' "$log" | sed -nE 's/^ *RAND-CLIENT +([0-9a-f]{64}) .*/\1/p')
ecdhe_random=$(sed -n '/^  session 2 of 2: client/,$p' "$log" | sed -nE 's/^ *RAND-CLIENT +([0-9a-f]{64}) .*/\1/p' | head -n 1)
[[ -n $rsa_random && -n $ecdhe_random ]] || fail "no RAND-CLIENT in tlslab-decrypt's report"
expect_eq "the recovered line is the RSA session's, as the sides wrote it" "$stolen" \
  "$(grep "^CLIENT_RANDOM $rsa_random " <<<"$sides")"
ecdhe_master=$(awk -v r="$ecdhe_random" '$2 == r { print $3 }' <<<"$sides")
[[ -n $ecdhe_master ]] || fail "the sides' key log has no line for the ECDHE session"
if grep -qF -- "$ecdhe_master" "$base.stolen.keylog" "$log"; then
  fail "the ECDHE session's master secret appears in what the attacker got"
else
  pass
fi

# --- 3. the files are the user's, the secrets private -----------------------------------------------
want_owner=$(id -un)
[[ $EUID == 0 ]] && want_owner=nobody
for file in "$base.server.key" "$base.stolen.keylog"; do
  expect_eq "$(basename "$file") is private to the user" "$(stat -c '%a %U' -- "$file" 2>&1)" "600 $want_owner"
done
expect_eq "the capture is the user's" "$(stat -c '%a %U' -- "$out" 2>&1)" "644 $want_owner"

# --- 4. the printed commands, run as printed ---------------------------------------------------------
tshark_line=$(grep -E '^  tshark .*tlslab\.keylog_file:[^ ]*stolen\.keylog .*-Y http\.request' "$log" | head -n 1)
decrypt_line=$(grep -E '^  [^ ]*tlslab-decrypt --key ' "$log" | head -n 1)
[[ -n $tshark_line ]] || fail "capture.sh prints no tshark command with the recovered key log"
[[ -n $decrypt_line ]] || fail "capture.sh prints no tlslab-decrypt command"
notes=$(cd "$work" && "$TSHARK" -n -r "$out" -X "lua_script:$root/scripts/wireshark/tlslab.lua" \
  -o "tlslab.keylog_file:$base.stolen.keylog" -Y tlslab.expert.not_decrypted -V 2>/dev/null)
not_run=()
if grep -q "lua-luaossl" <<<"$notes"; then
  not_run+=("the printed tshark command (lua-luaossl is missing: the dissector cannot decrypt)")
else
  uris=$(eval "${tshark_line#  }" 2>/dev/null)
  expect_eq "the printed tshark command shows the RSA session's request URI only" "$uris" "/?recorded=rsa"
fi
# (as the user would, in a directory of their own: the recovered key log is appended to)
cp -- "$base.server.key" "$work/again.key" && chmod 600 "$work/again.key"
again=$("$TLSLAB_BIN/tlslab-decrypt" --key "$work/again.key" --keylog-out "$work/again.keylog" "$out" 2>&1)
expect_eq "tlslab-decrypt exits 3: one session could not be opened" "$?" 3
expect_eq "tlslab-decrypt run again recovers the same line" "$(cat "$work/again.keylog" 2>&1)" "$stolen"
expect_contains "tlslab-decrypt run again shows the RSA request" "$again" "GET /?recorded=rsa HTTP/1.1"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/other.key" 2>/dev/null
other=$("$TLSLAB_BIN/tlslab-decrypt" --key "$work/other.key" --keylog-out "$work/other.keylog" "$out" 2>&1)
expect_eq "another key: exit 3" "$?" 3
expect_contains "another key is not the server's" "$other" "cannot open: the key does not belong to this session's server"
if grep -q "recorded=rsa" <<<"$other" || [[ -s $work/other.keylog ]]; then
  fail "another key opened something"
else
  pass
fi

if [[ $failures -gt 0 ]]; then
  echo "stolen_key_test: $failures of $checks checks FAILED (KEEP=1 keeps the files)"
  exit 1
fi
[[ ${#not_run[@]} -eq 0 ]] || skip "all $checks checks passed, but these did not run: ${not_run[*]}"
echo "stolen_key_test: all $checks checks passed"
