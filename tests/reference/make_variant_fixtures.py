"""Golden files for ADMN's GTDM variants at reduced size: tests/fixtures/variants/*.safetensors.

Run:  /usr/bin/python3 tests/reference/make_variant_fixtures.py   (CPU, 1 thread, a few seconds)

The networks are admn_ref.py's (docs/numerics.md §4.8-§4.10), random weights, float32, and the files
follow make_network_fixtures.py's contract (read its docstring): <v>_small.safetensors is the state dict
with metadata {"admn.arch", "admn.config"}, <v>_small_cases.safetensors holds per case c the inputs
c.<modality>, c.layer_mask, c.controller_logits, c.qoi, c.pred_mean, c.pred_cov and the metadata cases,
c.batch, c.budget, c.antialias, c.input_std, c.masks, c.min_cut_gap. Deterministic: two runs give
byte-identical files.

Variants (v) and what differs from gtdm
=======================================

| v | admn.arch | what differs from GTDM_Noise |
|---|---|---|
| gtdm_blur | gtdm_blur | noise_output.2: Linear(24, 8), raw logits (4 blur classes of RGB, then 4 of depth) |
| gtdm_lowlight | gtdm_lowlight | noise_output.2: Linear(24, 4), raw logits (4 gamma classes) |
| gtdm_3mod | gtdm_3mod | third modality range_doppler (backbone mmWave., adapter mmWave_adapter.), 3 × 3×64×16 per sample; its encoder has no Resize (keys 0, 2, 5, 8; kernels (10,2), (10,2), (5,2); MaxPool (4,1); flatten 273); controller width 18 with 4 heads of 4 (inner 16 ≠ 18); 12 logits, top-L with k = L − 3; QoI Linear(24, 3) sigmoid·5 |
| gtdm_ae | gtdm | none: a GTDM whose controller was initialised from the autoencoder (below) |

Reduced sizes (all variants): ViTs width 16, depth 4, 2 heads, mlp 32, patch 8 (3×32×32 → 17 tokens;
range_doppler 3×64×16 → 8×2 grid, 17 tokens); controller width 16 (gtdm_3mod 18), 2 combiner layers, 4
heads, mlp 4·width, output_head (20, width) / (Σ depth, 20), noise_output (24, width) / (q, 24); adapters
fc1 (12, 16), fc2 (16, 12), LeakyReLU 0.01; fusion width 16, 2 layers, 4 heads, mlp 24, 3 tokens per
modality; Gaussian head. admn.config: {"vit_heads": 2, "image_size": [32, 32], "controller_heads": 4,
"fusion_heads": 4} and, for gtdm_3mod, "range_doppler_size": [64, 16].

ADMN-AE (gtdm_ae, docs/numerics.md §4.9). Built the way the authors' train_controller_AE.py builds its
model: a GTDM with random ("stage 1") weights; a Conv_Controller_AE (admn_ref.ConvControllerAE: encoders
without Resize, combiner, cls, ConvTranspose/BatchNorm decoders from the CLS output as a 1×4×4 map) with
its own random weights is run once, then its state dict is loaded into the GTDM's controller with every
`encoder_dict.<modality>.<i>.` renamed to `<i + 1>` (the Resize at index 0) and strict=False: the
decoders are dropped (the only unexpected keys), output_head and noise_output keep their random values
(the only missing keys; the authors then train output_head alone, noise_output stays random). The script
checks that the AE's encoders on Resize(x) give exactly the controller's codes of x. The saved file is an
ordinary `gtdm` model.

Cases (two modalities / three)
==============================

| case | batch | budget L | antialias | input_std per sample (modality 0, 1[, 2]) |
|---|---|---|---|---|
| b1_l2_aa / b1_l3_aa    | 1 | minimum (block 0 of each modality) | true  | 1,1[,1] |
| b1_l8_noaa / b1_l12_noaa | 1 | maximum (all blocks)           | false | 2,0.5[,1] |
| b3_l4_aa / b3_l6_aa    | 3 | middle                              | true  | 1,1[,1]; 3,1[,1]; 1,3[,1] / 1,1,3 |

As in make_network_fixtures.py the batch-3 case must keep different block counts per modality across its
samples and every case with 0 < k < Σ depth must have its top-k cut > 1e-5 wide; otherwise weights and
inputs are re-drawn (model seed + 1, input seed + 1000; the seeds used are in the metadata). Every case is
recomputed in float64 with the same mask and the top-L compared with torch.topk.
"""
import copy
import json
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import admn_ref as R  # noqa: E402
from make_network_fixtures import GAP_MIN, draw_inputs, fmt_masks, fmt_std, rel, write  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "fixtures", "variants"))

torch.set_num_threads(1)
torch.set_grad_enabled(False)

# The first seeds the retry loop of make() accepted (searching from 501, 601, 701, 801 / x011; AE 901).
SEEDS = {"gtdm_blur": (502, 6011), "gtdm_lowlight": (601, 6011), "gtdm_3mod": (704, 10011), "gtdm_ae": (802, 9011)}
AE_SEED = 902


def cases_for(modalities, depth=4):
    lo, hi, mid = modalities, modalities * depth, modalities * depth // 2
    ones = (1.0,) * modalities
    noisy = [(3.0,) + ones[1:], ones[:-1] + (3.0,)]
    return [(f"b1_l{lo}_aa", 1, lo, True, [ones]),
            (f"b1_l{hi}_noaa", 1, hi, False, [(2.0, 0.5) + ones[2:]]),
            (f"b3_l{mid}_aa", 3, mid, True, [ones] + noisy)]


def problems_of(cases, results):
    problems = []
    for name, batch, budget, _, _ in cases:
        out = results[name]
        k = budget - out["layer_mask"].shape[1]
        if 0 < k < out["controller_logits"].shape[1] and float(out["cut_gap"].min()) <= GAP_MIN:
            problems.append(f"{name}: near-tie at the top-k cut (gap {float(out['cut_gap'].min()):.3e})")
        if batch > 1 and len({tuple(int(v) for v in row.sum(dim=1)) for row in out["layer_mask"]}) < 2:
            problems.append(f"{name}: every sample keeps the same number of blocks per modality")
    return problems


def ae_controller(model, seed):
    """Loads a random Conv_Controller_AE into model.controller as train_controller_AE.py does (docstring)."""
    cfg = model.cfg
    ae = R.ConvControllerAE(cfg.controller, cfg.mod_names, (3, 1), (4, 4)).eval()
    R.randomize(ae, seed)
    probe = [torch.randn(2, 3, 3, *e.resize, generator=torch.Generator().manual_seed(seed)) for e in
             cfg.controller.encoders]
    recon = ae(probe)
    assert [tuple(r.shape) for r in recon] == [(2, 3, 64, 64), (2, 1, 64, 64)], [r.shape for r in recon]
    renamed = {}
    for key, value in ae.state_dict().items():
        parts = key.split(".")
        if parts[0] == "encoder_dict":
            parts[2] = str(int(parts[2]) + 1)
        renamed[".".join(parts)] = value
    missing, unexpected = model.controller.load_state_dict(renamed, strict=False)
    assert unexpected and all(k.startswith("decoder_dict.") for k in unexpected), unexpected
    assert missing and all(k.startswith(("output_head.", "noise_output.")) for k in missing), missing
    # The autoencoder's encoders on resized inputs are the controller's encoders, Resize included.
    for name, e in zip(cfg.mod_names, cfg.controller.encoders):
        x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
        resized = torch.nn.functional.interpolate(x, size=e.resize, mode="bilinear", align_corners=False,
                                                  antialias=True)
        assert torch.equal(ae.encoder_dict[name](resized), model.controller.encoder_dict[name](x)), name
    print(f"    [AE] {len(unexpected)} decoder tensors dropped, kept random: {', '.join(sorted(missing))}")


def config_of(variant):
    if variant == "gtdm_ae":
        return R.gtdm_variant("gtdm", True, 2, True)
    return R.CONFIGS[variant](True)


def make(variant):
    cfg = config_of(variant)
    cases = cases_for(len(cfg.mod_names))
    model_seed0, input_seed0 = SEEDS[variant]
    for attempt in range(50):
        model_seed, input_seed = model_seed0 + attempt, input_seed0 + 1000 * attempt
        model = R.AdmnNet(cfg).eval()
        R.randomize(model, model_seed)
        if variant == "gtdm_ae":
            ae_controller(model, AE_SEED + attempt)
        inputs = draw_inputs(cfg, input_seed, cases)
        results = {name: model(inputs[name], budget=budget, antialias=aa) for name, _, budget, aa, _ in cases}
        problems = problems_of(cases, results)
        if not problems:
            break
        print(f"  seeds {model_seed} / {input_seed} rejected: {'; '.join(problems)}")
    else:
        raise RuntimeError(f"{variant}: no seeds without near-ties / with different masks")

    sizes = [write(os.path.join(OUT, f"{variant}_small.safetensors"), R.export_state_dict(model),
                   {"admn.arch": cfg.arch, "admn.config": json.dumps(cfg.config_json)})]
    t = {}
    meta = {"admn.arch": cfg.arch, "generator": "tests/reference/make_variant_fixtures.py",
            "torch": torch.__version__, "seed.model": str(model_seed), "seed.inputs": str(input_seed),
            "cases": ",".join(c[0] for c in cases)}
    m64 = copy.deepcopy(model).double()
    depths = model.depths
    for name, batch, budget, aa, stds in cases:
        out = results[name]
        mask = out["layer_mask"]
        for mname, x in zip(cfg.mod_names, inputs[name]):
            t[f"{name}.{mname}"] = x
        for k in ("layer_mask", "controller_logits", "qoi", "pred_mean", "pred_cov"):
            t[f"{name}.{k}"] = out[k].contiguous()
        gap = float(out["cut_gap"].min())
        meta.update({f"{name}.batch": str(batch), f"{name}.budget": str(budget),
                     f"{name}.antialias": "true" if aa else "false", f"{name}.input_std": fmt_std(stds),
                     f"{name}.masks": fmt_masks(mask), f"{name}.min_cut_gap": "inf" if math.isinf(gap) else f"{gap:.3e}"})
        # top-L against torch.topk, and the float64 recomputation with the same plan
        z = out["controller_logits"].clone()
        for m in range(len(depths)):
            z[:, sum(depths[:m])] = R.FORCED_LOGIT
        ref = torch.zeros_like(z).scatter_(1, torch.topk(z, budget - len(depths), dim=1).indices, 1.0)
        ref = ref.reshape(batch, len(depths), depths[0])
        ref[:, :, 0] = 1
        assert torch.equal(ref, mask) and int(mask.sum()) == budget * batch, name
        o64 = m64([x.double() for x in inputs[name]], plan=mask.double(), antialias=aa)
        assert torch.equal(R.top_l(o64["controller_logits"], budget, depths)[0].float(), mask), name
        devs = ", ".join(f"{k} {rel(out[k], o64[k]):.1e}" for k in ("controller_logits", "qoi", "pred_mean", "pred_cov"))
        print(f"  case {name}: budget {budget}, masks {fmt_masks(mask)}, min cut gap {meta[f'{name}.min_cut_gap']}; "
              f"[f64 check] {devs}")
    sizes.append(write(os.path.join(OUT, f"{variant}_small_cases.safetensors"), t, meta))
    return sum(sizes)


def main():
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for variant in ("gtdm_blur", "gtdm_lowlight", "gtdm_3mod", "gtdm_ae"):
        print(f"{variant}:")
        total += make(variant)
    print(f"\n8 files, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
