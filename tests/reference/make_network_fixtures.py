"""Golden files for whole ADMN networks at reduced size: tests/fixtures/networks/*.safetensors.

Run:  /usr/bin/python3 tests/reference/make_network_fixtures.py   (CPU, 1 thread, a few seconds)

The networks are admn_ref.py's (written from docs/numerics.md: §2 backbone, §4 controller, §4.6
top-L, §5 fusion/heads), built at reduced size with random weights, float32. Running twice gives
byte-identical files (fixed seeds, torch.set_num_threads(1), Debian's reference BLAS, st_write's stable
header). All tensors are F32.

Reduced models (every size not listed in admn.config is derivable from the tensor shapes)
==========================================================================================

| | gtdm | ave | mmfi |
|---|---|---|---|
| modalities (mask index 0, 1) | zed_camera_left, realsense_camera_depth | image, audio | rgb, depth |
| backbone prefixes | vision., depth. | vision., audio. | vision., depth. |
| instances per modality | 3, 3 | 8, 1 | 15, 15 |
| ViTs | dim 32, depth 4, heads 2, mlp 64, patch 8, 3×32×32 → 17 tokens | image as gtdm; audio 1×32×128 → 4×16 grid, 65 tokens | as gtdm |
| controller encoders (§4.2) | Resize(100,100), no BN, flatten 1587 | BN variant; image 1587, audio Resize(128,512), pool (3,6), flatten 7488 | as gtdm, frames 0-2 only |
| controller width D / combiner | 32 / 2 layers, 4 heads, mlp 64 | 48 / 2 layers, 4 heads (dh 12), mlp 96 | 32 / 2 layers, 4 heads, mlp 64 |
| controller tokens, summary | CLS + 6, CLS | CLS + 8 + 1, CLS | 3 + 3 (no CLS; controller.cls exists, unused), mean |
| output_head.0 / .2 (no bias) | (20,D) / (8,20) | same | same |
| noise_output.0 / .2 (+bias), QoI | (24,D) / (2,24), sigmoid·5 | (24,48) / (4,24), raw logits | (24,32) / (2,24), sigmoid·5 |
| adapters | fc1 (24,32), fc2 (32,24), LeakyReLU 0.01 | same | 0 (20,32), 2 (16,20), ReLU |
| fusion (TransformerEnc) | 6 tokens, width 32, 2 layers, 4 heads, mlp 48 | 9 tokens, same | 30 tokens, width 16, 2 layers, 4 heads (dh 4), mlp 24 |
| head | Gaussian: mlp.0 (32,32) [+ mlp.2 = copy], mean_head (2,32), cov_head (4,32) | Linear(32,28) | Linear(16,27) |

Random weights (admn_ref.randomize, torch.Generator seeded with seed.model, draw order = named_modules()):
Linear/Conv weight ~ N(0, 1/fan_in), every bias 0.1·N(0,1), LayerNorm weight 1 + 0.1·N, bias 0.1·N,
cls_token / pos_embed / controller.cls 0.5·N, BatchNorm weight 1 + 0.1·N, bias 0.1·N,
running_mean 0.1·N, running_var exp(0.3·N) (positive).

Files (for each arch a ∈ {gtdm, ave, mmfi})
==========================================

1. <a>_small.safetensors — the state dict, spec §7 names (e.g. `vision.blocks.3.mlp.fc2.bias`,
   `controller.encoder_dict.zed_camera_left.9.weight`, `controller.combiner_encoder.layers.1.0.to_qkv.weight`,
   `depth_adapter.fc1.weight`, `encoder.norm.bias`, `output_head.mlp.2.weight`), without
   `num_batches_tracked` and without any backbone `head.*` (gtdm 195 tensors, ave 213, mmfi 189).
   __metadata__ is exactly {"admn.arch": "<a>", "admn.config": <JSON>}; the JSON (json.dumps, ", "/": "
   separators, this key order) holds the overrides of the reduced model, nothing else:
       gtdm, mmfi: {"vit_heads": 2, "image_size": [32, 32], "controller_heads": 4, "fusion_heads": 4}
       ave:        {"vit_heads": 2, "image_size": [32, 32], "controller_heads": 4, "fusion_heads": 4,
                    "audio_size": [32, 128]}
   vit_heads = attention heads of every backbone; image_size = (H, W) of every image backbone input;
   audio_size = (freq, time) of the AVE audio input; controller_heads / fusion_heads = heads of the
   controller combiner / fusion TransformerEnc (dim_head = width / heads).

2. <a>_small_cases.safetensors — for each case c (metadata `cases`, comma-separated, in this order):

   | tensor | shape | content |
   |---|---|---|
   | c.<modality 0 name> | (B, I0, C, H, W) | gtdm c.zed_camera_left (B,3,3,32,32); ave c.image (B,8,3,32,32); mmfi c.rgb (B,15,3,32,32) |
   | c.<modality 1 name> | (B, I1, C, H, W) | gtdm c.realsense_camera_depth (B,3,3,32,32); ave c.audio (B,1,1,32,128); mmfi c.depth (B,15,3,32,32) |
   | c.layer_mask | (B, 2, 4) | 0/1: top-L (§4.6) of the controller logits, block 0 forced |
   | c.controller_logits | (B, 8) | output_head logits before the −99 / forcing; index 4·m + l = block l of modality m |
   | c.qoi | (B, 2) gtdm/mmfi, (B, 4) ave | sigmoid(noise_output)·5 (gtdm, mmfi); raw logits (ave) |
   | c.pred_mean, c.pred_cov | (B, 2), (B, 2, 2) | gtdm only: Gaussian head (§5.3) |
   | c.logits | (B, 28) ave, (B, 27) mmfi | ave, mmfi only |

   Inputs: N(0,1) draws (torch.Generator seeded with seed.inputs, drawn case by case in `cases` order,
   modality 0 then 1, each a whole (B, I, C, H, W) tensor) times a per-sample, per-modality std given in
   `c.input_std` ("s0m0,s0m1;s1m0,s1m1;…") — the "noisier modality" of a sample.
   __metadata__: admn.arch, generator, torch (torch.__version__), seed.model, seed.inputs, cases, and per
   case: c.batch, c.budget (total kept blocks L), c.antialias ("true"/"false": the controller's Resize),
   c.input_std, c.masks (informative: per sample "m0bits|m1bits", ";"-separated), c.min_cut_gap
   (informative: min over samples of smallest-selected minus largest-unselected masked logit; "inf" when
   k = L − 2 is 0).

Cases (same three in every arch)
===============================

| case | batch | budget L | antialias | input_std | why |
|---|---|---|---|---|---|
| b1_l2_aa    | 1 | 2 (minimum: only block 0 of each modality) | true  | 1,1 | smallest budget, k = 0 |
| b1_l8_noaa  | 1 | 8 (maximum 2·depth: all blocks)            | false | 2,0.5 | all blocks, antialias off |
| b3_l4_aa    | 3 | 4 (middle = depth)                         | true  | 1,1; 3,1; 1,3 | per-sample masks, joint top-k |

Every budget in {2, 4, 8}, batch 1 and 3, antialias on and off appears. The script requires that in
b3_l4_aa the samples differ not only in their masks but in how many blocks each modality keeps (so the
joint top-k across modalities is exercised), and that in every case with 0 < k < 8 the smallest selected
and the largest unselected candidate are > 1e-5 apart (so float reordering in C++ cannot flip the
top-k). If a requirement fails it re-draws weights AND inputs (model seed + 1, input seed + 1000,
printed; the seeds used are in the metadata). Resulting masks ("modality 0 bits|modality 1 bits"):

    arch  seeds model/inputs  b1_l2_aa   b1_l8_noaa  b3_l4_aa (samples 0; 1; 2)          b3_l4_aa min cut gap
    gtdm  305 / 4311          1000|1000  1111|1111   1001|1001; 1000|1011; 1000|1011      6.1e-4
    ave   305 / 3312          1000|1000  1111|1111   1000|1011; 1100|1001; 1000|1011      2.0e-1
    mmfi  303 / 313           1000|1000  1111|1111   1101|1000; 1001|1001; 1101|1000      8.6e-3

Sizes (bytes): gtdm 956,280 + 371,648; ave 2,360,568 + 576,640; mmfi 899,212 + 1,846,340; total 7,010,688.
AVE is dominated by controller.encoder_dict.audio.12.weight (48 × 7488 floats = 1.44 MB), MMFI by its inputs
(2 × 15 × 3×32×32 floats = 369 KB per sample, 5 samples).

Note: the reduced inputs (32×32, 32×128) are UPSAMPLED by the controller's Resize to 100×100 / 128×512,
where antialiased and plain bilinear coincide up to float rounding (the script prints the logit
difference between the two settings, <= 9e-7, same masks); the antialias flag is exercised for real by
gtdm_full.py (224 → 100) and by the core resize fixtures.

Checks printed on every run: each output recomputed in float64 with the same mask ([f64 check]), the
backbones against make_core_fixtures.vit_forward and the fusion encoder against
make_core_fixtures.transformer_enc (functional implementations), top-L against torch.topk, the
streaming writer used by gtdm_full.py against st_write.save_file, and a sha256 per file.
"""
import copy
import hashlib
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import admn_ref as R  # noqa: E402
import make_core_fixtures as C  # noqa: E402  (import has no side effects beyond thread/grad settings)
from st_write import load_file, save_file  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "fixtures", "networks"))
GAP_MIN = 1e-5

torch.set_num_threads(1)
torch.set_grad_enabled(False)

# Starting seeds = the first ones the retry loop of make() accepted when searching from 301/311,
# 302/312, 303/313 (model / inputs); kept so a normal run needs no retry.
MODEL_SEEDS = {"gtdm": 305, "ave": 305, "mmfi": 303}
INPUT_SEEDS = {"gtdm": 4311, "ave": 3312, "mmfi": 313}
CASES = [  # name, batch, budget, antialias, per-sample (std modality 0, std modality 1)
    ("b1_l2_aa", 1, 2, True, [(1.0, 1.0)]),
    ("b1_l8_noaa", 1, 8, False, [(2.0, 0.5)]),
    ("b3_l4_aa", 3, 4, True, [(1.0, 1.0), (3.0, 1.0), (1.0, 3.0)]),
]
DIFFERENT_MASKS_CASE = "b3_l4_aa"


def fmt_std(stds):
    return ";".join(",".join(f"{s:g}" for s in pair) for pair in stds)


def fmt_masks(mask):
    return ";".join("|".join("".join(str(int(v)) for v in row) for row in sample) for sample in mask.tolist())


def draw_inputs(cfg, seed, cases=CASES):
    """Per case, one (B, instances, C, H, W) tensor per modality: N(0, 1) scaled by the case's std of
    each sample and modality, drawn in case, modality order from one generator."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, batch, _, _, stds in cases:
        xs = []
        for m, (n, vc) in enumerate(zip(cfg.instances, cfg.vits)):
            x = torch.randn((batch, n, vc.in_chans, *vc.img), generator=g)
            std = torch.tensor([s[m] for s in stds]).reshape(batch, 1, 1, 1, 1)
            xs.append(x * std)
        out[name] = xs
    return out


def rel(a, b):
    return ((a.double() - b.double()).abs().max() / b.double().abs().max()).item()


def run_cases(model, inputs):
    """Returns {case: outputs} and a list of problems (near-ties, identical masks)."""
    results, problems = {}, []
    for name, batch, budget, aa, _ in CASES:
        out = model(inputs[name], budget=budget, antialias=aa)
        results[name] = out
        k = budget - 2
        if 0 < k < out["controller_logits"].shape[1] and float(out["cut_gap"].min()) <= GAP_MIN:
            problems.append(f"{name}: near-tie at the top-k cut (gap {float(out['cut_gap'].min()):.3e})")
        if name == DIFFERENT_MASKS_CASE:
            counts = {tuple(int(v) for v in row.sum(dim=1)) for row in out["layer_mask"]}
            if len(counts) < 2:
                problems.append(f"{name}: every sample keeps the same number of blocks per modality "
                                f"({fmt_masks(out['layer_mask'])})")
    return results, problems


def checks(arch, model, inputs, results):
    cfg = model.cfg
    m64 = copy.deepcopy(model).double()
    for name, batch, budget, aa, _ in CASES:
        out = results[name]
        mask = out["layer_mask"]
        # top-L against torch.topk (no near-ties, so the sets must agree)
        z = out["controller_logits"].clone()
        z[:, 0], z[:, 4] = R.FORCED_LOGIT, R.FORCED_LOGIT
        ref = torch.zeros_like(z).scatter_(1, torch.topk(z, budget - 2, dim=1).indices, 1.0).reshape(batch, 2, 4)
        ref[:, :, 0] = 1
        assert torch.equal(ref, mask), (name, ref, mask)
        assert int(mask.sum()) == budget * batch
        # float64 recomputation with the same plan
        o64 = m64([x.double() for x in inputs[name]], plan=mask.double(), antialias=aa)
        keys = [k for k in out if k not in ("layer_mask", "cut_gap")]
        devs = ", ".join(f"{k} {rel(out[k], o64[k]):.1e}" for k in keys)
        print(f"    [f64 check] {name}: max|f32-f64|/max|f64|: {devs}")
        m64_free, _ = R.top_l(o64["controller_logits"], budget, model.depths)
        assert torch.equal(m64_free.float(), mask), f"{name}: float64 logits give another mask"
        # antialias sensitivity of the controller on these (upsampled) inputs
        other = model(inputs[name], budget=budget, antialias=not aa)
        d = (other["controller_logits"] - out["controller_logits"]).abs().max().item()
        print(f"    [antialias] {name}: max|logits(aa={not aa}) - logits(aa={aa})| = {d:.2e}"
              f"{'  (same mask)' if torch.equal(other['layer_mask'], mask) else '  (MASK DIFFERS)'}")
    # functional cross-checks (make_core_fixtures) of the backbones and the fusion encoder
    name = DIFFERENT_MASKS_CASE
    mask = results[name]["layer_mask"]
    for m, prefix in enumerate(cfg.backbones):
        vc = cfg.vits[m]
        x = inputs[name][m]
        B, n = x.shape[:2]
        imgs = x.reshape(B * n, *x.shape[2:])
        keep = mask[:, m].repeat_interleave(n, dim=0)
        mod_out = getattr(model, prefix)(imgs, keep)
        p = {k[len(prefix) + 1:]: v for k, v in model.state_dict().items() if k.startswith(prefix + ".")}
        worst = 0.0
        for i in range(B * n):
            f = C.vit_forward(imgs[i:i + 1], p, vc.patch, vc.heads, [bool(b) for b in keep[i]])[0]
            worst = max(worst, (f - mod_out[i:i + 1]).abs().max().item())
        print(f"    [functional check] {prefix} backbone vs make_core_fixtures.vit_forward: max abs diff {worst:.1e}")
        assert worst < 1e-5
    p = {k[len("encoder."):]: v for k, v in model.state_dict().items() if k.startswith("encoder.")}
    xf = torch.randn(2, sum(cfg.instances), cfg.fusion_dim, generator=torch.Generator().manual_seed(0))
    d = (model.encoder(xf) - C.transformer_enc(xf, p, cfg.fusion_depth, cfg.fusion_heads,
                                               cfg.fusion_dim // cfg.fusion_heads)).abs().max().item()
    print(f"    [functional check] fusion encoder vs make_core_fixtures.transformer_enc: max abs diff {d:.1e}")
    assert d < 1e-5
    if cfg.head == "gaussian":  # the head's shared Linear and the formulas of §5.3, written out once more
        p = model.output_head
        h = torch.randn(3, cfg.fusion_dim, generator=torch.Generator().manual_seed(1))
        W, b = p.mlp[0].weight, p.mlp[0].bias
        hh = torch.nn.functional.gelu(torch.nn.functional.gelu(h @ W.T + b) @ W.T + b)
        o = torch.cat((hh @ p.mean_head.weight.T + p.mean_head.bias, hh @ p.cov_head.weight.T + p.cov_head.bias), 1)
        d0, d1, off = [torch.nn.functional.softplus(o[:, 3]), torch.nn.functional.softplus(o[:, 4]), o[:, 5]]
        row0 = torch.stack((d0 * d0 + 1, d0 * off), 1)
        row1 = torch.stack((d0 * off, off * off + d1 * d1 + 1), 1)
        cov = torch.stack((row0, row1), 1)  # L L^T + I with L = [[d0, 0], [off, d1]]
        mean, cov_mod = p(h)
        dm = (mean - (torch.sigmoid(o[:, :2]) - 0.5) * 400).abs().max().item()
        dc = (cov_mod - cov).abs().max().item()
        print(f"    [formula check] gaussian head: mean {dm:.1e}, cov {dc:.1e}")
        assert dm < 1e-4 and dc < 1e-5


def write(path, tensors, meta):
    save_file(tensors, path, meta)
    back, bmeta = load_file(path)
    assert bmeta == meta and set(back) == set(tensors)
    for k, v in tensors.items():
        assert back[k].dtype == np.float32 and np.array_equal(back[k], v.numpy()), k
    size = os.path.getsize(path)
    print(f"wrote {os.path.relpath(path, os.path.join(HERE, '..', '..'))} ({size} bytes, {len(tensors)} tensors)")
    return size


def make(arch):
    t0 = time.time()
    cfg = R.CONFIGS[arch](True)
    for attempt in range(50):
        model_seed, seed = MODEL_SEEDS[arch] + attempt, INPUT_SEEDS[arch] + 1000 * attempt
        model = R.build(arch, True, model_seed)
        inputs = draw_inputs(cfg, seed)
        results, problems = run_cases(model, inputs)
        if not problems:
            break
        print(f"  seeds model {model_seed} / inputs {seed} rejected: {'; '.join(problems)} -> re-drawing weights "
              f"and inputs with seeds {model_seed + 1} / {seed + 1000}")
    else:
        raise RuntimeError(f"{arch}: no seeds without near-ties / with different masks")
    sd = R.export_state_dict(model)
    if cfg.head == "gaussian":
        assert torch.equal(sd["output_head.mlp.2.weight"], sd["output_head.mlp.0.weight"])

    model_meta = {"admn.arch": arch, "admn.config": json.dumps(cfg.config_json)}
    sizes = [write(os.path.join(OUT, f"{arch}_small.safetensors"), sd, model_meta)]

    # the streaming writer (gtdm_full.py) must produce the same bytes as st_write.save_file
    if arch == "gtdm":
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "s.safetensors")
            R.save_file_streaming(sd, p, model_meta)
            a = open(p, "rb").read()
            b = open(os.path.join(OUT, f"{arch}_small.safetensors"), "rb").read()
            assert a == b, "save_file_streaming differs from st_write.save_file"
            print("    [writer check] admn_ref.save_file_streaming == st_write.save_file (byte-identical)")

    t = {}
    meta = {"admn.arch": arch, "generator": "tests/reference/make_network_fixtures.py", "torch": torch.__version__,
            "seed.model": str(model_seed), "seed.inputs": str(seed), "cases": ",".join(c[0] for c in CASES)}
    for name, batch, budget, aa, stds in CASES:
        out = results[name]
        for mname, x in zip(cfg.mod_names, inputs[name]):
            t[f"{name}.{mname}"] = x
        for k in ("layer_mask", "controller_logits", "qoi", "pred_mean", "pred_cov", "logits"):
            if k in out:
                t[f"{name}.{k}"] = out[k].contiguous()
        gap = float(out["cut_gap"].min())
        meta.update({f"{name}.batch": str(batch), f"{name}.budget": str(budget),
                     f"{name}.antialias": "true" if aa else "false", f"{name}.input_std": fmt_std(stds),
                     f"{name}.masks": fmt_masks(out["layer_mask"]),
                     f"{name}.min_cut_gap": "inf" if math.isinf(gap) else f"{gap:.3e}"})
        print(f"  case {name}: batch {batch}, budget {budget}, antialias {aa}, masks {fmt_masks(out['layer_mask'])}, "
              f"min cut gap {meta[f'{name}.min_cut_gap']}")
        for b in range(batch):
            print(f"      sample {b}: logits {[round(v, 4) for v in out['controller_logits'][b].tolist()]}")
    for k, v in t.items():
        assert v.dtype == torch.float32 and torch.isfinite(v).all(), k
    sizes.append(write(os.path.join(OUT, f"{arch}_small_cases.safetensors"), t, meta))
    for k in sorted(t):
        print(f"    {k:40s} {tuple(t[k].shape)}")
    checks(arch, model, inputs, results)
    print(f"  {arch}: {sum(sizes)} bytes for the pair, {time.time() - t0:.1f} s")
    return sizes


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}, output {OUT}")
    total = 0
    for arch in ("gtdm", "ave", "mmfi"):
        print(f"{arch}:")
        total += sum(make(arch))
    print(f"\n6 files, {total} bytes ({total / 2**20:.2f} MiB) in {OUT}")
    for f in sorted(os.listdir(OUT)):
        with open(os.path.join(OUT, f), "rb") as fh:
            print(f"  {hashlib.sha256(fh.read()).hexdigest()}  {f}")


if __name__ == "__main__":
    main()
