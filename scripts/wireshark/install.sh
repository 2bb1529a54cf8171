#!/usr/bin/env bash
# Installs the tlslab Wireshark dissector (tlslab.lua) into your personal Lua plugin folder,
# where Wireshark and tshark load it at start-up. Re-running updates it.
#
#   scripts/wireshark/install.sh              install (or update)
#   scripts/wireshark/install.sh --uninstall  remove it again
#
# The folder is the one Wireshark reports as "Personal Lua Plugins" (tshark -G folders),
# normally ~/.local/lib/wireshark/plugins; set WIRESHARK_PLUGIN_DIR to override.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_file="$here/tlslab.lua"

plugin_dir=${WIRESHARK_PLUGIN_DIR:-}
if [[ -z $plugin_dir ]] && command -v tshark >/dev/null 2>&1; then
  plugin_dir=$(tshark -G folders 2>/dev/null | sed -n 's/^Personal Lua Plugins:[[:space:]]*//p' | head -n 1)
fi
plugin_dir=${plugin_dir:-$HOME/.local/lib/wireshark/plugins}
target="$plugin_dir/tlslab.lua"

if [[ ${1:-} == --uninstall ]]; then
  rm -f "$target"
  echo "install: removed $target"
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--uninstall]" >&2
  exit 2
fi

mkdir -p "$plugin_dir"
install -m 0644 "$source_file" "$target"
echo "install: tlslab dissector installed as $target"

if ! command -v tshark >/dev/null 2>&1; then
  echo "install: note: tshark/Wireshark is not installed (Debian: apt install tshark)"
fi
# Decryption needs lua-luaossl for Lua 5.2 (the Lua version Wireshark 4.0 embeds), with its
# openssl.kdf module: OpenSSL's TLS1-PRF derives the keys (nothing is hand-written in the
# dissector). AEAD tags are not verified by the dissector (luaossl cannot pass associated data).
if command -v lua5.2 >/dev/null 2>&1 &&
   ! lua5.2 -e 'require "openssl.cipher"; require "openssl.digest"; require "openssl.kdf"' >/dev/null 2>&1; then
  echo "install: note: lua-luaossl (with openssl.kdf) is missing, protected frames will not be" \
       "decrypted (Debian: apt install lua-luaossl)"
fi
cat <<EOF
install: tlslab frames are recognised on TCP ports 4433/4434 and, heuristically, on any port.
install: to decrypt, give the key log written by tlslab-client/-server (--keylog FILE):
  Wireshark: Edit > Preferences > Protocols > tlslab > Key log file
  tshark:    tshark -r capture.pcap -o tlslab.keylog_file:/path/to/keylog.txt
EOF
