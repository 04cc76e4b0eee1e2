#!/usr/bin/env bash
# bench-portable.sh — the portable build against the -march=native build on the full-size GTDM
# (two ViT-B/16, budget L = 8, batch 1, one thread).
#
#   tools/bench-portable.sh [BUILD_DIR] [--rounds N]      (default build/release, 5 rounds)
#
# portable  examples/admn-bench as installed: no -march flag, admn_add_kernels, the kernels of
#           the CPU's best level chosen at run time
# native    bench/admn-bench-native: the same program with -march=native and no dispatch
# Makes the random full-size checkpoint once (tests/reference/gtdm_full.py, cached in
# BUILD_DIR/gtdm-full), then runs the two programs alternately, N rounds of `admn-bench --budgets 8
# --threads 1 --repeat 5` each, and prints the CPU, the level chosen, the median total latency of
# each and portable / native. Needs a Release build with the benchmarks (the release preset).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/release
rounds=5
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) build="$1"; shift ;;
  esac
done
portable="$build/examples/admn-bench"
native="$build/bench/admn-bench-native"
for p in "$portable" "$native"; do
  [[ -x "$p" ]] || { echo "bench-portable: build $p first: cmake --build --preset release --target admn-bench admn-bench-native" >&2; exit 1; }
done

source tools/lib.sh
gtdm_full "$build/gtdm-full"
model="$build/gtdm-full/model.safetensors"
total_ms() {  # the total_ms column of admn-bench's CSV
  local csv
  csv=$(mktemp)
  "$1" --model "$model" --budgets 8 --threads 1 --repeat 5 --csv "$csv" > /dev/null
  tail -n 1 "$csv" | awk -F, '{print $(NF-1)}'
  rm -f "$csv"
}

p_ms=() n_ms=()
for ((i = 0; i < rounds; i++)); do
  p_ms+=("$(total_ms "$portable")")
  n_ms+=("$(total_ms "$native")")
done
p=$(printf '%s\n' "${p_ms[@]}" | median)
n=$(printf '%s\n' "${n_ms[@]}" | median)
# The fastest round of each too: on a shared machine other jobs only ever add time.
p_best=$(printf '%s\n' "${p_ms[@]}" | sort -g | head -1)
n_best=$(printf '%s\n' "${n_ms[@]}" | sort -g | head -1)
echo "CPU: $(cpu_model)"
"$build/examples/admn-inspect" --cpu | sed 's/^/  /'
echo "full-size GTDM, L = 8, batch 1, 1 thread; median of $rounds rounds (each the median of 5 runs)"
echo "  portable (admn_add_kernels, no -march): ${p_ms[*]} ms -> median $p ms"
echo "  native   (-march=native, no dispatch):  ${n_ms[*]} ms -> median $n ms"
awk -v p="$p" -v n="$n" -v pb="$p_best" -v nb="$n_best" \
  'BEGIN {printf "  portable / native = %.3f (medians), %.3f (fastest rounds)\n", p / n, pb / nb}'
