#!/usr/bin/env bash
# Formats the C++ sources with the repository's .clang-format.
#
#   scripts/format.sh            rewrites the files in place
#   scripts/format.sh --check    changes nothing; lists each file that differs, exit 1 if any
#                                (ctest style.clang-format runs this)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-}
case $mode in
  ""|--check) ;;
  *) echo "format: unknown argument '$mode' (only --check)" >&2; exit 2 ;;
esac
command -v clang-format >/dev/null || { echo "format: clang-format is not installed (scripts/setup.sh installs it)" >&2; exit 77; }

mapfile -d '' files < <(cd "$root" && find bench ca client common decrypt mitm report server tests \
  \( -name '*.cpp' -o -name '*.hpp' \) -not -path '*/corpus/*' -print0 | sort -z)
cd "$root"
if [[ $mode == --check ]]; then
  bad=()
  for file in "${files[@]}"; do
    clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || bad+=("$file")
  done
  if ((${#bad[@]})); then
    printf 'not formatted: %s\n' "${bad[@]}" >&2
    echo "format: ${#bad[@]} of ${#files[@]} files differ from .clang-format; run scripts/format.sh" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files follow .clang-format"
else
  clang-format -i "${files[@]}"
  echo "format: ${#files[@]} files formatted"
fi
