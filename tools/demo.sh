#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build, run the main example.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target admn-demo
build/release/examples/admn-demo "$@"
