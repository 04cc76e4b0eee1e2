#!/usr/bin/env bash
# Measures admn against its peers on this machine and records bench/RESULTS.md.
#   tools/bench-peers.sh [repetitions]          ROUNDS=3 by default (environment)
# Installs its dependencies (tools/deps.sh peers: Debian's libtorch-dev, OpenBLAS, python3-torch,
# python3-onnx, node and npm; ONNX Runtime 1.30 from npm's onnxruntime-node into build/onnxruntime),
# builds Release, makes the model files (reused while newer than their generators):
#   build/release/gtdm-full   random full-size GTDM (tests/reference/gtdm_full.py)
#   build/release/vit-peers   random ViT-B/16 weights, inputs, PyTorch outputs and ONNX exports of the
#                             block, the backbone and the backbone with 6 of 12 blocks
#                             (tests/reference/vit_peers.py): the work every peer runs
# and runs, in one process per tool:
#   bench_peak            the FMA peak (1 and 2 threads), the VDPBF16PS (bf16) peak and Eigen's
#                         sgemm: the machine's limits
#   bench_transformer     admn's kernels at ViT-B shapes (GEMM at each precision, attention) and one
#                         ViT-B block (batch 1 and 8, 1 and 2 threads, each precision)
#   then ROUNDS rounds of three processes in turn, each timing its share of the repetitions:
#   compare_libtorch      admn (every precision the build has: fp32, bf16, int8 once it exists) vs
#                         libtorch fp32 (plain ATen and fused), A/B in one process, 1 and 2 threads:
#                         ViT-B block and backbones; GTDM at L = 8 and the batch-8 / ViT-S rows in
#                         round 1 only. Writes admn's fp32 outputs for the next two to check against.
#   bench/ort_vit.js      ONNX Runtime fp32 (node, onnxruntime-node), 1 and 2 intra-op threads
#   bench/torch_int8.py   PyTorch dynamic int8 (quantize_dynamic of the Linears) A/B with PyTorch fp32
# and bench/peer_table.py pools the rounds into the one peer table; then, as their own scripts:
#   tools/bench-portable.sh   the installed-style build (run-time dispatch) vs -march=native
#   tools/bench-memory.sh     admn-run's peak resident memory and load time vs a plain read()
# libtorch and PyTorch get their best settings, set here and nowhere else (never in tests or CI):
#   OPENBLAS_CORETYPE=SkylakeX  OpenBLAS's AVX-512 kernels (some machines preset Haswell)
#   OMP_WAIT_POLICY=PASSIVE     no spinning OpenMP threads competing with the other core
# and each sets OpenBLAS's own pthread pool to its thread count (torch's threads do not reach it).
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-30}
rounds=${ROUNDS:-3}
ort_version=1.30.0

tools/deps.sh peers

cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target bench_peak bench_transformer compare_libtorch \
  admn-bench admn-bench-native admn-inspect admn-run
if [ ! -x build/release/bench/compare_libtorch ]; then
  echo "tools/bench-peers.sh: compare_libtorch was not built (CMake did not find libtorch)" >&2
  exit 1
fi

# ONNX Runtime's CPU build ships inside npm's onnxruntime-node; the skip avoids a GPU download.
ort=build/onnxruntime
if [ "$(node -p "try { require('./$ort/node_modules/onnxruntime-node/package.json').version } catch { '' }")" != \
     "$ort_version" ]; then
  mkdir -p "$ort"
  (cd "$ort" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --no-save \
     "onnxruntime-node@$ort_version")
fi

source tools/lib.sh
gtdm=build/release/gtdm-full
gtdm_full "$gtdm"
# The ViT-B work of every peer (~890 MB, ~1 min to make).
vit=build/release/vit-peers
if [ ! -s "$vit/vit_b.safetensors" ] || [ ! -s "$vit/backbone_6.onnx" ] ||
   [ tests/reference/vit_peers.py -nt "$vit/vit_b.safetensors" ]; then
  /usr/bin/python3 tests/reference/vit_peers.py "$vit"
fi
rm -f "$vit/admn_outputs.safetensors"

simd=avx2
grep -q -w avx512f /proc/cpuinfo && simd=avx512f
load_before=$(uptime | sed 's/.*load average: //')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
build/release/bench/bench_peak --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_format=console | tee "$out/peak.txt"
build/release/bench/bench_transformer --benchmark_filter='^(gemm_admn|gemm_eigen|attention|vit_b_block)' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true --benchmark_format=console |
  tee "$out/kernels.txt"

export OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE
per_round=$(( (reps + rounds - 1) / rounds ))
for round in $(seq 1 "$rounds"); do
  echo "== round $round of $rounds: $per_round repetitions per case =="
  if [ "$round" -eq 1 ]; then
    build/release/bench/compare_libtorch --repetitions "$per_round" --gtdm "$gtdm/model.safetensors" \
      --vit "$vit" --markdown "$out/compare.md" --settings "$out/settings.md" --json "$out/admn.jsonl" |
      tee "$out/compare.txt"
  else
    build/release/bench/compare_libtorch --repetitions "$per_round" --vit "$vit" --peer-only \
      --json "$out/admn.jsonl"
  fi
  node bench/ort_vit.js --ort "$ort" --models "$vit" --reps "$per_round" --json "$out/ort.jsonl" |
    tee -a "$out/ort.txt"
  /usr/bin/python3 bench/torch_int8.py "$vit" --reps "$per_round" --json "$out/int8.jsonl" |
    tee -a "$out/int8.txt"
done
# The installed-style program against its -march=native twin, and admn-run's memory.
tools/bench-portable.sh build/release --rounds $((2 * rounds + 1)) | tee "$out/portable.txt"
tools/bench-memory.sh build/release --repeat "$rounds" | tee "$out/memory.txt"
load_after=$(uptime | sed 's/.*load average: //')
/usr/bin/python3 bench/peer_table.py "$rounds" "$out/admn.jsonl" "$out/ort.jsonl" "$out/int8.jsonl" > "$out/peers.md"
cat "$out/peers.md"
# The FMA peak, and the share of its wall time the 1-thread FMA loop had a core (machine load).
peak_value() { sed -n "s/^fma_peak\/threads:$1_median .*GFLOP\/s=\([0-9.]*\).*/\1/p" "$out/peak.txt"; }
peak_cpu_share=$(awk '/^fma_peak\/threads:1_median/ { printf "%.0f", 100 * $4 / $2 }' "$out/peak.txt")

{
  echo "# Benchmark results"
  echo
  echo "Regenerated by \`tools/bench-peers.sh $reps\` (ROUNDS=$rounds) on $(date -u +%Y-%m-%d)."
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $simd used"
  echo "- FMA peak (bench_peak, medians of 5): $(peak_value 1) GFLOP/s on 1 thread, $(peak_value 2) GFLOP/s on 2 threads (full lines at the end)"
  echo "- compilers: $(g++ --version | head -1); libtorch $(dpkg-query -W -f='${Version}' libtorch-dev) with OpenBLAS $(dpkg-query -W -f='${Version}' libopenblas0-pthread); ONNX Runtime $ort_version (npm onnxruntime-node, node $(node --version)); python3-torch $(dpkg-query -W -f='${Version}' python3-torch), python3-onnx $(dpkg-query -W -f='${Version}' python3-onnx)"
  echo "- the machine is shared: other jobs (compilers, tests) ran during the measurement, so absolute times are noisy; load average (1, 5, 15 min) before: $load_before; after: $load_after; bench_peak's 1-thread FMA loop was on a core for ${peak_cpu_share}% of its wall time. Ratios come from alternated runs (below), which share the load; under a load above the core count, 2-thread figures say little about scaling"
  echo
  echo "## admn and its peers"
  echo
  cat "$out/peers.md"
  echo
  echo "Method: the same weights and inputs for every tool (\`tests/reference/vit_peers.py\`: random timm-style ViT-B/16, LayerNorm eps 1e-5, exported with \`torch.onnx.export\` at opset 17). $rounds rounds of three processes in turn (compare_libtorch: admn and libtorch A/B in one process; node: ONNX Runtime; python: PyTorch dynamic int8 A/B with PyTorch fp32), each after a warm-up run; every run of every round pooled, medians. ONNX Runtime: intra-op threads 1 or 2, inter-op 1, sequential execution, graph optimisation level all, otherwise its defaults; its output checked against admn's fp32 output before timing (max relative difference <= 1e-4). PyTorch dynamic int8: \`torch.ao.quantization.quantize_dynamic\` of every nn.Linear to qint8 (per-tensor weights, activations quantised per call); Debian's torch 1.13 has no fbgemm engine, so onednn (its x86 engine); its error is against the same fp32 modules. GTDM: no ONNX or int8 peer (not exported)."
  echo
  grep -h "engines" "$out/int8.txt" | head -1 | sed 's/^/- PyTorch int8 process: /'
  echo
  echo "## Settings (compare_libtorch, round 1)"
  echo
  cat "$out/settings.md"
  echo
  echo "## admn vs libtorch in detail (compare_libtorch, round 1 only)"
  echo
  echo "- alternating A/B runs in one process after a warm-up, medians of $per_round runs (a quarter of that, at least 3, for the backbones, batch 8 and GTDM); outputs agree (max relative difference < 1e-4, identical layer masks) before timing"
  echo "- GTDM: random full-size weights and the golden cases of \`tests/reference/gtdm_full.py\`, both implementations checked against the golden outputs; timed on the budget-8 case's inputs, batch 1, controller and top-L included; libtorch runs \`bench/common/torch_gtdm.hpp\` (plain ATen ops, no autograd)"
  echo "- controller share: admn's controller (\`controller().forward\`, the call \`run()\` makes) timed alone in the same alternation, divided by the whole run"
  echo "- GFLOP/s count 2 flops per multiply-accumulate of the analytic MACs; % of FMA peak = GFLOP/s / (1-thread peak x threads)"
  echo
  cat "$out/compare.md"
  echo
  echo "## admn's kernels and the reduced precisions (bench_transformer, medians of 3)"
  echo
  echo "GEMMs at the four ViT-B Linear shapes (each precision, Eigen), all 12 attention heads of one"
  echo "sequence, and one ViT-B block by batch/threads/precision (\`rel_err_vs_fp32\`: the reduced-precision"
  echo "block's output against the f32 block's; \`update_rel_err\`: of the block's update out - in)."
  echo
  echo '```'
  grep -E "median" "$out/kernels.txt" || true
  echo '```'
  echo
  echo "## The portable build (tools/bench-portable.sh)"
  echo
  echo "\`admn-bench\` as a user builds it against the installed package (no \`-march\`, \`admn_add_kernels\`: the"
  echo "kernels of the CPU's best instruction set chosen at run time) against \`bench/admn-bench-native\`, the same"
  echo "source with \`-march=native\` and no dispatch; full-size GTDM, L = 8, batch 1, 1 thread, alternating."
  echo
  echo '```'
  cat "$out/portable.txt"
  echo '```'
  echo
  echo "## Memory and load time (tools/bench-memory.sh)"
  echo
  echo "\`admn-run\` (load + one GTDM run at L = 8, batch 1): peak resident memory (VmHWM) against the"
  echo "checkpoint's size, and load time against a plain \`read()\` of the file into a fresh buffer."
  echo
  echo '```'
  cat "$out/memory.txt"
  echo '```'
  echo
  echo "## Machine limits (bench_peak, medians of 5)"
  echo
  echo '```'
  grep -E "median" "$out/peak.txt" || true
  echo '```'
} > bench/RESULTS.md
echo "wrote bench/RESULTS.md"
