#!/usr/bin/env bash
# Run every test: unit suites (Check), fuzz-corpus replays, and integration
# tests against a real Knot DNS server and a fault responder on loopback,
# all built with AddressSanitizer and UBSan; the unit tests and replays
# also run under valgrind. Ends with ctest's summary.
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

# 2. Every test (unit, fuzz replays, integration against Knot and the fault
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
