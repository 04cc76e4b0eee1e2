#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build Release, run every test.
#   tools/test.sh [--sanitizers] [extra ctest arguments for the Release pass, e.g. -L unit]
# --sanitizers (what CI passes) then runs the suite again under sanitizers, each pass
# printing its wall time:
#   ASan + UBSan (preset `asan`, -O1): every test that runs admn code — all but the
#     compile_fail and packaging labels, which only run the compiler and CMake.
#   ThreadSanitizer (preset `tsan`): the concurrency suite, the serial-arena case with no
#     suppression at all, then every case with the suppressions an uninstrumented oneTBB
#     needs (tests/concurrency/tsan.supp says what they cover).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=no
if [ "${1:-}" = --sanitizers ]; then
  sanitizers=yes
  shift
fi

tools/deps.sh
jobs=$(nproc)
start=$SECONDS
cmake --preset release
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs" "$@"
echo "tools/test.sh: Release pass took $((SECONDS - start)) s"
[ "$sanitizers" = yes ] || exit 0

start=$SECONDS
cmake --preset asan
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs" --timeout 900
echo "tools/test.sh: ASan+UBSan pass took $((SECONDS - start)) s"

start=$SECONDS
cmake --preset tsan
cmake --build --preset tsan -j "$jobs" --target test_concurrency
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build/tsan --output-on-failure --timeout 900 -R '^concurrency\..*bit for bit'
ctest --preset tsan -j "$jobs" --timeout 900
echo "tools/test.sh: TSan pass took $((SECONDS - start)) s"
