#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of tests/fuzz (issue 7).
#
#   scripts/fuzz.sh smoke                 build, then ctest -L fuzz: every fuzzer replays its seeds
#                                         and mutates for 3 s
#   scripts/fuzz.sh run NAME [SECONDS]    build, then fuzz NAME (client_hello or fuzz_client_hello)
#                                         for SECONDS (default 60)
#   scripts/fuzz.sh run all [SECONDS]     the same for every fuzzer, one after the other
#   scripts/fuzz.sh list                  the fuzzers' names
#   scripts/fuzz.sh build                 configure and build only
#
# Installs clang and its libFuzzer runtime first (scripts/setup.sh with TLSLAB_FUZZ=1). Builds in
# build-fuzz with clang, -DTLSLAB_FUZZ=ON, no benchmarks. Environment:
#   JOBS=2            parallel compile jobs (default 2)
#   FUZZ_ARGS="..."   extra libFuzzer flags for `run`, e.g. FUZZ_ARGS="-max_len=4096"
# A long run adds what it finds to build-fuzz/tests/fuzz/corpus-new/fuzz_NAME (never to the
# committed seeds) and writes crashing inputs to tests/fuzz/artifacts/ (gitignored); replay one
# with: build-fuzz/bin/fuzz_NAME tests/fuzz/artifacts/fuzz_NAME-crash-...
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-fuzz"
artifacts="$root/tests/fuzz/artifacts"
jobs=${JOBS:-2}

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

fuzzers() {
  sed -n '/^set(tlslab_fuzzers$/,/^)/p' "$root/tests/fuzz/CMakeLists.txt" | sed '1d;$d' | tr -d ' '
}

build_fuzzers() {
  TLSLAB_FUZZ=1 "$root/scripts/setup.sh"
  local generator=()
  if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" "${generator[@]}" \
    -DTLSLAB_FUZZ=ON -DTLSLAB_BUILD_BENCHMARKS=OFF >/dev/null
  # Only the fuzzers (and the libraries under them): the rest of the project is built and tested by
  # scripts/test.sh already.
  local targets=()
  local name
  for name in $(fuzzers); do targets+=("fuzz_$name"); done
  cmake --build "$build" -j "$jobs" --target "${targets[@]}"
  mkdir -p "$artifacts"
}

# One fuzzer for SECONDS; prints its executions and whether it crashed.
run_one() {
  local name=${1#fuzz_} seconds=$2
  local target="fuzz_$name"
  local binary="$build/bin/$target"
  [[ -x $binary ]] || { echo "fuzz: no fuzzer '$name' (scripts/fuzz.sh list)" >&2; return 2; }
  local scratch="$build/tests/fuzz/corpus-new/$target"
  local log="$build/tests/fuzz/$target.log"
  mkdir -p "$scratch"
  echo "== $target: ${seconds}s"
  local status=0
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" ${FUZZ_ARGS:-} \
    "$scratch" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  local executions
  executions=$(awk '/stat::number_of_executed_units/ {n = $2} END {print n + 0}' "$log")
  local crashes
  crashes=$(grep -c -E '^==[0-9]+==ERROR|^SUMMARY: |fuzz invariant violated|deadly signal|runtime error:' "$log" || true)
  local corpus_size
  corpus_size=$(find "$scratch" -type f | wc -l)
  if [[ $status -eq 0 ]]; then
    printf '   %s: %s executions in %ss, no crash (%s new inputs in %s)\n' \
      "$target" "$executions" "$seconds" "$corpus_size" "${scratch#"$root"/}"
  else
    printf '   %s: %s executions, CRASH (exit %s, %s report lines); log %s\n' \
      "$target" "$executions" "$status" "$crashes" "${log#"$root"/}"
    grep -E 'fuzz invariant violated|ERROR: |SUMMARY: |runtime error:|Test unit written to' "$log" | head -8 | sed 's/^/     /'
  fi
  return "$status"
}

command=${1:-}
case "$command" in
  list)
    fuzzers
    ;;
  build)
    build_fuzzers
    ;;
  smoke)
    build_fuzzers
    ctest --test-dir "$build" -L fuzz --output-on-failure -j 1
    ;;
  run)
    name=${2:-}
    seconds=${3:-60}
    [[ -n $name ]] || usage
    [[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a whole number" >&2; exit 2; }
    build_fuzzers
    if [[ $name == all ]]; then
      failed=()
      for each in $(fuzzers); do run_one "$each" "$seconds" || failed+=("$each"); done
      if [[ ${#failed[@]} -gt 0 ]]; then
        echo "fuzz: crashes in: ${failed[*]} (inputs in ${artifacts#"$root"/}/)"
        exit 1
      fi
      echo "fuzz: no crash in $(fuzzers | wc -l) fuzzers"
    else
      run_one "$name" "$seconds"
    fi
    ;;
  *)
    usage
    ;;
esac
