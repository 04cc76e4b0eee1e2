#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build Release, run every test.
#   tools/test.sh [--sanitizers | --sanitizers=all] [extra ctest arguments, e.g. -L unit]
# --sanitizers (what CI passes) then builds the security boundary with AddressSanitizer +
#   UndefinedBehaviorSanitizer at -O1 (preset `asan`) and runs it: the safetensors loader's
#   suite with admn-inspect, the tensor tier, and the fuzz corpus replays (loader, header).
# --sanitizers=all instead builds everything under ASan+UBSan and runs the whole suite
#   (but the packaging and compile_fail labels, which run no admn code), then the
#   concurrency suite under ThreadSanitizer (preset `tsan`, with the suppressions an
#   uninstrumented oneTBB needs: tests/concurrency/tsan.supp). Each pass prints its wall time.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=none
case "${1:-}" in
  --sanitizers) sanitizers=bounded; shift ;;
  --sanitizers=all) sanitizers=all; shift ;;
esac

tools/deps.sh
jobs=$(nproc)
start=$SECONDS
cmake --preset release
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs" "$@"
echo "tools/test.sh: Release pass took $((SECONDS - start)) s"

if [ "$sanitizers" = bounded ]; then
  start=$SECONDS
  cmake --preset asan
  cmake --build --preset asan -j "$jobs" --target test_io test_tensor admn-inspect \
    fuzz_replay_load fuzz_replay_header
  ctest --preset asan -j "$jobs" -R '^(io|tensor)\.' --timeout 600
  echo "tools/test.sh: bounded ASan+UBSan pass took $((SECONDS - start)) s"
fi

if [ "$sanitizers" = all ]; then
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
