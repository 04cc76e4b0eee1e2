"""The peer table of bench/RESULTS.md from the JSON lines of compare_libtorch, ort_vit.js and torch_int8.py.

    python3 bench/peer_table.py ROUNDS FILE.jsonl...   (markdown on stdout)

Every timed run of every round is pooled per (case, threads, implementation) and the median taken.
Cells: median ms. Ratios: admn / peer, below 1 means admn is faster. libtorch fp32 is the faster of
libtorch's plain ATen form and its fused encoder layer (the block only), marked "(fused)" when that won.
An admn precision that this build lacks shows as "n/a" with compare_libtorch's reason.
"""
import json
import statistics
import sys
from collections import defaultdict

CASES = [("block", "ViT-B block, batch 1"), ("backbone_12", "ViT-B/16 backbone, 12 of 12 blocks"),
         ("backbone_6", "ViT-B/16 backbone, 6 of 12 blocks"), ("gtdm_8", "GTDM L = 8, batch 1, controller incl.")]
COLUMNS = ["admn fp32", "admn bf16", "admn int8", "libtorch fp32", "PyTorch dynamic int8", "ONNX Runtime fp32"]
RATIOS = [("admn fp32", "ONNX Runtime fp32"), ("admn fp32", "libtorch fp32"), ("admn bf16", "ONNX Runtime fp32"),
          ("admn int8", "PyTorch dynamic int8"), ("admn int8", "ONNX Runtime fp32")]


def main():
    rounds, files = sys.argv[1], sys.argv[2:]
    times = defaultdict(list)
    errs = defaultdict(list)
    gflop, peaks, missing = {}, [], {}
    for path in files:
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                if "fma_peak_gflops" in d:
                    peaks.append(d["fma_peak_gflops"])
                    missing.update(d.get("missing", {}))
                    continue
                key = (d["case"], d["threads"], d["impl"])
                times[key] += d["times_ms"]
                for e in ("rel_err", "rel_err_vs_admn", "rel_err_vs_fp32"):
                    if e in d:
                        errs[key].append(d[e])
                if "gflop" in d:
                    gflop[d["case"]] = d["gflop"]
    med = {k: statistics.median(v) for k, v in times.items()}
    threads = sorted({k[1] for k in med})
    peak = statistics.median(peaks) if peaks else None

    def cell(case, t, impl):
        if impl == "libtorch fp32":
            plain, fused = med.get((case, t, "libtorch fp32")), med.get((case, t, "libtorch fp32 fused"))
            if plain is None:
                return None, ""
            if fused is not None and fused < plain:
                return fused, " (fused)"
            return plain, ""
        return med.get((case, t, impl)), ""

    print(f"Medians over {rounds} rounds (processes alternating: compare_libtorch, ONNX Runtime's node "
          f"process, PyTorch's python process; in-process A/B alternation inside each); ms per run, batch 1.")
    print()
    print("| case | threads | " + " | ".join(COLUMNS) + " | " +
          " | ".join(f"{a} / {b}" for a, b in RATIOS) + " | admn fp32 % of FMA peak |")
    print("|---|---|" + "---|" * (len(COLUMNS) + len(RATIOS) + 1))
    for case, title in CASES:
        for t in threads:
            if not any(k[0] == case and k[1] == t for k in med):
                continue
            cells = []
            for c in COLUMNS:
                v, note = cell(case, t, c)
                if v is not None:
                    cells.append(f"{v:.2f}{note}")
                elif c in missing:
                    cells.append(f"n/a ({missing[c]})")
                else:
                    cells.append("—")
            for a, b in RATIOS:
                va, vb = cell(case, t, a)[0], cell(case, t, b)[0]
                cells.append(f"{va / vb:.3f}" if va and vb else "—")
            fp32 = med.get((case, t, "admn fp32"))
            pct = (f"{100 * gflop[case] / (fp32 / 1e3) / (peak * t):.1f}"
                   if fp32 and peak and case in gflop else "—")
            print(f"| {title} | {t} | " + " | ".join(cells) + f" | {pct} |")
    print()
    counts = sorted({len(v) for v in times.values()})
    print(f"- runs pooled per cell: {counts[0]}–{counts[-1]}" if counts else "- no runs")
    if peak:
        print(f"- FMA peak measured by compare_libtorch at the start of each round (median): {peak:.1f} GFLOP/s "
              f"on 1 thread; % of FMA peak = admn fp32 GFLOP/s / (peak x threads)")
    print("- agreement checked before timing (max relative difference max|a - b| / max|b|, largest over rounds "
          "and thread counts):")
    for case, title in CASES:
        parts = []
        for impl, ref in [("ONNX Runtime fp32", "admn fp32"), ("libtorch fp32", "admn fp32"),
                          ("admn bf16", "admn fp32"), ("admn int8", "admn fp32"),
                          ("PyTorch dynamic int8", "PyTorch fp32")]:
            e = [x for k, v in errs.items() if k[0] == case and k[2] == impl for x in v]
            if e:
                parts.append(f"{impl} vs {ref} {max(e):.1e}")
        if parts:
            print(f"  - {title}: " + "; ".join(parts))
    py32 = {(k[0], k[1]): v for k, v in med.items() if k[2] == "PyTorch fp32"}
    if py32:
        print("- PyTorch's own fp32 in the int8 process (same modules, A/B with the int8 ones), ms: " +
              ", ".join(f"{c} {t}T {v:.2f} (int8 x{v / med[(c, t, 'PyTorch dynamic int8')]:.2f})"
                        for (c, t), v in sorted(py32.items())))


if __name__ == "__main__":
    main()
