"""Golden file for ADMN's unequal-cost controller (AVE-Unequal): tests/fixtures/networks/ave_unequal_cases.safetensors.

Run:  /usr/bin/python3 tests/reference/make_unequal_fixture.py          (reduced AVE, a few seconds)
      /usr/bin/python3 tests/reference/make_unequal_fixture.py --full DIR
            writes a full-size AVE-Unequal model (two ViT-B/16, ~700 MB), its cases and their inputs
            alone (ave_unequal_full_inputs.safetensors: image, audio) to DIR instead, for the real-size
            check (tests/zoo/full/ave_unequal_full_reference.cpp): admn-run --model
            DIR/ave_unequal_full.safetensors --input DIR/ave_unequal_full_inputs.safetensors --costs 3,1
            --budget L. The full-size run evaluates nn.Linear with oneDNN (admn_ref.set_fast_linear), so its
            golden carries oneDNN's summation order (~1e-6 from a float32 port).

The network is admn_ref.py's AVE (docs/numerics.md §2, §4, §5). The reduced run loads the weights of
tests/fixtures/networks/ave_small.safetensors; the full-size run draws random weights. The layer plan
follows the AVE-Unequal controller (docs/numerics.md §4.10), written out here literally as the
reference walks it: image blocks cost 3, audio blocks 1, the budget L counts cost units including the
two forced first blocks (3 + 1), k = L − 4; walk the top-min(k, 24) logits (first blocks at −99) in
descending order (ties: the lower index first) with a running cost c:
    image index and c ≤ k − 3: keep, c += 3;   audio index and c ≤ k − 3: keep, c += 1;
    else audio index and c < k: keep, c += 1;  else: skip (the reference turns it into index 0).
First blocks are then forced. Cases: batch 3 at budgets 6, 9 and 13, plus a per-sample budget case
(the same inputs at budgets 5, 10, 16 for samples 0, 1, 2). Each case stores the inputs, the expected
layer_mask (B, 2, depth), controller_logits, qoi and logits.
"""
import argparse
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import admn_ref as R  # noqa: E402
from st_write import load_file, save_file  # noqa: E402

COSTS = (3, 1)
CASES = (("l6", (6, 6, 6)), ("l9", (9, 9, 9)), ("l13", (13, 13, 13)), ("per_sample", (5, 10, 16)))


def unequal_mask(logits, budget, depths):
    """The AVE-Unequal walk for one sample: logits (Σ depth,), returns (mask (M, depth), smallest gap)."""
    n, depth = logits.shape[0], depths[0]
    z = logits.detach().clone()
    for m in range(len(depths)):
        z[depth * m] = R.FORCED_LOGIT
    k = budget - sum(COSTS)
    vals, order = torch.sort(-z, stable=True)
    vals = -vals
    mask = torch.zeros(len(depths), depth)
    cost = 0
    for i in order[: min(k, n)].tolist():
        m, l = divmod(i, depth)
        if cost <= k - 3:
            mask[m, l] = 1
            cost += COSTS[m]
        elif m == 1 and cost < k:
            mask[m, l] = 1
            cost += 1
    mask[:, 0] = 1
    window = min(k, n)
    gap = (vals[window - 1].double() - vals[window].double()).item() if 0 < window < n else math.inf
    return mask, gap


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", metavar="DIR", help="write a full-size model and its cases to DIR")
    args = ap.parse_args()
    torch.set_num_threads(1)
    small = args.full is None
    cfg = R.CONFIGS["ave"](small)
    model = R.build("ave", small, 4242)
    root = os.path.join(HERE, "..", "fixtures", "networks")
    if small:
        tensors, meta = load_file(os.path.join(root, "ave_small.safetensors"))
        state = {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}
        missing, unexpected = model.load_state_dict(state, strict=False)
        assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
        out_path = os.path.join(root, "ave_unequal_cases.safetensors")
    else:
        R.set_fast_linear(True)
        os.makedirs(args.full, exist_ok=True)
        meta = {"admn.arch": "ave_unequal"}
        R.save_file_streaming(R.export_state_dict(model), os.path.join(args.full, "ave_unequal_full.safetensors"),
                              meta)
        out_path = os.path.join(args.full, "ave_unequal_full_cases.safetensors")
    g = torch.Generator().manual_seed(77)
    inputs = [torch.randn((3, n, vc.in_chans, *vc.img), generator=g) * s
              for n, vc, s in zip(cfg.instances, cfg.vits, (1.0, 0.5))]
    inputs[0][1] *= 3.0  # a noisier image for sample 1
    out_t = {"image": inputs[0].contiguous(), "audio": inputs[1].contiguous()}
    file_meta = {"admn.arch": "ave_unequal", "generator": "tests/reference/make_unequal_fixture.py",
                 "costs": ",".join(map(str, COSTS)), "cases": ",".join(c for c, _ in CASES)}
    with torch.no_grad():
        logits, _ = model.controller(inputs, True)
        for name, budgets in CASES:
            masks, gaps = zip(*(unequal_mask(logits[b], budgets[b], model.depths) for b in range(3)))
            mask = torch.stack(masks)
            out = model(inputs, plan=mask, antialias=True)
            for b in range(3):
                spent = int((mask[b] * torch.tensor(COSTS, dtype=mask.dtype)[:, None]).sum())
                assert spent <= budgets[b], (name, b, spent)
            assert min(gaps) > 1e-4, f"{name}: near-tie at the cut ({min(gaps):.2e}); change the seeds"
            out_t[f"{name}.layer_mask"] = mask.contiguous()
            for k in ("controller_logits", "qoi", "logits"):
                out_t[f"{name}.{k}"] = out[k].contiguous()
            file_meta[f"{name}.budgets"] = ",".join(map(str, budgets))
            file_meta[f"{name}.masks"] = ";".join("|".join("".join(str(int(v)) for v in row) for row in s)
                                                  for s in mask.tolist())
            print(f"{name}: budgets {budgets}, masks {file_meta[f'{name}.masks']}, min gap {min(gaps):.2e}")
    save_file({k: v.float() for k, v in out_t.items()}, out_path, file_meta)
    if not small:
        save_file({k: out_t[k].float() for k in ("image", "audio")},
                  os.path.join(args.full, "ave_unequal_full_inputs.safetensors"), {"admn.arch": "ave_unequal"})
    print(f"wrote {out_path} ({os.path.getsize(out_path)} bytes)")


if __name__ == "__main__":
    main()
