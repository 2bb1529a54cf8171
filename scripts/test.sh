#!/usr/bin/env bash
# The test command: installs what is missing, configures, builds with 2 jobs, runs every test.
# Exit code = result. Environment:
#   CI=true                warnings are errors
#   TLSLAB_SANITIZE=1      build and test with ASan+UBSan in build-asan/, with clang, and the
#                          fuzzers too: their smoke runs (ctest label fuzz, as in scripts/fuzz.sh
#                          smoke) are part of that run, so CI compiles the libraries once for both
#   TLSLAB_BUILD_DIR=DIR   build directory (default build/, or build-asan/ with sanitizers)
#   CTEST_ARGS="..."       extra ctest arguments (e.g. "-R e2e")
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=${TLSLAB_SANITIZE:-0}
# The sanitizer build uses clang and its libFuzzer runtime (TLSLAB_FUZZ=1 installs them).
if [[ "$sanitize" == 1 ]]; then TLSLAB_FUZZ=1 ./scripts/setup.sh; else ./scripts/setup.sh; fi

default_dir=build
[[ "$sanitize" == 1 ]] && default_dir=build-asan
build_dir=${TLSLAB_BUILD_DIR:-$default_dir}
werror=OFF
[[ "${CI:-}" == true || "${CI:-}" == 1 ]] && werror=ON
san=OFF
[[ "$sanitize" == 1 ]] && san=ON

echo "test: configuring $build_dir (warnings as errors: $werror, sanitizers: $san)"
# The sanitizer build skips the Google Benchmark micro-benchmarks (they are not tests).
benchmarks=ON
compiler=()
fuzz=OFF
if [[ "$sanitize" == 1 ]]; then
  benchmarks=OFF
  compiler=(-DCMAKE_CXX_COMPILER=clang++)
  fuzz=ON
fi
cmake -S . -B "$build_dir" -G Ninja -DTLSLAB_WERROR="$werror" -DTLSLAB_SANITIZE="$san" \
  -DTLSLAB_BUILD_BENCHMARKS="$benchmarks" -DTLSLAB_FUZZ="$fuzz" "${compiler[@]}"
echo "test: building with 2 jobs"
cmake --build "$build_dir" -j 2
echo "test: running ctest"
if [[ "$sanitize" == 1 ]]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
# The sanitizer run checks our C++: it leaves to the plain run the tests that run none of it (label
# script_only: the style check, the dissector on synthetic captures, the page template on synthetic
# data) and those that check only what Wireshark or a browser shows of sessions the other tests
# already run under the sanitizers (label display_only: layout, themes, captures).
skip_labels=()
[[ "$sanitize" == 1 ]] && skip_labels=(-LE 'script_only|display_only')
# shellcheck disable=SC2086
ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 300 "${skip_labels[@]}" ${CTEST_ARGS:-}
