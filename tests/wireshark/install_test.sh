#!/usr/bin/env bash
# Checks scripts/wireshark/install.sh in a private HOME, plugin folder and configuration folder:
# the dissector it installs (tlslab.lua and its modules tlslab/*.lua) is loaded by plain tshark
# (no -X), dissects and decrypts, with nothing registered twice although Wireshark also runs the
# modules as plugins; the coloring rules (scripts/wireshark/colorfilters) color tlslab packets
# without clobbering the user's own rules; --uninstall takes both out again. Also: the README's
# `-X lua_script:` works from other working directories, the entry file finding its modules.
#
# Exit status: 0 all checks passed; 1 a check failed; 77 skipped (tshark or python3's
# cryptography module missing, or tshark cannot load lua-luaossl: then the other checks run and
# must pass, and the result says that decryption was not checked).
# Environment: TSHARK (default tshark), PYTHON (default python3), KEEP=1 keeps the work dir.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
install_sh=$root/scripts/wireshark/install.sh
TSHARK=${TSHARK:-tshark}
PYTHON=${PYTHON:-python3}

skip() { echo "SKIP: $*"; exit 77; }
command -v "$TSHARK" >/dev/null 2>&1 || skip "tshark is not installed (Debian: apt install tshark)"
"$PYTHON" -c 'import cryptography' 2>/dev/null || skip "$PYTHON has no 'cryptography' module"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlslab-install.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi

failures=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }
expect_eq() {  # expect_eq WHAT GOT WANT
  if [[ "$2" == "$3" ]]; then pass; else fail "$1: got '$2', expected '$3'"; fi
}

"$PYTHON" "$here/make_pcap.py" "$work/pcap" --seed 20240101 >"$work/make_pcap.log" 2>&1 ||
  { cat "$work/make_pcap.log"; echo "FAIL: make_pcap.py failed"; exit 1; }
good=$work/pcap/tlslab-good.pcap
keylog=(-o "tlslab.keylog_file:$work/pcap/keylog.txt")
not_run=()  # checks that could not run here: the result is then "skipped", not "passed"

# as_user NAME COMMAND...: COMMAND for user NAME, with a HOME of its own (install.sh finds the
# plugin and configuration folders under it, as Wireshark does)
as_user() {
  local home=$work/$1; shift
  mkdir -p "$home"
  HOME=$home XDG_CONFIG_HOME=$home/.config "$@"
}
# colored NAME: frame number and coloring rule of each tlslab packet, tshark as user NAME (no -X)
colored() {
  as_user "$1" "$TSHARK" -n -r "$good" --color -Y tlslab -T fields -e frame.number \
    -e tlslab.handshake.type -e frame.coloring_rule.name 2>>"$work/stderr"
}

# --- 1. a user with coloring rules of their own ---------------------------------------------------
mkdir -p "$work/alice/.config/wireshark"
own_rules='# my rules
@my UDP@udp@[0,0,0][65535,0,0]
@my TCP@tcp@[0,0,0][0,65535,0]'
printf '%s\n' "$own_rules" >"$work/alice/.config/wireshark/colorfilters"
if as_user alice bash "$install_sh" >"$work/alice.log" 2>&1; then pass; else fail "install.sh: $(cat "$work/alice.log")"; fi
cf=$work/alice/.config/wireshark/colorfilters
expect_eq "colorfilters: the tlslab block first, the user's rules kept after it" \
  "$(cat "$cf")" "$(cat "$root/scripts/wireshark/colorfilters"; printf '%s' "$own_rules")"
cp "$cf" "$work/alice.colorfilters"
as_user alice bash "$install_sh" >>"$work/alice.log" 2>&1
expect_eq "colorfilters: a second install adds nothing" "$(cat "$cf")" "$(cat "$work/alice.colorfilters")"
rules=$(colored alice)
# packet -> rule: the first tlslab rule that matches, never "my TCP"
expect_eq "ClientHello colored by its rule" "$(awk -F'\t' '$2 == 1 { print $3 }' <<<"$rules" | sort -u)" \
  "tlslab (1) ClientHello, RAND-CLIENT"
expect_eq "ServerHello colored by its rule" "$(awk -F'\t' '$2 == 2 { print $3 }' <<<"$rules" | sort -u)" \
  "tlslab (2) ServerHello, RAND-SERVER"
expect_eq "CA status colored by its rule" "$(awk -F'\t' '$2 == "64" || $2 == "65" { print $3 }' <<<"$rules" | sort -u)" \
  "tlslab (3) (4) CA status request and response"
expect_eq "no tlslab packet colored by another rule" "$(awk -F'\t' '$3 !~ /^tlslab/' <<<"$rules")" ""

# the dissector, from the plugin folder alone
plugins=$work/alice/.local/lib/wireshark/plugins
expect_eq "installed files" "$(cd "$plugins" && find . -type f | sort | tr '\n' ' ')" \
  "$(cd "$root/scripts/wireshark" && find tlslab.lua tlslab -name '*.lua' | sed 's|^|./|' | sort | tr '\n' ' ')"
expect_eq "plain tshark (no -X) dissects: one RAND-CLIENT per session" \
  "$(as_user alice "$TSHARK" -n -r "$good" -Y tlslab.client_random -T fields -e frame.number 2>>"$work/stderr" | grep -c .)" 3
# Whether the installed dissector can decrypt is tshark's to say (the lua-luaossl of the Lua that
# tshark embeds), not whether some lua5.2 on the PATH has it: the dissector marks each frame it
# could not decrypt, naming lua-luaossl when that is the reason.
not_decrypted=$(as_user alice "$TSHARK" -n -r "$good" "${keylog[@]}" -Y tlslab.expert.not_decrypted -V 2>>"$work/stderr")
if grep -q "lua-luaossl" <<<"$not_decrypted"; then
  not_run+=("plain tshark decrypting with the key log ($(grep -m1 -o 'lua-luaossl[^]]*' <<<"$not_decrypted"))")
else
  expect_eq "plain tshark (no -X) decrypts with the key log" \
    "$(as_user alice "$TSHARK" -n -r "$good" "${keylog[@]}" -Y http.request -T fields -E occurrence=a \
       -E aggregator=, -e http.request.uri 2>>"$work/stderr" | tr ',' '\n' | grep -c .)" 6
fi
as_user alice "$TSHARK" -G fields >"$work/alice.fields" 2>>"$work/stderr"
expect_eq "each field registered once" "$(grep -cP '\ttlslab\.client_random\t' "$work/alice.fields")" 1
expect_eq "the protocol registered once" "$(grep -cP '^P\t[^\t]*\ttlslab$' "$work/alice.fields")" 1

# the modules alone, as Wireshark runs them from a plugin folder: they register nothing
mkdir -p "$work/modules-only/.local/lib/wireshark/plugins"
cp -r "$plugins/tlslab" "$work/modules-only/.local/lib/wireshark/plugins/"
expect_eq "modules run as plugins register nothing" \
  "$(as_user modules-only "$TSHARK" -G fields 2>>"$work/stderr" | grep -c 'tlslab')" 0

# --- 2. -X lua_script from other working directories (nothing installed) ------------------------
xcount() {  # xcount DIR SCRIPT: RAND-CLIENTs that tshark, started in DIR with -X SCRIPT, finds
  (cd "$1" && as_user nobody "$TSHARK" -n -r "$good" -X "lua_script:$2" -Y tlslab.client_random \
     -T fields -e frame.number 2>>"$work/stderr" | grep -c .)
}
expect_eq "-X with an absolute path, from elsewhere" "$(xcount "$work" "$root/scripts/wireshark/tlslab.lua")" 3
expect_eq "-X as the README says, from the repository" "$(xcount "$root" scripts/wireshark/tlslab.lua)" 3
expect_eq "-X from the dissector's own folder" "$(xcount "$root/scripts/wireshark" tlslab.lua)" 3
expect_eq "-X with a relative path from a subfolder" "$(xcount "$root/tests" ../scripts/wireshark/tlslab.lua)" 3

# --- 3. a user without colorfilters: Wireshark's default rules come along -------------------------
as_user bob bash "$install_sh" >"$work/bob.log" 2>&1 || fail "install.sh (bob): $(cat "$work/bob.log")"
cf=$work/bob/.config/wireshark/colorfilters
if head -n 1 "$cf" | grep -q '^# tlslab: begin' && grep -q '^@Bad TCP@' "$cf" && grep -q '^@TCP@tcp@' "$cf"; then
  pass
else
  fail "bob's colorfilters should be the tlslab block, then Wireshark's default rules: $(head -c 400 "$cf")"
fi
expect_eq "bob: packets outside tlslab keep the default colors" \
  "$(as_user bob "$TSHARK" -n -r "$good" --color -Y 'tcp.flags.syn == 1 && !tlslab' -T fields \
     -e frame.coloring_rule.name 2>>"$work/stderr" | sort -u)" "TCP SYN/FIN"

# --- 4. WIRESHARK_PLUGIN_DIR, --no-colorfilters, and rules the user changed ------------------------
as_user carol env WIRESHARK_PLUGIN_DIR="$work/carol-plugins" bash "$install_sh" --no-colorfilters \
  >"$work/carol.log" 2>&1
if [[ -f $work/carol-plugins/tlslab.lua && -f $work/carol-plugins/tlslab/render.lua ]]; then pass; else
  fail "WIRESHARK_PLUGIN_DIR: not installed in $work/carol-plugins"; fi
if [[ -e $work/carol/.config/wireshark/colorfilters ]]; then fail "--no-colorfilters wrote colorfilters"; else pass; fi
mkdir -p "$work/carol/.config/wireshark"
printf '@tlslab mine@tlslab@[0,0,0][0,0,65535]\n' >"$work/carol/.config/wireshark/colorfilters"
as_user carol bash "$install_sh" >>"$work/carol.log" 2>&1
expect_eq "a tlslab rule of the user's: left as it is" \
  "$(cat "$work/carol/.config/wireshark/colorfilters")" "@tlslab mine@tlslab@[0,0,0][0,0,65535]"

# --- 5. --uninstall -------------------------------------------------------------------------------
as_user alice bash "$install_sh" --uninstall >>"$work/alice.log" 2>&1
expect_eq "uninstall: only the user's rules are left" "$(cat "$work/alice/.config/wireshark/colorfilters")" "$own_rules"
left=$(find "$plugins" -mindepth 1)
if [[ -z $left ]]; then pass; else fail "uninstall left: $left"; fi

# (no "Lua: Error", nothing registered twice)
grep -v "Running as user" "$work/stderr" >"$work/stderr.unexpected" 2>/dev/null
if [[ -s $work/stderr.unexpected ]]; then fail "tshark wrote to stderr:"; head -20 "$work/stderr.unexpected"; else pass; fi

if [[ $failures -gt 0 ]]; then
  echo "install_test: $failures of $checks checks FAILED (KEEP=1 keeps the work dir)"
  exit 1
fi
if [[ ${#not_run[@]} -gt 0 ]]; then
  skip "all $checks checks passed, but these did not run: ${not_run[*]}"
fi
echo "install_test: all $checks checks passed"
