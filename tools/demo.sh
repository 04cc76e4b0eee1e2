#!/usr/bin/env bash
# One command on a fresh machine: install what is missing (gnuplot included, for the
# plot), build, and run the demo: the trained digits model of examples/data under every
# budget and corruption. Writes build/demo/admn-demo.csv and build/demo/admn-demo.png.
# Extra arguments go to admn-demo (e.g. --threads 1, --batch 1).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh plot
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target admn-demo
mkdir -p build/demo
build/release/examples/admn-demo --csv build/demo/admn-demo.csv --plot build/demo/admn-demo.png "$@"
