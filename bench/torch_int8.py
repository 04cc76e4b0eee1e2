"""PyTorch's dynamic int8 quantisation on the ViT-B work of tests/reference/vit_peers.py.

    OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE \
        /usr/bin/python3 bench/torch_int8.py DIR [--threads 1,2] [--reps N] [--json FILE]

`torch.ao.quantization.quantize_dynamic` of every nn.Linear (qint8 weights per tensor, activations
quantised per call, dynamic range), on the block, the backbone and the backbone with 6 of 12 blocks,
timed alternately with the same fp32 modules (A/B in this process, after a warm-up); one JSON line
per case, thread count and form, with the int8 output's maximum relative difference
(max |a - b| / max |b|) against fp32. Run by tools/bench-peers.sh in rounds alternating with admn's
process. Engine: fbgemm when this torch has it, else onednn (Debian's python3-torch 1.13 offers
qnnpack and onednn only; onednn is the x86 one). Threads: torch.set_num_threads, and OpenBLAS's own
pthread pool (Debian's libopenblas0-pthread, which torch's threads do not reach) set to the same count
through openblas_set_num_threads; inter-op threads 1.
"""
import argparse
import ctypes
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import vit_peers  # noqa: E402


def openblas():
    """The loaded OpenBLAS, or None (libblas.so.3 is a Debian alternative: read the mapped files)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path) and ".so" in path:
                lib = ctypes.CDLL(path)
                if hasattr(lib, "openblas_set_num_threads"):
                    return lib
    return None


def max_relative(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


def alternate(fns, reps):
    for f in fns:
        f()
    times = [[] for _ in fns]
    for _ in range(reps):
        for i, f in enumerate(fns):
            start = time.perf_counter()
            f()
            times[i].append((time.perf_counter() - start) * 1e3)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--json")
    args = parser.parse_args()

    engines = torch.backends.quantized.supported_engines
    engine = "fbgemm" if "fbgemm" in engines else "onednn"
    torch.backends.quantized.engine = engine
    torch.set_num_interop_threads(1)
    blas = openblas()
    print(f"torch {torch.__version__}, quantized engines {engines}: {engine}; "
          f"OpenBLAS {'found' if blas else 'not loaded'}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')} OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}")

    w, _ = vit_peers.load(os.path.join(args.dir, "vit_b.safetensors"))
    cases = [("block", vit_peers.block_from(w), torch.from_numpy(w["block_input"])),
             ("backbone_12", vit_peers.backbone_from(w), torch.from_numpy(w["image"])),
             ("backbone_6", vit_peers.backbone_from(w, vit_peers.HALF_DEPTH), torch.from_numpy(w["image"]))]
    lines = []
    with torch.no_grad():
        for name, fp32, x in cases:
            int8 = torch.ao.quantization.quantize_dynamic(fp32, {torch.nn.Linear}, dtype=torch.qint8)
            err = max_relative(int8(x), fp32(x))
            for threads in (int(t) for t in args.threads.split(",")):
                torch.set_num_threads(threads)
                if blas:
                    blas.openblas_set_num_threads(threads)
                t_fp32, t_int8 = alternate([lambda: fp32(x), lambda: int8(x)], args.reps)
                med = lambda t: sorted(t)[len(t) // 2]  # noqa: E731
                print(f"{name}, {threads} thread(s): fp32 {med(t_fp32):.2f} ms, dynamic int8 "
                      f"{med(t_int8):.2f} ms; int8 vs fp32 max relative difference {err:.2e}")
                lines.append({"tool": "torch_int8", "case": name, "threads": threads, "impl": "PyTorch fp32",
                              "times_ms": t_fp32})
                lines.append({"tool": "torch_int8", "case": name, "threads": threads,
                              "impl": "PyTorch dynamic int8", "times_ms": t_int8, "rel_err_vs_fp32": err,
                              "engine": engine})
    if args.json:
        with open(args.json, "a") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
