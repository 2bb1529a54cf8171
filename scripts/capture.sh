#!/usr/bin/env bash
# Captures one real tlslab session on the loopback interface, for Wireshark.
#
#   scripts/capture.sh [SCENARIO] [-o OUT.pcapng] [--get PATH]... [--suites LIST]
#   scripts/capture.sh stolen-key [-o OUT.pcapng]     the stolen-key lesson (below)
#   scripts/capture.sh stolen-ticket-key [-o OUT.pcapng]   the same with the session-ticket key
#   scripts/capture.sh --list        the scenarios, one per line
#
# Capturing needs root. As root it captures at once and never calls sudo (a root shell may have
# none). As a user who cannot capture on lo (no CAP_NET_RAW for dumpcap), it runs itself again
# with sudo, which asks for your password; without sudo it says so in one line (exit 77).
#
# --suites LIST: the cipher suites the client offers, as tlslab-client --suites takes them, in
# place of the scenario's; e.g. `--suites ecdhe-aes128gcm` captures a forward-secret ECDHE session
# (PROTOCOL.md §7.6), which the key log still decrypts.
#
# SCENARIO (default good), named as in tests/e2e/scenarios.py and the README:
#   good             a complete handshake, then GET / (the built-in session page)
#   revoked          the server's certificate is revoked: the CA says so, the client sends
#                    certificate_revoked
#   unknown-ca       the client trusts another CA: unknown_ca
#   expired          the certificate's validity ended (issued --not-before -400d --days 30):
#                    certificate_expired
#   wrong-name       the certificate is for other.example, the client expects localhost:
#                    bad_certificate
#   ca-down          nothing listens where the client asks the CA (the CA service is stopped
#                    before the client starts): bad_certificate_status_response, it fails closed
#   no-common-suite  the server accepts only AES-256-GCM, the client offers the two others:
#                    the server sends handshake_failure
#   garbage          "GET / HTTP/1.1" sent to the server instead of a ClientHello: the server
#                    answers with the alert frame 15 01 00 00 02 02 0a (unexpected_message);
#                    then a normal client, since the server keeps serving
#   crl-good         arrows 3-4 as a CRL fetch (PROTOCOL.md §9.3): the client (--ca-check crl)
#                    GETs /crl from the CA's --ocsp-http port, verifies the list and finds the
#                    serial absent; Wireshark's own HTTP dissector shows the fetch (also: crl)
#   crl-revoked      the same, the certificate revoked: the serial is in the list,
#                    certificate_revoked
#   crl-stale        a list past its nextUpdate (tlslab-ca crl --next-update 1s), handed over by
#                    tlslab-mitm replay-old-crl on the client's second fetch (the first is
#                    relayed, good): bad_certificate_status_response, "the CRL is stale"
#   crl-replayed     an old list (signed before the revocation) handed over by tlslab-mitm
#                    replay-old-crl to a client with --crl-cache: the first fetch, relayed, says
#                    certificate_revoked; once that list passed its nextUpdate (the CA's lists
#                    live 2 s), the second gets the old one: bad_certificate_status_response,
#                    "an old list replayed"
#
# Real TLS (issue 24; Wireshark's own TLS, HTTP and OCSP dissectors, no Lua dissector needed):
#   tls12            tlslab-server --tls and tlslab-client --tls speak TLS 1.2 with RSA key
#                    transport (AES128-GCM-SHA256): the seed's handshake on the real wire. The
#                    certificate names the CA's OCSP responder (tlslab-ca issue --ocsp-url), and the
#                    client POSTs its OCSP request there (--ca-check direct): arrows 3-4 in the capture
#   tls13            the same with TLS 1.3: arrow 2 is one flight, all but ServerHello encrypted
#
# The stolen-key lesson (not a scenario of tests/e2e/scenarios.py: it needs a capture):
#   stolen-key       two sessions to the same server, recorded: one with RSA key transport
#                    (--suites aes128gcm, GET /?recorded=rsa), one with ECDHE (--suites
#                    ecdhe-aes128gcm, GET /?recorded=ecdhe). Then the server's key is "stolen"
#                    and tlslab-decrypt runs on the recording as an attacker would: the RSA
#                    session's HTTP comes out in the clear, the ECDHE session stays closed
#                    (forward secrecy). It also writes OUT.server.key (the stolen key, 0600) and
#                    OUT.stolen.keylog (the key log the attacker recovered, 0600: the RSA
#                    session's line only), and prints the tshark command that opens the RSA
#                    session with it. docs/ATTACKS.md, "The stolen key: why forward secrecy".
#   stolen-ticket-key  the ticket key's turn (PROTOCOL.md §7.8): a server with an ECDHE suite and
#                    --ticket-key-file, the client run twice with --session-file: a full ECDHE
#                    handshake (GET /?recorded=full), then a resumed one (GET /?recorded=resumed).
#                    Then tlslab-decrypt runs twice as an attacker: with the server's private key
#                    alone it opens neither (ECDHE; a resumed session sends no PRE-MASTER); with
#                    the server's ticket key file alone it opens both, the ticket offered in the
#                    clear giving the master secret. It also writes OUT.server.key (0600),
#                    OUT.ticket.keys (the stolen ticket key file, 0600) and OUT.stolen.keylog (the
#                    key log the attacker recovered with the ticket key, 0600: both sessions' lines).
#
# It makes a throw-away CA and server certificate with tlslab-ca, starts `tlslab-ca serve` and
# `tlslab-server` on free ports of 127.0.0.1, captures both ports with tshark on `lo` (for the
# crl-* scenarios also the CA's HTTP port and tlslab-mitm's), runs tlslab-client once (twice for
# crl-stale and crl-replayed), stops the capture and writes, side by side:
#   OUT.pcapng   the capture (default ./tlslab-SCENARIO.pcapng), mode 0644
#   OUT.keylog   the NSS key log of the session (empty when the handshake stops before the
#                key exchange), for the dissector's tlslab.keylog_file preference; mode 0600:
#                it holds the session's master secret
#   OUT.html     the client's report of the run (tlslab-client --report): the diagram, every
#                frame byte by byte, the computations; mode 0644
# and prints the commands that open them. Captured as root, the files are given to the user who
# ran sudo ($SUDO_USER) or, without sudo, to the owner of OUT's directory, who opens them as
# themselves. The commands load the dissector with -X lua_script:… unless that user has it
# installed already (scripts/wireshark/install.sh): tshark refuses to load it twice. Everything it started is stopped on exit, on error
# and on Ctrl-C.
#
# Exit status: 0 the capture is written and the scenario went as described above; 1 it did not
# (the files are still written); 2 usage error or missing programs; 77 tshark cannot capture
# here (not installed, or no permission: capturing needs root or CAP_NET_RAW).
#
# Environment: TLSLAB_BIN (default <repo>/build/bin), TSHARK (default tshark),
#   CAPTURE_TRACE_JSON=FILE  also pass --trace-json FILE to the client (machine-readable trace;
#                            mode 0644, given to the same user as OUT),
#   CAPTURE_QUIET=1          do not show the client's step-by-step trace.
set -uo pipefail
# The key log holds master secrets: whatever this script writes starts private (0600), in a
# private work directory; each file gets its mode and owner there, then is moved into place.
umask 077

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${TLSLAB_BIN:-$root/build/bin}
TSHARK=${TSHARK:-tshark}
dissector=$root/scripts/wireshark/tlslab.lua

usage() {
  sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}
die() { echo "capture: $*" >&2; exit 2; }
skip() { echo "capture: cannot capture: $*" >&2; exit 77; }

scenarios=(good revoked unknown-ca expired wrong-name ca-down no-common-suite garbage crl-good crl-revoked crl-stale
  crl-replayed tls12 tls13)
given_args=("$@")  # for running again with sudo
scenario=good out="" gets=() suites=""
while [[ $# -gt 0 ]]; do
  case $1 in
    -o|--output) [[ $# -ge 2 ]] || die "$1 needs a file name"; out=$2; shift 2 ;;
    --get) [[ $# -ge 2 ]] || die "--get needs a path"; gets+=(--get "$2"); shift 2 ;;
    --suites) [[ $# -ge 2 ]] || die "--suites needs a list"; suites=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --list) printf '%s\n' "${scenarios[@]}"; exit 0 ;;
    good|revoked|unknown-ca|expired|wrong-name|ca-down|no-common-suite|garbage|stolen-key) scenario=$1; shift ;;
    stolen-ticket-key) scenario=$1; shift ;;
    crl-good|crl-revoked|crl-stale|crl-replayed) scenario=$1; shift ;;
    crl) scenario=crl-good; shift ;;
    tls12|tls13) scenario=$1; shift ;;
    *) echo "capture: unknown argument '$1' (the scenarios: ${scenarios[*]}; --help says more)" >&2; exit 2 ;;
  esac
done
user_gets=("${gets[@]}")
[[ ${#gets[@]} -gt 0 ]] || gets=(--get /)
out=${out:-./tlslab-$scenario.pcapng}
out_dir=$(cd "$(dirname "$out")" 2>/dev/null && pwd) || die "no such directory: $(dirname "$out")"
[[ -w $out_dir ]] || die "cannot write in $out_dir"
out=$out_dir/$(basename "$out")
base=${out%.pcapng}
keylog_out=$base.keylog report_out=$base.html
trace_out=""
if [[ -n ${CAPTURE_TRACE_JSON:-} ]]; then
  trace_dir=$(cd "$(dirname "$CAPTURE_TRACE_JSON")" 2>/dev/null && pwd) ||
    die "no such directory: $(dirname "$CAPTURE_TRACE_JSON")"
  trace_out=$trace_dir/$(basename "$CAPTURE_TRACE_JSON")
fi

# Who gets the files. Capturing needs root, but the user who ran sudo opens the capture as
# themselves (Wireshark warns against running as root), and could not read a root-owned 0600
# file. Without root, the files are the user's own already.
owner="" owner_name=""
if [[ $EUID == 0 ]]; then
  if [[ -n ${SUDO_USER:-} ]]; then
    uid=$(id -u -- "$SUDO_USER" 2>/dev/null) && gid=$(id -g -- "$SUDO_USER" 2>/dev/null) ||
      die "SUDO_USER is '$SUDO_USER', which is not a user here"
    owner=$uid:$gid owner_name=$SUDO_USER
  else
    owner=$(stat -c %u:%g -- "$out_dir") && owner_name=$(stat -c %U -- "$out_dir") ||
      die "cannot read the owner of $out_dir"
  fi
fi

programs=(tlslab-ca tlslab-server tlslab-client)
[[ $scenario == stolen-key || $scenario == stolen-ticket-key ]] && programs+=(tlslab-decrypt)
crl=0
[[ $scenario == crl-* ]] && crl=1
tls="" # the TLS version of a real-TLS scenario
[[ $scenario == tls12 ]] && tls=1.2
[[ $scenario == tls13 ]] && tls=1.3
[[ -n $tls && -n $suites ]] && die "--suites names the lab's suites: scenario $scenario speaks real TLS"
[[ $scenario == crl-stale || $scenario == crl-replayed ]] && programs+=(tlslab-mitm)
for p in "${programs[@]}"; do
  [[ -x $bin/$p ]] || die "$bin/$p is missing: build first (cmake --build build) or set TLSLAB_BIN"
done
if [[ $scenario == stolen-key || $scenario == stolen-ticket-key ]] &&
   ! "$bin/tlslab-client" --help 2>/dev/null | grep ecdhe-aes128gcm >/dev/null; then
  die "$bin/tlslab-client does not offer ecdhe-aes128gcm (PROTOCOL.md §7.6): build a newer one"
fi
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed (Debian: apt install tshark)"

# --- root -----------------------------------------------------------------------------------
# dumpcap (which tshark runs to capture) opens lo to list its link types: it can only if it may
# capture, as root or with CAP_NET_RAW (Debian's wireshark group).
can_capture() { command -v dumpcap >/dev/null 2>&1 && dumpcap -L -i lo >/dev/null 2>&1; }
if [[ $EUID != 0 ]] && ! can_capture; then
  command -v sudo >/dev/null 2>&1 ||
    skip "capturing on lo needs root, and sudo is not installed: run scripts/capture.sh as root"
  # Without a terminal, sudo could not ask for a password: only a sudo that needs none will do.
  [[ -t 0 ]] || sudo -n true 2>/dev/null ||
    skip "capturing on lo needs root, and sudo wants a password but there is no terminal to ask on: run it as root"
  echo "capture: capturing on lo needs root: running it again with sudo" >&2
  # sudo resets the environment: the variables this script reads are passed on by env.
  keep=()
  for name in TLSLAB_BIN TSHARK CAPTURE_TRACE_JSON CAPTURE_QUIET TMPDIR NO_COLOR; do
    [[ -n ${!name+set} ]] && keep+=("$name=${!name}")
  done
  exec sudo -- env "${keep[@]}" bash "${BASH_SOURCE[0]}" "${given_args[@]}"
fi

# --- processes we start, and the cleanup that stops them whatever happens ----------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-capture.XXXXXX") || die "mktemp failed"
ca_pid="" server_pid="" tshark_pid="" client_pid="" mitm_pid=""

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
  for pid in $mitm_pid $server_pid $ca_pid; do kill "$pid" 2>/dev/null; done
  for pid in $client_pid $mitm_pid $server_pid $ca_pid; do wait "$pid" 2>/dev/null; done
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
    port=$(sed -nE 's/.*listening on [^ ]*:([0-9]+).*/\1/p' "$log" 2>/dev/null | head -n 1)
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
cp "$work/cmd.log" "$work/issue.log"
trust=$work/ca/ca.crt
# crl-stale: a list that expires 1 s after it is signed; crl-replayed: a list signed before the
# revocation, valid 1 h (tlslab-mitm hands either over on the client's second fetch)
case $scenario in
  crl-stale)
    quiet "$bin/tlslab-ca" crl --dir "$work/ca" --next-update 1s --out "$work/old.crl" || die "tlslab-ca crl failed"
    stale_from=$(date +%s) ;;
  crl-replayed)
    quiet "$bin/tlslab-ca" crl --dir "$work/ca" --next-update 1h --out "$work/old.crl" || die "tlslab-ca crl failed" ;;
esac
case $scenario in
  revoked|crl-revoked|crl-replayed)
    serial=$(sed -nE 's/^ *serial +([0-9a-fA-F]+).*/\1/p' "$work/issue.log" | head -n 1)
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
[[ -n $suites ]] && client_suites=(--suites "$suites")
if [[ $scenario == stolen-ticket-key ]]; then  # §7.8: the server keeps its ticket keys in a file
  server_suites=(--suites ecdhe-aes128gcm --ticket-key-file "$work/server.ticketkeys")
fi

# --- services, capture, client --------------------------------------------------------------
ca_port="" server_port="" http_port="" mitm_port="" ca_extra=()
[[ $crl == 1 || -n $tls ]] && ca_extra=(--ocsp-http 127.0.0.1:0)
[[ $scenario == crl-replayed ]] && ca_extra+=(--crl-next-update 2s)
start_service ca_pid ca_port "$work/ca.log" "$bin/tlslab-ca" serve --dir "$work/ca" \
  --listen 127.0.0.1:0 "${ca_extra[@]}" || exit 1
if [[ $crl == 1 ]]; then
  http_port=$(sed -nE 's#.*CRL at http://127\.0\.0\.1:([0-9]+)/crl.*#\1#p' "$work/ca.log" | head -n 1)
  [[ -n $http_port ]] || { echo "capture: tlslab-ca serve named no CRL URL:" >&2; sed 's/^/  /' "$work/ca.log" >&2; exit 1; }
fi
server_tls=()
if [[ -n $tls ]]; then
  # The certificate names the CA's OCSP responder (Authority Information Access), as on the web.
  http_port=$(sed -nE 's#.*OCSP over HTTP listening on http://127\.0\.0\.1:([0-9]+)/.*#\1#p' "$work/ca.log" | head -n 1)
  [[ -n $http_port ]] || { echo "capture: tlslab-ca serve named no OCSP URL:" >&2; sed 's/^/  /' "$work/ca.log" >&2; exit 1; }
  quiet "$bin/tlslab-ca" issue --dir "$work/ca" --cn localhost --san DNS:localhost,IP:127.0.0.1 \
    --ocsp-url "http://127.0.0.1:$http_port" --out-cert "$work/server.crt" --out-key "$work/server.key" ||
    die "tlslab-ca issue --ocsp-url failed"
  server_tls=(--tls --tls-versions "$tls")
fi
if [[ $scenario == crl-stale || $scenario == crl-replayed ]]; then
  start_service mitm_pid mitm_port "$work/mitm.log" "$bin/tlslab-mitm" --listen 127.0.0.1:0 \
    --upstream "127.0.0.1:$http_port" --attack replay-old-crl --substitute-crl "$work/old.crl" || exit 1
fi
start_service server_pid server_port "$work/server.log" "$bin/tlslab-server" --cert "$work/server.crt" \
  --key "$work/server.key" --listen 127.0.0.1:0 --keylog "$work/server.keylog" --quiet \
  "${server_suites[@]}" "${server_tls[@]}" || exit 1
if [[ $scenario == ca-down ]]; then  # its port stays in the capture filter: the refused connection
  kill "$ca_pid" 2>/dev/null
  wait "$ca_pid" 2>/dev/null
  ca_pid=""
fi

# Everything is written in $work first, and moved into place at the end (see deliver).
pcap=$work/capture.pcapng keylog=$work/client.keylog report=$work/report.html trace=$work/trace.json
capture_filter="tcp port $server_port or tcp port $ca_port"
[[ -n $http_port ]] && capture_filter+=" or tcp port $http_port"
[[ -n $mitm_port ]] && capture_filter+=" or tcp port $mitm_port"
"$TSHARK" -i lo -w "$pcap" -f "$capture_filter" 2>"$work/tshark.err" &
tshark_pid=$!
# tshark prints "Capturing on" before it starts dumpcap, and logs "Capture started" once dumpcap
# has opened the interface, set the filter and opened the file: only then is nothing missed.
capture_live() { grep -qs "Capturing on" "$work/tshark.err" && grep -qs "Capture started" "$work/tshark.err"; }
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

client_args=(--connect "127.0.0.1:$server_port" --trust "$trust" --server-name localhost --keylog "$keylog")
# (real TLS finds the CA in the certificate: --ca-service is the lab's)
[[ -z $tls ]] && client_args+=(--ca-service "127.0.0.1:$ca_port")
[[ ${CAPTURE_QUIET:-0} == 1 ]] && client_args+=(--quiet)
crl_url=""
if [[ $crl == 1 ]]; then  # the list from the CA's HTTP port, or through tlslab-mitm
  crl_url=http://127.0.0.1:${mitm_port:-$http_port}/crl
  client_args+=(--ca-check crl --crl-from "$crl_url")
  [[ $scenario == crl-replayed ]] && client_args+=(--crl-cache "$work/crl-cache")
fi
if [[ -n $tls ]]; then  # libssl underneath; the OCSP request goes to the responder the certificate names
  client_args+=(--tls --tls-versions "$tls" --ca-check direct)
  [[ $tls == 1.2 ]] && client_args+=(--tls-ciphers AES128-GCM-SHA256)
fi
first_client=(--report "$report" --output "$work/response.body")
[[ -n $trace_out ]] && first_client+=(--trace-json "$trace")
echo "capture: scenario $scenario: CA service 127.0.0.1:$ca_port, server 127.0.0.1:$server_port, capturing on lo"
[[ $scenario == ca-down ]] && echo "capture: the CA service is stopped: nothing listens on 127.0.0.1:$ca_port"
[[ -n $tls ]] && echo "capture: real TLS $tls through libssl; the client asks the CA's OCSP responder http://127.0.0.1:$http_port (the certificate's AIA)"
[[ -n $http_port && -z $tls ]] && echo "capture: the CA publishes its CRL at http://127.0.0.1:$http_port/crl; the client fetches $crl_url"
[[ -n $mitm_port ]] && echo "capture: tlslab-mitm replay-old-crl on 127.0.0.1:$mitm_port: the first fetch relayed, the next one answered with the old list"
garbage_answer=""
if [[ $scenario == garbage ]]; then
  # The README's command: an HTTP request where a ClientHello should be, and the server's
  # answer in hex (with od, which every Debian has; xxd is not in a minimal one).
  garbage_answer=$(timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf "GET / HTTP/1.1\r\n\r\n" >&3; od -An -tx1 <&3' garbage "$server_port" 2>&1 | tr -s ' \n' '  ')
  garbage_answer=${garbage_answer# } garbage_answer=${garbage_answer% }
  echo "capture: sent \"GET / HTTP/1.1\" to the server, which answered: $garbage_answer"
  echo "capture: then a normal client: the server keeps serving"
fi
# run_client ARGS...: one tlslab-client run with client_args and ARGS, its output shown; sets
# client_status (the first failure of the runs so far)
client_status=0
run_client() {
  local status
  "$bin/tlslab-client" "${client_args[@]}" "$@" >"$work/client.out" 2>"$work/client.err" &
  client_pid=$!
  wait "$client_pid"
  status=$?
  client_pid=""
  # (its lines naming the files in $work are left out: the files are listed below, where they end up)
  cat "$work/client.out"
  grep -v -e '^tlslab-client: key log appended to ' -e '^tlslab-client: report written to ' "$work/client.err"
  [[ $client_status != 0 ]] || client_status=$status
}
if [[ $scenario == stolen-key ]]; then
  rsa_gets=(--get "/?recorded=rsa") ecdhe_gets=(--get "/?recorded=ecdhe")
  [[ ${#user_gets[@]} -gt 0 ]] && rsa_gets=("${user_gets[@]}") ecdhe_gets=("${user_gets[@]}")
  echo "capture: session 1 of 2, RSA key transport (the seed's handshake): the PRE-MASTER crosses the wire, encrypted with SERVER'S PUBLIC KEY"
  run_client "${first_client[@]}" --suites aes128gcm "${rsa_gets[@]}"
  echo "capture: session 2 of 2, ECDHE (forward secrecy): the PRE-MASTER never crosses the wire; the server's key signs its ephemeral key share"
  run_client --output "$work/response-ecdhe.body" --suites ecdhe-aes128gcm "${ecdhe_gets[@]}"
elif [[ $scenario == stolen-ticket-key ]]; then
  full_gets=(--get "/?recorded=full") resumed_gets=(--get "/?recorded=resumed")
  [[ ${#user_gets[@]} -gt 0 ]] && full_gets=("${user_gets[@]}") resumed_gets=("${user_gets[@]}")
  echo "capture: session 1 of 2, a full ECDHE handshake (forward secrecy); the server then hands the client a ticket: the master secret, sealed under its ticket key"
  run_client "${first_client[@]}" --suites ecdhe-aes128gcm --session-file "$work/client.session" "${full_gets[@]}"
  echo "capture: session 2 of 2, resumed: the client offers the ticket in the clear; no key exchange, the master secret is the ticket's"
  run_client --output "$work/response-resumed.body" --suites ecdhe-aes128gcm --session-file "$work/client.session" \
    "${resumed_gets[@]}"
elif [[ -n $mitm_port ]]; then
  # Two fetches: the first relayed to the CA, the second answered by tlslab-mitm with the old list.
  echo "capture: fetch 1 of 2: relayed to the CA, its current list"
  run_client --output "$work/response-first.body" "${client_suites[@]}" "${gets[@]}"
  first_status=$client_status first_err=$(cat "$work/client.err")
  client_status=0
  if [[ $scenario == crl-stale ]]; then
    # the old list's nextUpdate (whole seconds, 1 s after it was signed) must have passed
    while (($(date +%s) <= stale_from + 1)); do sleep 0.2; done
  else
    sleep 3.2                               # the list the client kept passes its nextUpdate (2 s)
  fi
  echo "capture: fetch 2 of 2: tlslab-mitm answers with the old list"
  run_client "${first_client[@]}" "${client_suites[@]}" "${gets[@]}"
else
  run_client "${first_client[@]}" "${client_suites[@]}" "${gets[@]}"
fi
sleep 0.3                                   # the last segments (FIN, close_notify) reach lo
stop_tshark
packets=$(sed -nE 's/^([0-9]+) packets? captured.*/\1/p' "$work/tshark.err" | tail -n 1)

# key log: both sides write the same line; keep each line once
cat "$keylog" "$work/server.keylog" 2>/dev/null | awk '!seen[$0]++' >"$work/keylog.merged"

# --- stolen-key: the attacker's turn ---------------------------------------------------------
# On a desk of their own, under the names the files will have beside OUT: the recording, and the
# server's key, stolen. tlslab-decrypt exits 3 here: it opens the RSA session, not the ECDHE one.
stolen_status="" stolen_name=$(basename "$base")
if [[ $scenario == stolen-key ]]; then
  mkdir -p "$work/stolen"
  cp -- "$pcap" "$work/stolen/$stolen_name.pcapng" && cp -- "$work/server.key" "$work/stolen/$stolen_name.server.key" ||
    die "cannot prepare the attacker's files"
  echo
  echo "capture: the attacker's turn: the recording, and the server's private key, stolen from the server"
  echo "  \$ tlslab-decrypt --key $(printf %q "$stolen_name.server.key") --keylog-out $(printf %q "$stolen_name.stolen.keylog") $(printf %q "$stolen_name.pcapng")"
  (cd "$work/stolen" && "$bin/tlslab-decrypt" --key "$stolen_name.server.key" \
    --keylog-out "$stolen_name.stolen.keylog" "$stolen_name.pcapng") >"$work/decrypt.out" 2>&1
  stolen_status=$?
  sed 's/^/  /' "$work/decrypt.out"
  [[ -f $work/stolen/$stolen_name.stolen.keylog ]] || : >"$work/stolen/$stolen_name.stolen.keylog"
fi

# --- stolen-ticket-key: the attacker's turn, twice ---------------------------------------------
# The server's private key alone opens neither session (exit 3); its ticket key file alone opens
# both (exit 0), and the recovered key log holds both sessions' lines.
if [[ $scenario == stolen-ticket-key ]]; then
  mkdir -p "$work/stolen"
  cp -- "$pcap" "$work/stolen/$stolen_name.pcapng" && cp -- "$work/server.key" "$work/stolen/$stolen_name.server.key" &&
    cp -- "$work/server.ticketkeys" "$work/stolen/$stolen_name.ticket.keys" || die "cannot prepare the attacker's files"
  chmod 600 "$work/stolen/$stolen_name.server.key" "$work/stolen/$stolen_name.ticket.keys"
  echo
  echo "capture: the attacker's turn: the recording, and the server's private key, stolen from the server"
  echo "  \$ tlslab-decrypt --key $(printf %q "$stolen_name.server.key") $(printf %q "$stolen_name.pcapng")"
  (cd "$work/stolen" && "$bin/tlslab-decrypt" --key "$stolen_name.server.key" "$stolen_name.pcapng") \
    >"$work/decrypt-key.out" 2>&1
  stolen_key_status=$?
  sed 's/^/  /' "$work/decrypt-key.out"
  echo
  echo "capture: and the server's ticket key file, stolen from the server"
  echo "  \$ tlslab-decrypt --ticket-key-file $(printf %q "$stolen_name.ticket.keys") --keylog-out $(printf %q "$stolen_name.stolen.keylog") $(printf %q "$stolen_name.pcapng")"
  (cd "$work/stolen" && "$bin/tlslab-decrypt" --ticket-key-file "$stolen_name.ticket.keys" \
    --keylog-out "$stolen_name.stolen.keylog" "$stolen_name.pcapng") >"$work/decrypt.out" 2>&1
  stolen_status=$?
  sed 's/^/  /' "$work/decrypt.out"
  [[ -f $work/stolen/$stolen_name.stolen.keylog ]] || : >"$work/stolen/$stolen_name.stolen.keylog"
fi

# --- did the scenario go as described? --------------------------------------------------------
expected_alert=""
case $scenario in
  revoked) expected_alert=certificate_revoked ;;
  unknown-ca) expected_alert=unknown_ca ;;
  expired) expected_alert=certificate_expired ;;
  wrong-name) expected_alert=bad_certificate ;;
  ca-down) expected_alert=bad_certificate_status_response ;;
  no-common-suite) expected_alert=handshake_failure ;;
  crl-revoked) expected_alert=certificate_revoked ;;
  crl-stale|crl-replayed) expected_alert=bad_certificate_status_response ;;
esac
result=0
if [[ $scenario == garbage && $garbage_answer != "15 01 00 00 02 02 0a" ]]; then
  echo "capture: expected the alert frame 15 01 00 00 02 02 0a, got '$garbage_answer'" >&2
  result=1
fi
if [[ -z $expected_alert ]]; then
  [[ $client_status == 0 ]] || { echo "capture: tlslab-client failed (exit $client_status)" >&2; result=1; }
  [[ -s $work/keylog.merged ]] || { echo "capture: no key log line was written" >&2; result=1; }
else
  if [[ $client_status == 0 ]] || ! grep -q "$expected_alert" "$work/client.err"; then
    echo "capture: expected the handshake to stop with $expected_alert; client exit $client_status" >&2
    result=1
  fi
fi
if [[ $scenario == crl-stale || $scenario == crl-replayed ]]; then
  first_want=0 first_alert="" why="the CRL is stale"
  [[ $scenario == crl-replayed ]] && first_want=5 first_alert=certificate_revoked why="an old list replayed"
  if [[ $first_status != "$first_want" ]] || ! grep -q -- "$first_alert" <<<"$first_err"; then
    echo "capture: expected the relayed first fetch to end with exit $first_want${first_alert:+ ($first_alert)}; exit $first_status" >&2
    result=1
  fi
  grep -q "$why" "$work/client.err" || { echo "capture: expected the client to say \"$why\"" >&2; result=1; }
fi
if [[ -n $tls ]] && ! grep -q "OCSPRequest (HTTP POST)" "$work/ca.log"; then
  echo "capture: the CA's log shows no OCSP request over HTTP" >&2
  result=1
fi
if [[ $crl == 1 ]] && ! grep -q "CRL request (HTTP GET /crl)" "$work/ca.log"; then
  echo "capture: the CA's log shows no CRL fetch" >&2
  result=1
fi
if [[ $scenario == stolen-key ]]; then
  stolen_lines=$(grep -c . "$work/stolen/$stolen_name.stolen.keylog")
  if [[ $stolen_status != 3 ]] || [[ $(grep -c "^  opened: " "$work/decrypt.out") != 1 ]] ||
     ! grep -q "this session used ECDHE (group x25519)" "$work/decrypt.out"; then
    echo "capture: expected tlslab-decrypt to open the RSA session and refuse the ECDHE one (exit 3); exit $stolen_status" >&2
    result=1
  fi
  if [[ $stolen_lines != 1 ]] || ! grep -qxF -f "$work/stolen/$stolen_name.stolen.keylog" "$work/keylog.merged"; then
    echo "capture: expected the recovered key log to hold the RSA session's line, as the sides wrote it" >&2
    result=1
  fi
fi
if [[ $scenario == stolen-ticket-key ]]; then
  stolen_lines=$(grep -c . "$work/stolen/$stolen_name.stolen.keylog")
  if [[ $stolen_key_status != 3 ]] || grep -q "^  opened: " "$work/decrypt-key.out" ||
     ! grep -q "this session used ECDHE" "$work/decrypt-key.out" ||
     ! grep -q "a resumed session (§7.8): no PRE-MASTER was sent" "$work/decrypt-key.out"; then
    echo "capture: expected tlslab-decrypt --key to open neither session, ECDHE and resumed (exit 3); exit $stolen_key_status" >&2
    result=1
  fi
  if [[ $stolen_status != 0 ]] || [[ $(grep -c "^  opened: " "$work/decrypt.out") != 2 ]]; then
    echo "capture: expected tlslab-decrypt --ticket-key-file to open both sessions (exit 0); exit $stolen_status" >&2
    result=1
  fi
  if [[ $stolen_lines != 2 ]] || ! grep -qxF -f "$work/stolen/$stolen_name.stolen.keylog" "$work/keylog.merged" ||
     [[ $(grep -cxF -f "$work/stolen/$stolen_name.stolen.keylog" "$work/keylog.merged") != 2 ]]; then
    echo "capture: expected the recovered key log to hold both sessions' lines, as the sides wrote them" >&2
    result=1
  fi
fi
if [[ ! -s $pcap || -z $packets || $packets == 0 ]]; then
  echo "capture: nothing was captured:" >&2
  sed 's/^/  /' "$work/tshark.err" >&2
  result=1
fi
if [[ $result != 0 ]]; then
  echo "capture: server log:" >&2; sed 's/^/  /' "$work/server.log" >&2
  echo "capture: CA log:" >&2; sed 's/^/  /' "$work/ca.log" >&2
  [[ -n $mitm_pid ]] && { echo "capture: tlslab-mitm log:" >&2; sed 's/^/  /' "$work/mitm.log" >&2; }
fi

# --- the files, for their user -------------------------------------------------------------
# deliver FILE DEST MODE: FILE gets MODE and its owner in the private $work, then replaces DEST
# by a rename, which replaces a link planted at DEST instead of following it (across file
# systems, mv removes DEST before it copies).
deliver() {
  chmod "$3" -- "$1" || return 1
  if [[ -n $owner ]]; then chown "$owner" -- "$1" || return 1; fi
  mv -fT -- "$1" "$2"
}
[[ -f $pcap ]] || : >"$pcap"
deliver "$pcap" "$out" 0644 || die "cannot write $out"
deliver "$work/keylog.merged" "$keylog_out" 0600 || die "cannot write $keylog_out"
report_written=0
if [[ -s $report ]]; then
  deliver "$report" "$report_out" 0644 || die "cannot write $report_out"
  report_written=1
fi
if [[ -n $trace_out && -f $trace ]]; then deliver "$trace" "$trace_out" 0644 || die "cannot write $trace_out"; fi
if [[ $scenario == stolen-key ]]; then
  deliver "$work/stolen/$stolen_name.server.key" "$base.server.key" 0600 || die "cannot write $base.server.key"
  deliver "$work/stolen/$stolen_name.stolen.keylog" "$base.stolen.keylog" 0600 || die "cannot write $base.stolen.keylog"
fi
if [[ $scenario == stolen-ticket-key ]]; then
  deliver "$work/stolen/$stolen_name.server.key" "$base.server.key" 0600 || die "cannot write $base.server.key"
  deliver "$work/stolen/$stolen_name.ticket.keys" "$base.ticket.keys" 0600 || die "cannot write $base.ticket.keys"
  deliver "$work/stolen/$stolen_name.stolen.keylog" "$base.stolen.keylog" 0600 || die "cannot write $base.stolen.keylog"
fi

q() { printf '%q' "$1"; }
# Who opens the files: their owner (the user who ran sudo), or whoever runs this. When the
# dissector is in that user's personal Lua plugin folder (scripts/wireshark/install.sh), Wireshark
# loads it at start-up: -X would load it a second time, which tshark 4.0 refuses ("two protocols
# with the same description") unless the -X copy steps aside, as tlslab.lua now does. (Only the
# file is looked at: nothing of that user's runs.)
viewer_home=$HOME
if [[ -n $owner && ${owner%%:*} != "$EUID" ]]; then
  viewer_home=$(getent passwd "${owner%%:*}" | cut -d: -f6)
fi
installed=""
[[ -n $viewer_home && -f $viewer_home/.local/lib/wireshark/plugins/tlslab.lua ]] &&
  installed=$viewer_home/.local/lib/wireshark/plugins/tlslab.lua
lua=""  # the options that load the dissector, each followed by a space
[[ -z $installed ]] && lua="-X lua_script:$(q "$dissector") "
# garbage: what the server answered to "GET /" is found by the port (Wireshark takes the
# connection for HTTP), so the commands say that the server's port is tlslab.
[[ $scenario == garbage ]] && lua+="-d tcp.port==$server_port,tlslab "
keys=""  # the decryption option, only when there is something to decrypt with
[[ -s $keylog_out ]] && keys="-o tlslab.keylog_file:$(q "$keylog_out") "
if [[ -n $tls ]]; then  # Wireshark's own TLS dissector, with the NSS key log libssl wrote
  lua=""
  [[ -s $keylog_out ]] && keys="-o tls.keylog_file:$(q "$keylog_out") "
fi
width=${#out}
file_line() { printf '  %-*s  %s\n' "$width" "$(q "$1")" "$2"; }
echo
echo "capture: wrote${owner_name:+, for $owner_name}:"
file_line "$out" "the capture (${packets:-0} packets)"
if [[ $scenario == stolen-key || $scenario == stolen-ticket-key ]]; then
  file_line "$keylog_out" "the key log the two ends wrote, a line per session (mode 0600): what no attacker has for ECDHE"
elif [[ -n $keys ]]; then
  file_line "$keylog_out" "the key log (mode 0600: it holds the session's master secret)"
else
  file_line "$keylog_out" "the key log, empty: the handshake stopped before the key exchange, nothing is encrypted"
fi
if [[ $scenario == stolen-key ]]; then
  file_line "$base.server.key" "the server's private key, as the attacker stole it (mode 0600)"
  file_line "$base.stolen.keylog" "the key log the attacker recovered with it: the RSA session's line only (mode 0600)"
fi
if [[ $scenario == stolen-ticket-key ]]; then
  file_line "$base.server.key" "the server's private key, as the attacker stole it: it opens neither session (mode 0600)"
  file_line "$base.ticket.keys" "the server's ticket key file, as the attacker stole it (mode 0600)"
  file_line "$base.stolen.keylog" "the key log the attacker recovered with it: both sessions' lines (mode 0600)"
fi
if [[ $report_written == 1 ]]; then
  file_line "$report_out" "the client's report: the diagram of this run, every frame byte by byte (open it in a browser)"
fi
as_yourself=""
[[ $EUID == 0 ]] && as_yourself=" (as yourself, not root)"
[[ -n $installed ]] && echo "The tlslab dissector is installed ($(q "$installed")): the commands leave -X lua_script: out."
if [[ -n $tls ]]; then
  echo "Open it in Wireshark (its own TLS dissector${keys:+, with the key log}; no tlslab dissector needed)$as_yourself:"
  echo "  wireshark ${keys}-d tcp.port==$server_port,tls -Y 'tls || ocsp' $(q "$out")"
  echo "or read it with tshark (the handshake messages${keys:+; then the decrypted request URIs}):"
  echo "  tshark -r $(q "$out") ${keys}-d tcp.port==$server_port,tls -Y tls.handshake -T fields -e frame.number -e tls.handshake.type"
  [[ -n $keys ]] && echo "  tshark -r $(q "$out") ${keys}-d tcp.port==$server_port,tls -Y http.request -T fields -e http.request.uri"
  echo "Arrows 3-4, as Wireshark's own HTTP and OCSP dissectors show them:"
  echo "  tshark -r $(q "$out") -d tcp.port==$http_port,http -Y ocsp -T fields -e http.request.method -e ocsp.serialNumber -e ocsp.certStatus"
else
echo "Open it in Wireshark with the tlslab dissector${keys:+ and the key log}$as_yourself:"
echo "  wireshark ${lua}${keys}-Y tlslab $(q "$out")"
echo "or read it with tshark (one line per frame${keys:+; then the decrypted request URIs}):"
echo "  tshark -r $(q "$out") ${lua}${keys}-Y tlslab"
[[ -n $keys ]] && echo "  tshark -r $(q "$out") ${lua}${keys}-Y http.request -T fields -e http.request.uri"
fi
if [[ $scenario == stolen-key ]]; then
  echo "The attacker's view, as yourself: tlslab-decrypt with the stolen key, then Wireshark with the key log it"
  echo "recovered (the ECDHE session stays closed: only /?recorded=rsa comes out):"
  echo "  $(q "$bin/tlslab-decrypt") --key $(q "$base.server.key") --keylog-out $(q "$base.stolen.keylog") $(q "$out")"
  echo "  tshark -r $(q "$out") ${lua}-o tlslab.keylog_file:$(q "$base.stolen.keylog") -Y http.request -T fields -e http.request.uri"
fi
if [[ $scenario == stolen-ticket-key ]]; then
  echo "The attacker's view, as yourself: tlslab-decrypt with the stolen ticket key, then Wireshark with the key log it"
  echo "recovered (both sessions open, the ECDHE one too: /?recorded=full and /?recorded=resumed come out):"
  echo "  $(q "$bin/tlslab-decrypt") --ticket-key-file $(q "$base.ticket.keys") --keylog-out $(q "$base.stolen.keylog") $(q "$out")"
  echo "  tshark -r $(q "$out") ${lua}-o tlslab.keylog_file:$(q "$base.stolen.keylog") -Y http.request -T fields -e http.request.uri"
fi
if [[ -n $expected_alert || $scenario == garbage ]]; then
  echo "  tshark -r $(q "$out") ${lua}-Y tlslab.alert.description -T fields -e tlslab.alert.description"
fi
if [[ $crl == 1 ]]; then
  # Wireshark's own HTTP dissector, told the ports (it claims 80, 8080, … by itself); the body is a
  # CertificateList, which it hands to its PKIX dissector.
  decode="-d tcp.port==$http_port,http"
  [[ -n $mitm_port ]] && decode+=" -d tcp.port==$mitm_port,http"
  echo "The CRL fetch, as Wireshark's own HTTP dissector shows it (the request, then the signed list):"
  echo "  tshark -r $(q "$out") $decode -Y 'http.request.uri == \"/crl\" || http.content_type == \"application/pkix-crl\"'"
fi
exit "$result"
