#!/usr/bin/env bash
# Run every test: unit suites (Check), fuzz-corpus replays, and integration
# tests against a real Knot DNS server and a fault responder on loopback,
# all built with AddressSanitizer and UBSan; the unit tests and replays
# also run under valgrind, and every libFuzzer target a few seconds (clang
# build; MTS_SKIP_FUZZ=1 skips it, MTS_FUZZ_SECONDS sets the time). Ends
# with ctest's summary.
#
#   scripts/test.sh            # sanitizer build in build-asan/
#   MTS_SANITIZE=OFF scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

# 1. valgrind over the unit tests and fuzz-corpus replays, on a build
#    without sanitizers (valgrind and ASan do not mix).
if [ "${MTS_SKIP_VALGRIND:-0}" != 1 ]; then
  cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Debug -DMTS_WERROR=ON \
    -DMTS_VALGRIND=ON >/dev/null
  cmake --build build-valgrind -j"$(nproc)"
  ctest --test-dir build-valgrind -L valgrind --output-on-failure -j"$(nproc)"
fi

# 2. The libFuzzer targets, built with clang (a second compiler: warnings
#    are errors there too) and each run for a few seconds from its corpus
#    under ASan and UBSan: a smoke test, not a fuzzing campaign (longer
#    runs by hand: README.md "Layout"). New inputs go to a scratch
#    directory, never into fixtures/.
if [ "${MTS_SKIP_FUZZ:-0}" != 1 ]; then
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMTS_WERROR=ON \
    -DMTS_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j"$(nproc)"
  for bin in build-fuzz/test/fuzz_*; do
    name=${bin##*/fuzz_}
    mkdir -p "build-fuzz/corpus/$name"
    if ! "$bin" -max_total_time="${MTS_FUZZ_SECONDS:-5}" -max_len=4096 \
      -artifact_prefix="build-fuzz/crash-$name-" "build-fuzz/corpus/$name" \
      "fixtures/fuzz/$name" >"build-fuzz/fuzz-$name.log" 2>&1; then
      tail -n 40 "build-fuzz/fuzz-$name.log"
      echo "fuzz_$name found a failure: build-fuzz/crash-$name-*" >&2
      exit 1
    fi
    echo "fuzz_$name: $(grep -o 'Done [0-9]* runs' "build-fuzz/fuzz-$name.log")"
  done
fi

# 3. Every test (unit, fuzz replays, integration against Knot and the fault
#    responder) built with ASan and UBSan. Its summary ends the output.
dir=${MTS_TEST_BUILD_DIR:-build-asan}
sanitize=${MTS_SANITIZE:-ON}
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DMTS_WERROR=ON \
  -DMTS_SANITIZE="$sanitize" >/dev/null
cmake --build "$dir" -j"$(nproc)"

# ASan: fail on leaks too; UBSan: stop at the first report.
# HTTPS servers (nginx, test CA) are required, not optional, here.
export MTS_TEST_HTTPS=${MTS_TEST_HTTPS:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)"
