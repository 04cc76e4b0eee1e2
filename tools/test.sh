#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build Release, run every test.
#   tools/test.sh [--sanitizers] [extra ctest arguments, e.g. -L unit]
# --sanitizers (what CI passes) then
#   1. builds everything with AddressSanitizer + UndefinedBehaviorSanitizer at -O1 (preset
#      `asan`) and runs the whole suite that way — unit and reference tests, admn-run end
#      to end, the fuzz corpus replays (not the packaging and compile_fail labels, which
#      test the build system and run no admn code);
#   2. builds the concurrency suite with ThreadSanitizer (preset `tsan`) and runs it, with
#      the suppressions an uninstrumented oneTBB needs (tests/concurrency/tsan.supp).
# Each pass prints its wall time.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=0
if [ "${1:-}" = "--sanitizers" ]; then
  sanitizers=1
  shift
fi

tools/deps.sh
jobs=$(nproc)
cmake --preset release
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs" "$@"

if [ "$sanitizers" = 1 ]; then
  start=$SECONDS
  cmake --preset asan
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs" --timeout 900 "$@"
  echo "tools/test.sh: ASan+UBSan pass took $((SECONDS - start)) s"

  start=$SECONDS
  cmake --preset tsan
  cmake --build --preset tsan -j "$jobs" --target test_concurrency
  # Serial arenas inside each run: no TBB hand-off, so no suppression at all.
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir build/tsan --output-on-failure --timeout 900 -R '^concurrency\..*bit for bit'
  # Parallel arenas: every case, with the libtbb suppressions of the preset.
  ctest --preset tsan -j "$jobs" --timeout 900
  echo "tools/test.sh: TSan pass took $((SECONDS - start)) s"
fi
