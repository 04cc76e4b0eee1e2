#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build Release, run every test.
#   tools/test.sh [--sanitizers] [extra ctest arguments, e.g. -L unit]
# --sanitizers (what CI passes) then builds the security boundary — the
# safetensors loader's suite with admn-inspect and the fuzz corpus replay — and the
# tensor tier
# with AddressSanitizer + UndefinedBehaviorSanitizer at -O1 and runs them, a pass
# capped to a few minutes. `ctest --preset asan` after a full asan build runs every
# unit test that way.
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
  cmake --preset asan
  cmake --build --preset asan -j "$jobs" --target test_io test_tensor admn-inspect \
    fuzz_replay_load fuzz_replay_header
  ctest --preset asan -j "$jobs" -R '^(io|tensor)\.' --timeout 600
fi
