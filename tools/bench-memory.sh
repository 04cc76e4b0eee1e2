#!/usr/bin/env bash
# bench-memory.sh — admn-run's peak resident memory and load time on the full-size GTDM
# (two ViT-B/16, a 690 MiB F32 checkpoint), against a plain read() of the same file.
#
#   tools/bench-memory.sh [BUILD_DIR] [--repeat N]      (default build/release, 3 repeats)
#
# Makes the random full-size checkpoint once (tests/reference/gtdm_full.py, ~30 s, cached
# in BUILD_DIR/gtdm-full), then, with the file in the page cache, N times each:
#   read()     the whole file read into a fresh buffer of its size (Python readinto,
#              unbuffered: one read() call into untouched memory, as a loader would)
#   fp32/bf16  admn-run --budget 8 (batch 1) on the case b1_l8_aa, which reports its load
#              time (open + validate + bind + pack every tensor) and VmHWM (Linux)
# and prints the medians: load time / read() time, peak RSS / file size. Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/release
repeat=3
while (($#)); do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) build="$1"; shift ;;
  esac
done
run="$build/examples/admn-run"
[[ -x "$run" ]] || { echo "bench-memory: build admn-run first: cmake --build --preset release --target admn-run" >&2; exit 1; }

source tools/lib.sh
data="$build/gtdm-full"
gtdm_full "$data"
if [[ ! -s "$data/input.safetensors" || "$data/cases.safetensors" -nt "$data/input.safetensors" ]]; then
  /usr/bin/python3 - "$data" <<'EOF'
import sys
sys.path.insert(0, "tests/reference")
from st_write import load_file, save_file
d = sys.argv[1]
t, _ = load_file(d + "/cases.safetensors")
save_file({n: t["b1_l8_aa." + n] for n in ("zed_camera_left", "realsense_camera_depth")}, d + "/input.safetensors", {})
EOF
fi
model="$data/model.safetensors"

read_ms=()
for ((i = 0; i < repeat; i++)); do
  read_ms+=("$(/usr/bin/python3 - "$model" <<'EOF'
import os, sys, time
path = sys.argv[1]
size = os.path.getsize(path)
start = time.perf_counter()
buffer = bytearray(size)
with open(path, "rb", buffering=0) as f:
    got = f.readinto(buffer)
assert got == size
print(f"{(time.perf_counter() - start) * 1e3:.1f}")
EOF
)")
done
read_median=$(printf '%s\n' "${read_ms[@]}" | median)

echo "bench-memory: $(cpu_model), $(nproc) CPUs; $model"
echo "plain read() of the file: ${read_ms[*]} ms (median $read_median)"
printf '%-5s %10s %10s %12s %12s %12s\n' weights load_ms load/read peak_MiB peak/file after_load_MiB
for precision in fp32 bf16; do
  flag=(); [[ $precision == bf16 ]] && flag=(--bf16)
  loads=(); peaks=(); after=()
  for ((i = 0; i < repeat; i++)); do
    line=$("$run" --model "$model" --input "$data/input.safetensors" --output "$data/out.safetensors" \
             --budget 8 "${flag[@]}" 2>&1 | grep 'loaded in')
    # "  model 689.9 MiB loaded in 5537 ms; resident 372.7 MiB after loading (...), ..., peak 418.8 MiB = ..."
    loads+=("$(sed -E 's/.*loaded in ([0-9.]+) ms.*/\1/' <<<"$line")")
    peaks+=("$(sed -E 's/.*peak ([0-9.]+) MiB.*/\1/' <<<"$line")")
    after+=("$(sed -E 's/.*resident ([0-9.]+) MiB after loading.*/\1/' <<<"$line")")
    file_mib=$(sed -E 's/.*model ([0-9.]+) MiB.*/\1/' <<<"$line")
  done
  load=$(printf '%s\n' "${loads[@]}" | median)
  peak=$(printf '%s\n' "${peaks[@]}" | median)
  resident=$(printf '%s\n' "${after[@]}" | median)
  printf '%-5s %10.0f %10.2f %12.1f %12.3f %12.1f   (loads %s ms; peaks %s MiB)\n' "$precision" "$load" \
    "$(awk -v a="$load" -v b="$read_median" 'BEGIN {print a / b}')" "$peak" \
    "$(awk -v a="$peak" -v b="$file_mib" 'BEGIN {print a / b}')" "$resident" "${loads[*]}" "${peaks[*]}"
done
