#!/usr/bin/env bash
# Regenerates the ADMN digits demo in one command: data -> training (stage 1, stage 2) -> export ->
# PyTorch evaluation fixture. Writes examples/data/digits_admn.safetensors,
# examples/data/digits_test.safetensors and tests/fixtures/demo/digits_eval.safetensors.
#   tools/train_demo/train.sh [SCRATCH_DIR]     (default build/demo_data)
#   THREADS=2 tools/train_demo/train.sh         torch threads for training (default 1, which made the shipped
#                                               files and is the faster here; other counts change the numbers
#                                               slightly)
set -euo pipefail
cd "$(dirname "$0")/../.."

tools/deps.sh demo
py=/usr/bin/python3  # Debian's python, which has python3-torch (a pyenv python3 on PATH may not)
scratch=${1:-build/demo_data}
threads=${THREADS:-1}
model=examples/data/digits_admn.safetensors
testset=examples/data/digits_test.safetensors
fixture=tests/fixtures/demo/digits_eval.safetensors

t0=$(date +%s)
"$py" tools/demo_data/make_dataset.py "$scratch"
t1=$(date +%s)
# torch.set_num_threads does not reach the pthread pool of Debian's OpenBLAS, which would otherwise
# start one thread per core in every process; pin it to the torch thread count.
OPENBLAS_NUM_THREADS=$threads "$py" tools/train_demo/train.py --data "$scratch/digits.npz" \
  --model "$model" --test "$testset" --threads "$threads"
t2=$(date +%s)
OPENBLAS_NUM_THREADS=1 "$py" tools/train_demo/evaluate.py --model "$model" --test "$testset" --out "$fixture"
t3=$(date +%s)

echo "wall clock: data $((t1 - t0)) s, training + export $((t2 - t1)) s, evaluation $((t3 - t2)) s," \
     "total $((t3 - t0)) s"
