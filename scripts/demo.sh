#!/usr/bin/env bash
# The demo: installs what is missing, builds, makes a CA and a server certificate, starts the CA
# service and the server on free local ports, runs the client with --show-secrets and one
# request, shows the three programs' traces, and stops everything it started (also on Ctrl-C).
# It ends with the path of the client's report of the run (certs/demo/run.html), for a browser, and
# of the page of all three parties (certs/demo/merged.html: tlslab-report merges the three programs'
# --trace-json files).
#   ./scripts/demo.sh [--fs] [--keep]
#     --fs    forward secrecy: the ECDHE variant (arrow 5 carries a key share, not the PRE-MASTER)
#     --keep  leave CA and server running until Ctrl-C
# TLSLAB_DEMO_DIR=DIR puts the demo's files in DIR instead of certs/demo.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
keep=0
suites=()
for argument in "$@"; do
  case $argument in
    --keep) keep=1 ;;
    --fs) suites=(--suites ecdhe-aes128gcm) ;;
    *) echo "demo.sh: unknown option '$argument' (known: --fs, --keep)" >&2; exit 2 ;;
  esac
done
trap tlslab_stop_all EXIT INT TERM

echo "== building (2 jobs)"
tlslab_build tlslab-report | tail -n 1

# certs/demo holds private keys, the key log and a server log with --show-secrets: private files.
umask 077
demo=${TLSLAB_DEMO_DIR:-$TLSLAB_ROOT/certs/demo}
shown=${demo#"$TLSLAB_ROOT"/}
rm -rf "$demo"
mkdir -p "$demo/ca"
echo "== CA: a key, a self-signed certificate and a database in $shown/ca"
"$TLSLAB_BIN/tlslab-ca" init --dir "$demo/ca" --cn "tlslab Demo Root CA" | sed 's/^/   /'
echo "== CA: a server certificate for localhost"
"$TLSLAB_BIN/tlslab-ca" issue --dir "$demo/ca" --cn localhost --san DNS:localhost,IP:127.0.0.1 \
  --out-cert "$demo/server.crt" --out-key "$demo/server.key" | sed 's/^/   /'

tlslab_start ca_port "tlslab-ca serve" "$demo/ca.log" '.*status service listening on [0-9.]+:([0-9]+).*' \
  "$TLSLAB_BIN/tlslab-ca" serve --dir "$demo/ca" --listen 127.0.0.1:0 --ocsp-http 127.0.0.1:0 \
  --trace-json "$demo/ca.jsonl"
tlslab_start server_port "tlslab-server" "$demo/server.log" '.*listening on [0-9.]+:([0-9]+).*' \
  "$TLSLAB_BIN/tlslab-server" --cert "$demo/server.crt" --key "$demo/server.key" --listen 127.0.0.1:0 \
  --show-secrets --keylog "$demo/keylog.txt" --trace-json "$demo/server.jsonl"
echo "== CA service on 127.0.0.1:$ca_port, server on 127.0.0.1:$server_port"
echo
echo "== the client's side (tlslab-client --show-secrets ${suites[*]:+${suites[*]} }--get / --report $shown/run.html)"
"$TLSLAB_BIN/tlslab-client" --connect "127.0.0.1:$server_port" --ca-service "127.0.0.1:$ca_port" \
  --trust "$demo/ca/ca.crt" --server-name localhost --show-secrets --keylog "$demo/keylog.txt" \
  "${suites[@]}" --get / --output "$demo/response.html" --report "$demo/run.html" --trace-json "$demo/client.jsonl"
echo
echo "== the server's side (from $shown/server.log)"
sleep 0.2
grep -v '^tlslab-server:' "$demo/server.log" | grep -v '\] info ' || true
echo
echo "== the CA's side, arrows 3 and 4 (from $shown/ca.log)"
grep -v '^tlslab-ca:' "$demo/ca.log" | grep -v '\] info ' || true
echo
echo "== the response body was saved to $shown/response.html ($(wc -c <"$demo/response.html") bytes)"
echo "== key log (NSS format, for Wireshark): $shown/keylog.txt"
echo "== CA certificate (the trust store): $shown/ca/ca.crt; server: $shown/server.crt"
echo "== open $shown/run.html in a browser: the diagram of this run, byte by byte"
# The server writes its trace from a thread of its own: its answer to the request is the last line.
for _ in $(seq 1 100); do
  grep -q '"arrow":8,"from":"Server"' "$demo/server.jsonl" 2>/dev/null && break
  sleep 0.05
done
"$TLSLAB_BIN/tlslab-report" "$demo/client.jsonl" "$demo/server.jsonl" "$demo/ca.jsonl" \
  --report "$demo/merged.html" --plantuml "$demo/merged.puml" >/dev/null
echo "== all three parties in one page (tlslab-report client.jsonl server.jsonl ca.jsonl): open $shown/merged.html"
if [[ $keep == 1 ]]; then
  echo "== CA and server keep running; try:"
  echo "   build/bin/tlslab-client --connect 127.0.0.1:$server_port --ca-service 127.0.0.1:$ca_port --trust $shown/ca/ca.crt --server-name localhost"
  echo "== Ctrl-C to stop"
  wait
fi
