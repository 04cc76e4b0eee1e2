#!/usr/bin/env bash
# Fuzzes the safetensors loader and the layers after it with libFuzzer (clang-14, ASan + UBSan).
#   tools/fuzz.sh [TARGET|all] [SECONDS]     targets: load, header, network; default: all 60
# Builds with the CMake preset `fuzz` (build/fuzz), installs clang first if missing
# (tools/deps.sh fuzz), then runs each target for SECONDS, one after another. New inputs go
# to build/fuzz/work/TARGET (the committed seeds in tests/fuzz/corpus stay untouched);
# crashes to build/fuzz/artifacts/TARGET/. Copy a crash input, once fixed, into
# tests/fuzz/regressions/TARGET/ so CTest replays it forever (io.fuzz.replay_TARGET).
# Extra libFuzzer flags may follow in FUZZ_FLAGS, e.g. FUZZ_FLAGS=-jobs=2.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-all}
seconds=${2:-60}
case "$target" in
  all) targets=(load header network) ;;
  load|header|network) targets=("$target") ;;
  *) echo "tools/fuzz.sh: unknown target '$target' (load, header, network, all)" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "tools/fuzz.sh: SECONDS must be a number" >&2; exit 2; }

tools/deps.sh fuzz
cmake --preset fuzz >/dev/null
for t in "${targets[@]}"; do
  cmake --build --preset fuzz --target "fuzz_$t" -j 2
done

status=0
for t in "${targets[@]}"; do
  work=build/fuzz/work/$t
  artifacts=build/fuzz/artifacts/$t
  mkdir -p "$work" "$artifacts"
  inputs=("tests/fuzz/corpus/$t")
  [ -d "tests/fuzz/regressions/$t" ] && inputs+=("tests/fuzz/regressions/$t")
  dict=()
  [ "$t" != network ] && dict=(-dict=tests/fuzz/safetensors.dict)
  echo "== fuzz_$t for ${seconds}s"
  # Limits: a run that needs > 2 GB, a single allocation > 512 MB, or 10 s for one input
  # is a finding — the loader must never allocate from a declared size or hang, nor
  # the network from a hostile shape.
  # shellcheck disable=SC2086
  if ! "build/fuzz/tests/fuzz/fuzz_$t" "$work" "${inputs[@]}" \
      "${dict[@]}" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-}; then
    echo "fuzz_$t: FINDING — see $artifacts/" >&2
    status=1
  fi
done
exit $status
