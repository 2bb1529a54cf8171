#!/usr/bin/env bash
# The test command: installs what is missing, configures, builds with 2 jobs, runs every test.
# Exit code = result. Environment:
#   CI=true                warnings are errors
#   TLSLAB_SANITIZE=1      build and test with ASan+UBSan in build-asan/
#   TLSLAB_BUILD_DIR=DIR   build directory (default build/, or build-asan/ with sanitizers)
#   CTEST_ARGS="..."       extra ctest arguments (e.g. "-R e2e")
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

sanitize=${TLSLAB_SANITIZE:-0}
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
[[ "$sanitize" == 1 ]] && benchmarks=OFF
cmake -S . -B "$build_dir" -G Ninja -DTLSLAB_WERROR="$werror" -DTLSLAB_SANITIZE="$san" \
  -DTLSLAB_BUILD_BENCHMARKS="$benchmarks"
echo "test: building with 2 jobs"
cmake --build "$build_dir" -j 2
echo "test: running ctest"
if [[ "$sanitize" == 1 ]]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
# The sanitizer run checks our C++: it leaves the tests that run none of it (label script_only:
# the style check, the dissector on synthetic captures, the page template on synthetic data) to
# the plain run.
skip_labels=()
[[ "$sanitize" == 1 ]] && skip_labels=(-LE script_only)
# shellcheck disable=SC2086
ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 300 "${skip_labels[@]}" ${CTEST_ARGS:-}
