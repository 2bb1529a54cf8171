#!/usr/bin/env bash
# Installs what tlslab needs on Debian 12, and nothing that is already there.
# Idempotent and non-interactive. Set TLSLAB_FUZZ=1 to also install clang's libFuzzer runtime.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config clang-format
  libboost1.81-dev libssl-dev openssl
  libspdlog-dev libfmt-dev libcli11-dev libsqlite3-dev sqlite3 libtins-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  tshark lua5.2 lua-luaossl
  python3 python3-cryptography iproute2 curl procps gnutls-bin xxd
  chromium chromium-driver python3-selenium plantuml
)
if [[ "${TLSLAB_FUZZ:-0}" == 1 ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer 'no' without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo_cmd[@]}" debconf-set-selections
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
