#!/usr/bin/env bash
# Installs the Debian packages admn needs that are missing on this machine.
#   tools/deps.sh            build + test dependencies
#   tools/deps.sh reference  + python3-torch/torchaudio/opencv/numpy (regenerating golden files)
#   tools/deps.sh fuzz       + clang and its sanitizer/fuzzer runtime
#   tools/deps.sh sanitizers + the same (tools/test.sh --sanitizers builds with clang)
#   tools/deps.sh plot       + gnuplot
#   tools/deps.sh demo       + torch, numpy, scikit-learn, espeak-ng, OpenBLAS (training the digits demo)
#   tools/deps.sh peers      + libtorch, OpenBLAS, torch, onnx, node and npm (tools/bench-peers.sh)
# Several groups may be given. Uses sudo when not root.
set -euo pipefail

packages=(cmake make g++ libeigen3-dev libxsimd-dev xtl-dev libtbb-dev nlohmann-json3-dev doctest-dev
          libbenchmark-dev)
for group in "$@"; do
  case "$group" in
    reference) packages+=(python3 python3-numpy python3-torch python3-torchaudio python3-opencv) ;;
    fuzz | sanitizers) packages+=(clang-14 libclang-rt-14-dev) ;;
    plot) packages+=(gnuplot-nox) ;;
    # OpenBLAS: without it Debian's torch runs on the reference BLAS, far too slow for training.
    demo) packages+=(python3 python3-numpy python3-torch python3-sklearn espeak-ng libopenblas0-pthread) ;;
    # The peer benchmarks: libtorch with OpenBLAS (libtorch's BLAS through the libblas.so.3
    # alternative), torch.onnx.export, and node + npm to install and drive ONNX Runtime.
    peers)
      packages+=(libtorch-dev libopenblas0-pthread python3 python3-numpy python3-torch python3-onnx nodejs)
      # nodesource's nodejs bundles npm and conflicts with Debian's npm package.
      command -v npm >/dev/null || packages+=(npm)
      ;;
    *) echo "tools/deps.sh: unknown group '$group' (reference, fuzz, sanitizers, plot, demo, peers)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
[ "$(id -u)" -ne 0 ] && as_root=(sudo)
echo "tools/deps.sh: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
