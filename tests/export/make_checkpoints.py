"""Reduced ADMN stage-2 checkpoints for trying admn-export (docs/from_pytorch.md) and for its tests.

  /usr/bin/python3 tests/export/make_checkpoints.py DIR

writes into DIR, as ADMN's training would for a GTDM run at budgets 6 and 8 (`torch.save(state_dict)`):
  last_L6.pt, last_L8.pt   the reduced GTDM of tests/reference/admn_ref.py (keys exactly as docs/numerics.md §7;
                           ViTs of width 32, depth 4, 2 heads, patch 8 on 32×32 images); the same backbones,
                           adapters, fusion and head in both, a different controller each (random weights); with
                           the backbones' unused 1000-way-style `head.*` (10 classes here) and shared storage for
                           output_head.mlp.0 / mlp.2 as in ADMN; last_L8.pt has DataParallel's `module.` prefix
  inputs.safetensors       2 samples for admn-run: zed_camera_left, realsense_camera_depth (2, 3, 3, 32, 32)
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import admn_ref as R  # noqa: E402
from st_write import save_file  # noqa: E402

MODEL_SEED, CONTROLLER8_SEED, INPUT_SEED = 305, 306, 4311


def build_checkpoints(directory):
    """Writes last_L6.pt and last_L8.pt; returns {budget: (path, model)}."""
    torch.set_num_threads(1)
    m6 = R.build("gtdm", True, MODEL_SEED)
    m8 = R.build("gtdm", True, CONTROLLER8_SEED)
    shared = {k: v for k, v in m6.state_dict().items() if not k.startswith("controller.")}
    m8.load_state_dict(shared, strict=False)
    out = {}
    g = torch.Generator().manual_seed(7)
    for budget, model, prefix in ((6, m6, ""), (8, m8, "module.")):
        state = model.state_dict()  # output_head.mlp.0 and mlp.2 share storage, as in ADMN
        assert state["output_head.mlp.0.weight"].data_ptr() == state["output_head.mlp.2.weight"].data_ptr()
        for bb in ("vision", "depth"):  # timm's unused classifier, present in a real last.pt
            dim = state[bb + ".cls_token"].shape[-1]
            state[bb + ".head.weight"] = torch.randn((10, dim), generator=g)
            state[bb + ".head.bias"] = torch.randn((10,), generator=g)
        path = os.path.join(directory, f"last_L{budget}.pt")
        torch.save({prefix + k: v for k, v in state.items()}, path)
        out[budget] = (path, model)
    return out


def draw_inputs(model, seed=INPUT_SEED):
    """A batch of 2 whose top-L cut has no near-tie (< 1e-5) at budgets 6 and 8 (re-drawn otherwise)."""
    for attempt in range(20):
        g = torch.Generator().manual_seed(seed + attempt)
        inputs = [torch.randn((2, n, vc.in_chans, *vc.img), generator=g) * std
                  for n, vc, std in zip(model.cfg.instances, model.cfg.vits, (1.0, 0.5))]
        with torch.no_grad():
            gaps = [float(model(inputs, budget=b)["cut_gap"].min()) for b in (6, 8)]
        if min(gaps) > 1e-5:
            return inputs
    raise RuntimeError("no tie-free inputs found")


def write_inputs(model, path):
    inputs = draw_inputs(model)
    save_file({n: x for n, x in zip(model.cfg.mod_names, inputs)}, path)
    return inputs


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} DIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    ckpt = build_checkpoints(sys.argv[1])
    write_inputs(ckpt[8][1], os.path.join(sys.argv[1], "inputs.safetensors"))
    print(f"wrote last_L6.pt, last_L8.pt and inputs.safetensors into {sys.argv[1]}")


if __name__ == "__main__":
    main()
