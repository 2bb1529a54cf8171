#!/usr/bin/env bash
# Checks the Wireshark dissector scripts/wireshark/tlslab.lua with tshark on captures that
# tests/wireshark/make_pcap.py fabricates (real crypto, PROTOCOL.md byte for byte).
#
# The dissector decrypts with OpenSSL's keystream only and does not verify AEAD tags (luaossl
# cannot pass associated data); the checks below assert that it says so, that tampering and
# wrong keys still show (verify_data invalid, garbled plaintext flagged) and that it contains no
# hand-written crypto.
#
# Exit status: 0 all checks passed; 1 a check failed (each failure is printed); 77 skipped
# (tshark or python3's cryptography module missing, or lua-luaossl or its openssl.kdf module
# missing, which leaves the decryption checks unrun).
#
# Environment: TSHARK (default tshark), PYTHON (default python3), KEEP=1 keeps the work dir.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dissector=${TLSLAB_DISSECTOR:-$root/scripts/wireshark/tlslab.lua}
TSHARK=${TSHARK:-tshark}
PYTHON=${PYTHON:-python3}

skip() { echo "SKIP: $*"; exit 77; }
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed (Debian: apt install tshark)"
"$PYTHON" -c 'import cryptography' 2>/dev/null || skip "$PYTHON has no 'cryptography' module"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-wireshark.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi

# A private HOME: a tlslab.lua already installed in the user's plugin folder would register
# the protocol twice, and the user's preferences must not change the results.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
mkdir -p "$HOME"

"$PYTHON" "$here/make_pcap.py" "$work" --seed 20240101 >"$work/make_pcap.log" 2>&1 ||
  { cat "$work/make_pcap.log"; echo "FAIL: make_pcap.py failed"; exit 1; }
# shellcheck disable=SC1091
source "$work/expected.env"
good="$work/tlslab-good.pcap" alert="$work/tlslab-alert.pcap" bad="$work/tlslab-malformed.pcap"
ecdhe="$work/tlslab-ecdhe.pcap" ecdhe_bad="$work/tlslab-ecdhe-bad.pcap"
keys=(-o "tlslab.keylog_file:$work/keylog.txt")

failures=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }

# tsh ARGS...: tshark with the dissector, two passes (links to later frames need the second).
# A Lua error while loading is fatal; stderr is kept for the checks below.
tsh() {
  "$TSHARK" -n -2 -X "lua_script:$dissector" "$@" 2>>"$work/stderr"
}

# fields PCAP FILTER FIELD...: one line per matching packet, all occurrences joined with ','
fields() {
  local pcap=$1 filter=$2; shift 2
  local args=()
  for f in "$@"; do args+=(-e "$f"); done
  tsh -r "$pcap" "${keys[@]}" -Y "$filter" -T fields -E occurrence=a -E aggregator=, "${args[@]}"
}

# count [--nokeys] PCAP FILTER [tshark options]: number of packets matching FILTER, dissected
# with the key log unless --nokeys
count() {
  local with_keys=("${keys[@]}")
  if [[ $1 == --nokeys ]]; then with_keys=(); shift; fi
  local pcap=$1 filter=$2; shift 2
  tsh -r "$pcap" "${with_keys[@]}" "$@" -Y "$filter" -T fields -e frame.number | grep -c .
}

expect_count() {  # expect_count WHAT WANT [--nokeys] PCAP FILTER [tshark options]
  local what=$1 want=$2; shift 2
  local got; got=$(count "$@")
  [[ $1 == --nokeys ]] && shift
  if [[ $got == "$want" ]]; then pass; else fail "$what: $got packet(s) match '$2', expected $want"; fi
}

expect_some() {   # expect_some WHAT [--nokeys] PCAP FILTER [tshark options]
  local what=$1; shift
  local got; got=$(count "$@")
  [[ $1 == --nokeys ]] && shift
  if [[ $got -gt 0 ]]; then pass; else fail "$what: no packet matches '$2'"; fi
}

expect_contains() {  # expect_contains WHAT HAYSTACK NEEDLE
  if grep -qF -- "$3" <<<"$2"; then pass; else fail "$1: '$3' not found"; fi
}

expect_eq() {  # expect_eq WHAT GOT WANT
  if [[ "$2" == "$3" ]]; then pass; else fail "$1: got '$2', expected '$3'"; fi
}

# info PCAP FILTER: the distinct Info column texts of the packets matching FILTER (key log on)
info_of() {
  tsh -r "$1" "${keys[@]}" -Y "$2" -T fields -e _ws.col.Info | sort -u
}

# --- 0. the dissector loads and registers its fields ---------------------------------------
if ! "$TSHARK" -G fields -X "lua_script:$dissector" >"$work/fields.txt" 2>"$work/load.err" ||
   grep -q "Lua: Error" "$work/load.err"; then
  cat "$work/load.err"; echo "FAIL: the dissector does not load"; exit 1
fi
for field in tlslab.frame.type tlslab.frame.version tlslab.frame.length tlslab.handshake.type \
    tlslab.handshake.length tlslab.client_version tlslab.client_random tlslab.cipher_suites \
    tlslab.cipher_suite tlslab.extension.type tlslab.extension.length tlslab.server_name \
    tlslab.server_version tlslab.server_random tlslab.certificate tlslab.server_public_key \
    tlslab.status.certificate tlslab.status.nonce tlslab.status.ocsp_response \
    tlslab.encrypted_pre_master tlslab.verify_data tlslab.alert.level tlslab.alert.description \
    tlslab.protected.inner_type tlslab.protected.sequence tlslab.protected.ciphertext \
    tlslab.request_in tlslab.response_in \
    tlslab.key_share.groups tlslab.key_share.group tlslab.key_share.public tlslab.signature_scheme \
    tlslab.signature tlslab.key_share.signed_content tlslab.client_key_exchange.public \
    tlslab.client_key_exchange.suite_in; do
  if grep -qP "\t\Q$field\E\t" "$work/fields.txt"; then pass; else fail "field $field is not registered"; fi
done

luaossl=1
# (grep on a variable: `tshark | grep -q` would kill tshark with SIGPIPE and fail under pipefail)
decrypt_notes=$(tsh -r "$good" "${keys[@]}" -Y tlslab.expert.not_decrypted -V)
if grep -q "lua-luaossl" <<<"$decrypt_notes"; then
  luaossl=0
  echo "NOTE: lua-luaossl (or its openssl.kdf module) is missing: decryption checks are skipped"
  grep -m1 -o "Not decrypted: [^]]*" <<<"$decrypt_notes"
fi

# --- 0b. no hand-written crypto in the dissector: OpenSSL (through luaossl) does it all -------
# GHASH, Poly1305, an HMAC-based P_hash or big-number arithmetic would be an implementation;
# comments and the suite name CHACHA20_POLY1305 are not. The entry file and its modules:
modules=("$(dirname "$dissector")"/tlslab/*.lua)
[[ -f ${modules[0]} ]] || fail "no modules next to the dissector (tlslab/*.lua)"
code_only=$(sed -e 's/--.*$//' "$dissector" "${modules[@]}")
if grep -n -i -E "ghash|gf_mult|p_hash|poly1305 *\(|function +poly|openssl\.(hmac|bignum)" \
     <<<"$code_only" >"$work/handwritten.txt"; then
  fail "hand-written crypto in the dissector:"; cat "$work/handwritten.txt"
else
  pass
fi
if grep -q '"TLS1-PRF"' <<<"$code_only" && grep -q 'aes-128-ctr' <<<"$code_only" &&
   grep -q '"\\0\\0\\0\\2"' <<<"$code_only" && grep -q '"\\1\\0\\0\\0"' <<<"$code_only"; then
  pass
else
  fail "the dissector does not use OpenSSL's TLS1-PRF and the AES-CTR (J0+1) / ChaCha20 (counter 1) keystreams"
fi

# --- 1. valid traffic: three sessions, one per cipher suite ---------------------------------
# Session A (AES-128-GCM) and C (AES-256-GCM) run on ports the dissector does not know (the
# heuristic finds them), B (ChaCha20-Poly1305) on the default ports 4433/4434.
for s in A B C; do
  cr=${s}_CLIENT_RANDOM sr=${s}_SERVER_RANDOM nonce=${s}_NONCE
  expect_count "session $s RAND-CLIENT" 1 "$good" "tlslab.client_random == ${!cr}"
  expect_count "session $s RAND-SERVER" 1 "$good" "tlslab.server_random == ${!sr}"
  expect_count "session $s status nonce in request and OCSP response" 2 "$good" \
    "tlslab.status.nonce == ${!nonce} || ocsp.ReOcspNonce == ${!nonce}"
done

# suite names (value_string of §7.5) as shown in the tree of each ServerHello
tree_sh=$(tsh -r "$good" "${keys[@]}" -Y 'tlslab.handshake.type == 2' -V)
for s in A B C; do
  suite=${s}_SUITE
  expect_contains "session $s chosen suite" "$tree_sh" "Cipher suite: ${!suite} (0x"
done
expect_contains "tree label" "$tree_sh" "RAND-SERVER: "
expect_contains "tree label" "$tree_sh" "CERTIFICATE: "
expect_contains "tree label" "$tree_sh" "SERVER'S PUBLIC KEY: "

# CERTIFICATE through the X.509 dissector (x509af/x509sat/x509ce), public key through
# SubjectPublicKeyInfo (pkcs1), OCSP response through the OCSP dissector.
sh_fields=$(fields "$good" 'tlslab.handshake.type == 2' x509sat.uTF8String x509ce.dNSName \
  x509af.serialNumber pkcs1.modulus tlslab.server_public_key.matches_certificate)
expect_contains "x509sat subject CN" "$sh_fields" "$SERVER_CN"
expect_contains "x509sat issuer CN" "$sh_fields" "$CA_CN"
expect_contains "x509ce dNSName" "$sh_fields" "$SERVER_CN"
expect_count "SubjectPublicKeyInfo dissected (pkcs1.modulus twice per ServerHello)" 3 "$good" \
  'tlslab.handshake.type == 2 && count(pkcs1.modulus) == 2'
expect_count "SERVER'S PUBLIC KEY equals the certificate's" 3 "$good" \
  'tlslab.server_public_key.matches_certificate == 1'
expect_count "status requests carry the certificate to X.509" 3 "$good" \
  'tlslab.handshake.type == 64 && x509ce.dNSName == "localhost"'
expect_count "OCSP certStatus good" 3 "$good" 'tlslab.handshake.type == 65 && ocsp.certStatus == 0'
expect_count "OCSP responseStatus successful" 3 "$good" 'ocsp.responseStatus == 0'

# links: ClientHello <-> ServerHello, status request <-> response, request -> ServerHello
links=$(tsh -r "$good" -Y 'tlslab.handshake.type in {1, 2, 64, 65}' -T fields -E separator='|' \
  -e frame.number -e tlslab.handshake.type -e tlslab.request_in -e tlslab.response_in \
  -e tlslab.status.certificate_in)
check_links() {  # each request's response_in is a response whose request_in is the request
  local ok=1 n t req resp cert
  while IFS='|' read -r n t req resp cert; do
    case $t in
      1|64) [[ -n $resp ]] && grep -q "^$resp|$((t + 1))|$n|" <<<"$links" || ok=0 ;;
      2|65) [[ -n $req ]] || ok=0 ;;
    esac
    [[ $t == 64 && -z $cert ]] && ok=0
  done <<<"$links"
  [[ $ok == 1 ]]
}
if check_links; then pass; else fail "request/response links: $links"; fi

# Info column: each arrow's number and who talks to whom (every row is 127.0.0.1 -> 127.0.0.1);
# the direction is said once per segment.
expect_eq "Info of arrow 1" "$(info_of "$good" 'tlslab.handshake.type == 1')" "(1) Client → Server: ClientHello"
expect_eq "Info of arrow 2" "$(info_of "$good" 'tlslab.handshake.type == 2')" "(2) Server → Client: ServerHello"
expect_eq "Info of arrow 3" "$(info_of "$good" 'tlslab.handshake.type == 64')" "(3) Client → CA: Status request"
expect_eq "Info of arrow 4" "$(info_of "$good" 'tlslab.handshake.type == 65')" "(4) CA → Client: Status response: good"
info=$(tsh -r "$good" "${keys[@]}" -Y tlslab -T fields -e _ws.col.Info)
info_texts=("(5) Client → Server: ClientKeyExchange (PRE-MASTER)"
  "(5) Client → Server: ClientKeyExchange (PRE-MASTER), (6) Finished (test message)"
  "(6) Client → Server: Finished (test message)" "(7) Server → Client: Finished (ACK)")
[[ $luaossl == 1 ]] && info_texts+=("(8) Client → Server: Application data (GET /hello HTTP/1.1)"
  "(8) Server → Client: Application data (HTTP/1.1 200 OK)"
  "(8) Client → Server: Application data (GET /one HTTP/1.1), (8) Application data (GET /two HTTP/1.1), (8) Application data (GET /three HTTP/1.1)"
  "Client → Server: Alert: close_notify" "Server → Client: Alert: close_notify")
for text in "${info_texts[@]}"; do
  expect_contains "Info column" "$info" "$text"
done
# and in the tree: the frame's label says it too
tree_cke=$(tsh -r "$good" "${keys[@]}" -Y 'tlslab.handshake.type == 16' -V)
expect_contains "tree label with arrow and direction" "$tree_cke" \
  "tlslab handshake frame: ClientKeyExchange (PRE-MASTER) — arrow 5, Client → Server"

# TCP reassembly: ServerHello of A and C split over two segments, protected frame of C over
# three; CKE + client Finished in one segment; three requests in one segment.
expect_count "ServerHello reassembled from 2 segments" 2 "$good" \
  'tlslab.handshake.type == 2 && tcp.segment.count == 2'
expect_count "first segment = header alone (heuristic must ask TCP to reassemble)" 2 "$good" \
  'tlslab.handshake.type in {1, 64} && tcp.segment.count == 2'
expect_count "protected frame reassembled from 3 segments" 1 "$good" \
  'tlslab.protected.ciphertext && tcp.segment.count == 3'
expect_count "ClientKeyExchange and Finished in one segment" 1 "$good" \
  'tlslab.handshake.type == 16 && tlslab.protected.ciphertext'
expect_count "three protected frames in one segment" 1 "$good" 'count(tlslab.protected.ciphertext) == 3'
expect_count "nothing left unreassembled" 0 "$good" '_ws.unreassembled'

if [[ $luaossl == 1 ]]; then
  for s in A B C; do
    cv=${s}_CLIENT_VERIFY sv=${s}_SERVER_VERIFY
    expect_count "session $s client Finished verify_data" 1 "$good" \
      "tlslab.verify_data == ${!cv} && tlslab.verify_data.valid == 1"
    expect_count "session $s server Finished verify_data" 1 "$good" \
      "tlslab.verify_data == ${!sv} && tlslab.verify_data.valid == 1"
  done
  uris=$(fields "$good" 'http.request' http.request.uri | tr '\n' ' ')
  for uri in /hello /big /chacha /one /two /three; do expect_contains "http.request.uri" "$uris" "$uri"; done
  codes=$(fields "$good" 'http.response' http.response.code | tr ',' '\n' | grep -c '^200$')
  if [[ $codes == 6 ]]; then pass; else fail "HTTP responses: $codes with code 200, expected 6"; fi
  expect_count "HTTP response across records" 1 "$good" 'http.content_length == 3000 && tlslab.http.frames'
  expect_count "sequence numbers per direction" 3 "$good" \
    'tlslab.protected.sequence == 0 && tlslab.verify_data && tlslab.arrow == 7'
  expect_count "protected close_notify decrypted" 6 "$good" 'tlslab.alert.description == 0 && tlslab.alert.level == 1'
  expect_count "no decryption failure" 0 "$good" 'tlslab.expert.decrypt_failed || tlslab.expert.verify_failed || tlslab.expert.not_decrypted'
  expect_count "no garbled plaintext" 0 "$good" 'tlslab.expert.implausible_plaintext'
  # the tag is shown, with a plain line saying the dissector does not verify it
  expect_count "every protected frame: tag marked not verified" 0 "$good" \
    'tlslab.protected.tag && !(tlslab.protected.tag.verified == 0)'
  n_tags=$(fields "$good" 'tlslab.protected.tag' tlslab.protected.tag.verified | tr ',' '\n' | grep -c '^0$')
  if [[ $n_tags == 25 ]]; then pass; else fail "protected frames decrypted with the tag marked unverified: $n_tags, expected 25"; fi
  tag_tree=$(tsh -r "$good" "${keys[@]}" -Y 'tlslab.verify_data' -V)
  expect_contains "tag note" "$tag_tree" \
    "not verified by the dissector (luaossl cannot pass associated data; the tlslab programs verify every tag)"
  # ... a plain line, not an expert info: an expert note on every decrypted frame colored it and
  # read like a failure (issue 12)
  expect_count "tag note is not an expert info" 0 "$good" '_ws.expert.message contains "AEAD tag"'
  expect_count "a decrypted Finished carries no expert info at all" 0 "$good" \
    'tlslab.verify_data.valid == 1 && _ws.expert'
  # one pass only (tshark's default): decryption happens in order as well
  one_pass=$("$TSHARK" -n -X "lua_script:$dissector" "${keys[@]}" -r "$good" -Y http.request \
    -T fields -E occurrence=a -E aggregator=, -e http.request.uri 2>>"$work/stderr" | tr ',' '\n' | grep -c .)
  if [[ $one_pass == 6 ]]; then pass; else fail "single-pass decryption: $one_pass HTTP requests, expected 6"; fi
fi

expect_count "valid traffic: no malformed, error or Lua error" 0 "$good" \
  '_ws.malformed || _ws.expert.severity == "Error" || _ws.lua.error || tlslab.expert.dissector_bug'

# --- 2. without a key log: the clear part, and why the rest is not decrypted -----------------
expect_some "not decrypted: reason given" --nokeys "$good" 'tlslab.expert.not_decrypted'
expect_count "not decrypted: every protected frame says why" 0 --nokeys "$good" \
  'tlslab.protected.ciphertext && !tlslab.expert.not_decrypted'
reason=$(tsh -r "$good" -Y 'tlslab.expert.not_decrypted' -V | grep -m1 -o "Not decrypted: [^]]*")
expect_contains "not-decrypted reason" "$reason" "no key log file set"
expect_count "without key log: clear part intact" 3 --nokeys "$good" \
  'tlslab.handshake.type == 65 && ocsp.certStatus == 0'
expect_count "without key log: no errors" 0 --nokeys "$good" \
  '_ws.malformed || _ws.expert.severity == "Error" || _ws.lua.error || tlslab.expert.dissector_bug'

# --- 3. registration: TCP ports 4433/4434 alone, and Decode As ------------------------------
no_heur=(--disable-heuristic tlslab_tcp)
expect_count "ports 4433/4434 without the heuristic" 11 "$good" 'tlslab && tcp.port in {4433, 4434}' \
  "${no_heur[@]}"
expect_count "other ports without the heuristic" 0 "$good" 'tlslab && !(tcp.port in {4433, 4434})' "${no_heur[@]}"
expect_count "Decode As tcp.port==41001" 1 "$good" 'tlslab.handshake.type == 2 && tcp.port == 41001' \
  "${no_heur[@]}" -d tcp.port==41001,tlslab

# --- 4. alerts --------------------------------------------------------------------------------
expect_count "revoked: OCSP certStatus revoked, keyCompromise" 1 "$alert" \
  'ocsp.certStatus == 1 && ocsp.revocationReason == 1'
expect_count "revoked: alert certificate_revoked (fatal) as expert error" 1 "$alert" \
  'tlslab.alert.description == 44 && tlslab.alert.level == 2 && tlslab.expert.alert_fatal && _ws.expert.severity == "Error"'
alert_info=$(tsh -r "$alert" -Y 'tlslab.alert.description' -T fields -e _ws.col.Info)
# alerts have no arrow of their own, but a direction
expect_eq "Info column of alerts" "$(sort <<<"$alert_info")" "$(printf '%s\n' \
  "CA → Client: Alert: decode_error" "Client → Server: Alert: certificate_revoked" \
  "Server → Client: Alert: bad_record_mac" | sort)"
expect_eq "Info of the revoked status response" "$(info_of "$alert" 'ocsp.certStatus == 1')" \
  "(4) CA → Client: Status response: revoked (keyCompromise)"
expect_contains "tree label of an alert from the CA" \
  "$(tsh -r "$alert" -Y 'tlslab.alert.description == 50' -V)" "tlslab alert frame: Alert: decode_error — CA → Client"
if [[ $luaossl == 1 ]]; then
  # One byte of verify_data flipped in the ciphertext: the tag (not verified by the dissector)
  # no longer matches, and the decrypted verify_data is wrong -- that is what the tree shows.
  expect_count "tampered Finished: verify_data invalid" 1 "$alert" \
    "tlslab.verify_data.valid == 0 && tlslab.expert.verify_failed && tlslab.verify_data != ${E_CLIENT_VERIFY}"
  expect_count "tampered Finished: expected verify_data is the genuine one" 1 "$alert" \
    "tlslab.verify_data.expected == ${E_CLIENT_VERIFY} && tlslab.verify_data.valid == 0"
  expect_contains "Info column of the tampered Finished" "$alert_info$(tsh -r "$alert" "${keys[@]}" \
    -Y tlslab.verify_data -T fields -e _ws.col.Info)" "Finished (test message) [verify_data wrong]"
  expect_count "tampered Finished: tag note, no valid Finished" 0 "$alert" 'tlslab.verify_data.valid == 1'

  # Wrong keys (every master secret in the key log altered): decryption "succeeds" (no tag
  # check), but no Finished verifies and each side's first protected frame is flagged.
  awk '$1 == "CLIENT_RANDOM" { $3 = (substr($3, 1, 1) == "0" ? "1" : "0") substr($3, 2) } { print }' \
    "$work/keylog.txt" >"$work/keylog-wrong.txt"
  wrong=(-o "tlslab.keylog_file:$work/keylog-wrong.txt")
  if cmp -s "$work/keylog.txt" "$work/keylog-wrong.txt"; then fail "wrong key log equals the right one"; fi
  n_valid=$(tsh -r "$good" "${wrong[@]}" -Y 'tlslab.verify_data.valid == 1' -T fields -e frame.number | grep -c .)
  if [[ $n_valid == 0 ]]; then pass; else fail "wrong keys: $n_valid Finished still verify"; fi
  n_flagged=$(tsh -r "$good" "${wrong[@]}" -Y 'tlslab.arrow in {6, 7} && (tlslab.expert.implausible_plaintext || tlslab.verify_data.valid == 0)' \
    -T fields -e frame.number | grep -c .)
  if [[ $n_flagged == 6 ]]; then pass; else fail "wrong keys: $n_flagged of 6 Finished frames flagged"; fi
  n_uri=$(tsh -r "$good" "${wrong[@]}" -Y 'http.request.uri == "/hello"' -T fields -e frame.number | grep -c .)
  if [[ $n_uri == 0 ]]; then pass; else fail "wrong keys: HTTP request still decoded"; fi
fi
expect_count "alert capture: no Lua error" 0 "$alert" '_ws.lua.error || tlslab.expert.dissector_bug'
expect_count "alert capture: malformed only the status request with the short nonce" 0 "$alert" \
  '_ws.malformed && !(tlslab.status.nonce.length == 8)'
expect_count "alert capture: the short nonce is flagged" 1 "$alert" '_ws.malformed && tlslab.status.nonce.length == 8'

# --- 5. malformed frames: expert info, never a Lua error --------------------------------------
expect_count "malformed frames flagged" 6 "$bad" 'tlslab.expert.malformed'
expect_count "unknown content/handshake types flagged" 3 "$bad" 'tlslab.expert.protocol'
expect_count "malformed capture: no Lua error" 0 "$bad" '_ws.lua.error || tlslab.expert.dissector_bug'

# --- 6. ECDHE (PROTOCOL.md §7.6): the key shares, the signature, arrow 5's other form -----------
# G: x25519, RSA certificate (rsa_pss_rsae_sha256), 0x0B01, ports the heuristic finds; H: secp256r1,
# EC P-256 certificate (ecdsa_secp256r1_sha256), 0x0B02 (SHA-384), ports 4433/4434; I: x25519 chosen
# although the client prefers secp256r1, EC certificate, 0x0B03 (ChaCha20-Poly1305).
for s in G H I; do
  cr=${s}_CLIENT_RANDOM sr=${s}_SERVER_RANDOM groups=${s}_OFFERED_GROUPS group=${s}_GROUP_VALUE
  share=${s}_SERVER_SHARE scheme=${s}_SCHEME sig=${s}_SIGNATURE content=${s}_SIGNED_CONTENT
  client_share=${s}_CLIENT_SHARE
  expect_eq "session $s: ClientHello key_share, the groups offered in order" \
    "$(fields "$ecdhe" "tlslab.client_random == ${!cr}" tlslab.key_share.groups)" "${!groups}"
  expect_count "session $s: ServerHello key_share: group, key share, scheme, signature" 1 "$ecdhe" \
    "tlslab.server_random == ${!sr} && tlslab.key_share.group == ${!group} && tlslab.key_share.public == ${!share} && tlslab.signature_scheme == ${!scheme} && tlslab.signature == ${!sig}"
  # what the signature covers, rebuilt from this handshake's randoms: exactly what was signed
  expect_count "session $s: signed content (RAND-CLIENT || RAND-SERVER || 03 || group || len || key)" 1 "$ecdhe" \
    "tlslab.server_random == ${!sr} && tlslab.key_share.signed_content == ${!content}"
  # arrow 5 in the form of the suite chosen in this session's ServerHello: key_exchange
  expect_count "session $s: ClientKeyExchange carries the client's key share, no encrypted PRE-MASTER" 1 "$ecdhe" \
    "tlslab.client_key_exchange.public == ${!client_share} && !tlslab.encrypted_pre_master && tlslab.client_key_exchange.suite_in"
done
for s in G H I; do
  name=${s}_GROUP sr=${s}_SERVER_RANDOM
  expect_count "session $s: filter by group name" 1 "$ecdhe" \
    "tlslab.key_share.group == \"${!name}\" && tlslab.server_random == ${!sr}"
done
expect_count "filter by signature scheme name (G: RSA-PSS)" 1 "$ecdhe" 'tlslab.signature_scheme == "rsa_pss_rsae_sha256"'
expect_count "filter by signature scheme name (H, I: ECDSA)" 2 "$ecdhe" 'tlslab.signature_scheme == "ecdsa_secp256r1_sha256"'
expect_count "filter on an offered group by name" 3 "$ecdhe" 'tlslab.key_share.groups == "secp256r1"'
tree_ecdhe=$(tsh -r "$ecdhe" "${keys[@]}" -Y 'tlslab.handshake.type in {1, 2, 16}' -V)
for s in G H I; do
  suite=${s}_SUITE
  expect_contains "session $s chosen suite" "$tree_ecdhe" "Cipher suite: ${!suite} (0x0b0"
done
for text in "Group offered: x25519 (0x001d)" "Group offered: secp256r1 (0x0017)" \
    "Extension: key_share: x25519, secp256r1 (groups offered for ECDHE, client's preference order)" \
    "Extension: key_share: x25519, signed (rsa_pss_rsae_sha256)" \
    "Extension: key_share: secp256r1, signed (ecdsa_secp256r1_sha256)" \
    "Group: secp256r1 (0x0017)" "Signature scheme: ecdsa_secp256r1_sha256 (0x0403)" \
    "Key exchange: ECDHE (§7.6): the PRE-MASTER is the ECDH secret of two ephemeral keys and is never sent" \
    "The CERTIFICATE's private key signs this key share: SERVER'S PUBLIC KEY verifies a signature, it encrypts nothing" \
    "The signature covers RAND-CLIENT and RAND-SERVER" \
    "Signature not verified by the dissector (the tlslab client verifies it with SERVER'S PUBLIC KEY" \
    "PRE-MASTER = ECDH(client's ephemeral private key, server's key share) = ECDH(server's ephemeral private key, this key share): never sent" \
    "a server key stolen later opens no recorded session (forward secrecy, §7.6)" \
    "tlslab handshake frame: ClientKeyExchange (ECDHE x25519 key share) — arrow 5, Client → Server"; do
  expect_contains "ECDHE tree" "$tree_ecdhe" "$text"
done
expect_contains "RSA tree: the key exchange said in the lab's words" "$tree_sh" \
  "Key exchange: RSA key transport (§7.1): the PRE-MASTER travels encrypted with SERVER'S PUBLIC KEY"
info_ecdhe=$(tsh -r "$ecdhe" "${keys[@]}" -Y tlslab -T fields -e _ws.col.Info)
for text in "(1) Client → Server: ClientHello" "(2) Server → Client: ServerHello (ECDHE x25519)" \
    "(2) Server → Client: ServerHello (ECDHE secp256r1)" "(3) Client → CA: Status request" \
    "(5) Client → Server: ClientKeyExchange (ECDHE x25519 key share), (6) Finished (test message)" \
    "(5) Client → Server: ClientKeyExchange (ECDHE secp256r1 key share)"; do
  expect_contains "ECDHE Info column" "$info_ecdhe" "$text"
done
# RSA sessions keep arrow 5's RSA form, and no key_share anywhere
expect_count "RSA sessions: ClientKeyExchange as encrypted_pre_master" 3 "$good" \
  'tlslab.handshake.type == 16 && tlslab.encrypted_pre_master && !tlslab.client_key_exchange.public && tlslab.client_key_exchange.suite_in'
expect_count "RSA sessions: no key_share fields" 0 "$good" \
  'tlslab.key_share.groups || tlslab.key_share.group || tlslab.signature || tlslab.client_key_exchange.public'
expect_eq "RSA ServerHello Info unchanged" "$(info_of "$good" 'tlslab.handshake.type == 2')" "(2) Server → Client: ServerHello"
expect_count "ECDHE sessions: SERVER'S PUBLIC KEY (RSA and EC P-256) equals the certificate's" 3 "$ecdhe" \
  'tlslab.server_public_key.matches_certificate == 1'
expect_count "ECDHE: no malformed, expert error, protocol warning or Lua error" 0 "$ecdhe" \
  '_ws.malformed || _ws.expert.severity == "Error" || tlslab.expert.protocol || _ws.lua.error || tlslab.expert.dissector_bug'

# decryption with the key log, exactly as for RSA sessions (the key log holds the master secret)
if [[ $luaossl == 1 ]]; then
  for s in G H I; do
    cv=${s}_CLIENT_VERIFY sv=${s}_SERVER_VERIFY master=${s}_MASTER
    expect_count "session $s (ECDHE): client Finished verify_data valid" 1 "$ecdhe" \
      "tlslab.verify_data == ${!cv} && tlslab.verify_data.valid == 1"
    expect_count "session $s (ECDHE): server Finished verify_data valid" 1 "$ecdhe" \
      "tlslab.verify_data == ${!sv} && tlslab.verify_data.valid == 1"
    expect_count "session $s (ECDHE): SESSION MASTER KEY from the key log" 2 "$ecdhe" \
      "tlslab.master_secret == \"${!master}\""
  done
  expect_eq "ECDHE: decrypted request URIs" "$(fields "$ecdhe" http.request http.request.uri | sort | tr '\n' ' ')" \
    "/ecdhe-chacha /ecdhe-p256 /ecdhe-x25519 "
  expect_count "ECDHE: decrypted responses" 3 "$ecdhe" 'http.response.code == 200'
  expect_count "ECDHE: protected close_notify decrypted" 6 "$ecdhe" 'tlslab.alert.description == 0 && tlslab.alert.level == 1'
  expect_count "ECDHE: no decryption failure, garbled plaintext or missing key" 0 "$ecdhe" \
    'tlslab.expert.decrypt_failed || tlslab.expert.verify_failed || tlslab.expert.not_decrypted || tlslab.expert.implausible_plaintext'
  expect_count "ECDHE: key log found at each ClientKeyExchange" 3 "$ecdhe" \
    'tlslab.client_key_exchange.public && tlslab.keylog.found == 1'
  n_valid=$(tsh -r "$ecdhe" "${wrong[@]}" -Y 'tlslab.verify_data.valid == 1' -T fields -e frame.number | grep -c .)
  if [[ $n_valid == 0 ]]; then pass; else fail "ECDHE, wrong keys: $n_valid Finished still verify"; fi
fi
expect_count "ECDHE without a key log: every protected frame says why" 0 --nokeys "$ecdhe" \
  'tlslab.protected.ciphertext && !tlslab.expert.not_decrypted'

# Arrow 5 without its ServerHello in the capture: the form is taken from the length alone, and
# the tree says so (H's ServerHello, one segment on port 4433, and B's, RSA, taken out)
sh_h=$(tsh -r "$ecdhe" -Y "tlslab.server_random == $H_SERVER_RANDOM" -T fields -e frame.number)
sh_b=$(tsh -r "$good" -Y "tlslab.server_random == $B_SERVER_RANDOM" -T fields -e frame.number)
"$TSHARK" -r "$ecdhe" -Y "frame.number != $sh_h" -w "$work/ecdhe-no-sh.pcap" 2>>"$work/stderr"
"$TSHARK" -r "$good" -Y "frame.number != $sh_b" -w "$work/good-no-sh.pcap" 2>>"$work/stderr"
expect_count "no ServerHello: ECDHE ClientKeyExchange still read as key_exchange" 1 "$work/ecdhe-no-sh.pcap" \
  "tlslab.client_key_exchange.public == $H_CLIENT_SHARE && !tlslab.client_key_exchange.suite_in"
expect_count "no ServerHello: RSA ClientKeyExchange still read as encrypted_pre_master" 1 "$work/good-no-sh.pcap" \
  'tlslab.encrypted_pre_master && !tlslab.client_key_exchange.suite_in'
expect_contains "no ServerHello: the tree says how the form was chosen" \
  "$(tsh -r "$work/ecdhe-no-sh.pcap" -Y 'tlslab.handshake.type == 16 && !tlslab.client_key_exchange.suite_in' -V)" \
  "Form key_exchange (ECDHE) taken from the length alone"
expect_count "no ServerHello: no error" 0 "$work/ecdhe-no-sh.pcap" \
  '_ws.malformed || _ws.expert.severity == "Error" || _ws.lua.error || tlslab.expert.dissector_bug'

# --- 7. ECDHE ServerHellos a client refuses: expert info, never a Lua error -------------------
# J a truncated key_share, K a group the client did not offer, L a key_share not asked for,
# M an ECDHE suite without a key_share; each answered by the client's alert.
expect_count "J: truncated key_share is malformed" 1 "$ecdhe_bad" \
  "tlslab.server_random == $J_SERVER_RANDOM && tlslab.expert.malformed && _ws.expert.message contains \"key_share\""
expect_count "K: group not offered flagged" 1 "$ecdhe_bad" \
  "tlslab.server_random == $K_SERVER_RANDOM && tlslab.key_share.group == \"secp256r1\" && tlslab.expert.protocol && _ws.expert.message contains \"was not offered by the client (illegal_parameter\""
expect_count "L: key_share the ClientHello did not carry flagged" 1 "$ecdhe_bad" \
  "tlslab.server_random == $L_SERVER_RANDOM && _ws.expert.message contains \"unsupported_extension\""
expect_count "M: ECDHE suite without key_share flagged" 1 "$ecdhe_bad" \
  "tlslab.server_random == $M_SERVER_RANDOM && _ws.expert.message contains \"without a key_share\""
expect_count "refused ServerHellos: only J malformed" 1 "$ecdhe_bad" '_ws.malformed || tlslab.expert.malformed'
expect_count "refused ServerHellos: no Lua error" 0 "$ecdhe_bad" '_ws.lua.error || tlslab.expert.dissector_bug'
expect_eq "refused ServerHellos: the client's alerts" \
  "$(tsh -r "$ecdhe_bad" -Y tlslab.alert.description -T fields -e _ws.col.Info | sort | tr '\n' '|')" \
  "Client → Server: Alert: decode_error|Client → Server: Alert: illegal_parameter|Client → Server: Alert: illegal_parameter|Client → Server: Alert: unsupported_extension|"

# --- 8. nothing on stderr but tshark's root notice --------------------------------------------
grep -v "Running as user" "$work/stderr" >"$work/stderr.unexpected"
if [[ -s $work/stderr.unexpected ]]; then
  fail "tshark wrote to stderr:"; head -20 "$work/stderr.unexpected"
else
  pass
fi

if [[ $failures -gt 0 ]]; then
  echo "dissector_test: $failures of $checks checks FAILED"
  exit 1
fi
if [[ $luaossl == 0 ]]; then
  skip "all $checks checks passed, but the decryption checks did not run: lua-luaossl is missing"
fi
echo "dissector_test: all $checks checks passed"
