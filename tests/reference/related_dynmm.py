"""DynMM / AdaMML reference: a modality-level gate choosing one of K = 3 expert networks per sample, as in the
ADMN code's "MNS" baseline (docs/numerics.md §4.10: AdaMML_Modality_Selector + AdaMML_Model_All + AdaMML_SubnetModel,
GTDM layout), at a reduced size. DynMM (Xue & Marculescu, "Dynamic Multimodal Fusion") modality-level gating is
the same mechanism: hard argmax at inference, only the chosen expert is needed.

Model (keys as the ADMN state dict, one file):

    selector.encoder_dict.<mod>.{1,3,6,9}.*   conv encoders (spec §4.2; Resize 100x100, Linear 1587 -> 8)
    selector.cls (1,8), selector.combiner_encoder.*   TransformerEnc(8, depth 1, 4 heads, mlp 32) (spec §4.5)
    selector.mod_sel_head.{0,2}.weight        Linear(8, 8, no bias) -> ReLU -> Linear(8, 3, no bias)
    vision.*  expert 0, image only:  vision.vision.* (ViT depth 4), vision.vision_adapter.*, vision.encoder.*,
                                     vision.output_head.* (GTDM OutputHead, spec §5.3)
    depth.*   expert 1, depth only:  depth.depth.* (ViT depth 4), depth.depth_adapter.*, depth.encoder.*, ...
    fused.*   expert 2, both:        fused.vision.* and fused.depth.* (ViT depth 2 each = budget 4 // 2),
                                     fused.vision_adapter.*, fused.depth_adapter.*, fused.encoder.*, fused.output_head.*
    ViTs: dim 16, 2 heads, mlp 32, patch 8 on 3x16x16 images (5 tokens); adapters 16 -> 12 -> 16 (LeakyReLU);
    fusion TransformerEnc(16, depth 1, 4 heads, mlp 24) + sinusoidal PE + mean; 2 sensor nodes per modality.

Inputs and expected values (same file):

    input.zed_camera_left, input.realsense_camera_depth   (6, 2, 3, 16, 16): 6 samples, 2 nodes each
    gate_logits (6, 3)            selector logits
    paths (6,)                    argmax (float): 0 image only, 1 depth only, 2 fused
    pred_mean (6, 2), pred_cov (6, 2, 2)   AdaMML_Model_All's output: sum_k onehot_k * expert_k(x)
    expert<k>.pred_mean / .pred_cov        expert k on every sample (for forced-path checks)
    metadata: gate_min_gap (smallest top-1 minus top-2 logit gap), torch, nodes, image, heads

The seeds are chosen so that the 6 samples use all three experts and no gate decision is a near-tie.

Run: /usr/bin/python3 tests/reference/related_dynmm.py
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import admn_ref  # noqa: E402
from st_write import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "related", "dynmm.safetensors")
MODS = ("zed_camera_left", "realsense_camera_depth")
NODES, IMG, BATCH, BUDGET = 2, 16, 6, 4
GATE_DIM, GATE_HIDDEN = 8, 8


class Selector(nn.Module):
    """AdaMML_Modality_Selector's inference path (3-way hard argmax)."""

    def __init__(self):
        super().__init__()
        self.encoder_dict = nn.ModuleDict({m: admn_ref.conv_encoder(admn_ref.IMG_ENC, GATE_DIM) for m in MODS})
        self.combiner_encoder = admn_ref.TransformerEnc(GATE_DIM, 1, 4, 4 * GATE_DIM)
        self.cls = nn.Parameter(torch.zeros(1, GATE_DIM))
        self.mod_sel_head = nn.Sequential(nn.Linear(GATE_DIM, GATE_HIDDEN, bias=False), nn.ReLU(),
                                          nn.Linear(GATE_HIDDEN, 3, bias=False))

    def forward(self, inputs):
        toks = [self.encoder_dict[m](x[:, n]) for m, x in zip(MODS, inputs) for n in range(NODES)]
        x = torch.stack(toks, dim=1)
        B = x.shape[0]
        x = torch.cat((self.cls.expand(B, -1)[:, None, :], x), dim=1)
        x = x + admn_ref.positionalencoding1d(x.shape[2], x.shape[1])
        logits = self.mod_sel_head(self.combiner_encoder(x)[:, 0])
        return logits, F.one_hot(torch.argmax(logits, dim=-1), num_classes=3).float()


class Subnet(nn.Module):
    """AdaMML_SubnetModel: the modalities it uses, each ViT of depth budget // (modalities used)."""

    def __init__(self, use_img, use_dep):
        super().__init__()
        self.used = [m for m, u in zip(("vision", "depth"), (use_img, use_dep)) if u]
        depth = BUDGET // len(self.used)
        for name in self.used:
            setattr(self, name, admn_ref.VisionTransformer(admn_ref.VitConfig(3, (IMG, IMG), 8, 16, depth, 2, 32)))
            setattr(self, name + "_adapter", admn_ref.Adapter(16, 12, 16))
        self.encoder = admn_ref.TransformerEnc(16, 1, 4, 24)
        self.output_head = admn_ref.GaussianHead(16)

    def forward(self, inputs):
        outlist = []
        for name, x in zip(("vision", "depth"), inputs):
            if name not in self.used:
                continue
            vit = getattr(self, name)
            for n in range(NODES):
                keep = torch.ones(x.shape[0], vit.cfg.depth)
                outlist.append(getattr(self, name + "_adapter")(vit(x[:, n], keep)))
        agg = torch.stack(outlist, dim=1)
        agg = agg + admn_ref.positionalencoding1d(agg.shape[2], agg.shape[1])
        return self.output_head(self.encoder(agg).mean(dim=1))


class ModelAll(nn.Module):
    def __init__(self):
        super().__init__()
        self.vision = Subnet(True, False)
        self.depth = Subnet(False, True)
        self.fused = Subnet(True, True)
        self.selector = Selector()

    def forward(self, inputs):
        logits, sample = self.selector(inputs)
        outs = [self.vision(inputs), self.depth(inputs), self.fused(inputs)]
        means = torch.stack([o[0] for o in outs], dim=1)
        covs = torch.stack([o[1] for o in outs], dim=1)
        mean = torch.sum(means * sample[:, :, None], dim=1)
        cov = torch.sum(covs * sample[:, :, None, None], dim=1)
        return logits, sample, mean, cov, outs


def build(seed):
    torch.manual_seed(0)
    model = ModelAll().eval()
    with torch.no_grad():
        for i, sub in enumerate((model.vision, model.depth, model.fused)):
            admn_ref.randomize(sub, seed + i)
        for i, part in enumerate((model.selector.encoder_dict, model.selector.combiner_encoder,
                                  model.selector.mod_sel_head)):
            admn_ref.randomize(part, seed + 10 + i)
        g = torch.Generator().manual_seed(seed + 20)
        model.selector.cls.copy_(0.5 * torch.randn(model.selector.cls.shape, generator=g))
    return model


def make_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    scale = torch.exp(1.5 * torch.randn((2, BATCH), generator=g))  # per modality and sample
    return [torch.randn((BATCH, NODES, 3, IMG, IMG), generator=g) * scale[m][:, None, None, None, None]
            for m in range(2)]


def main():
    torch.set_num_threads(1)
    for seed in range(100, 200):
        model = build(seed)
        inputs = make_inputs(seed)
        with torch.no_grad():
            logits, sample, mean, cov, outs = model(inputs)
        paths = torch.argmax(logits, dim=-1)
        top2 = torch.topk(logits, 2, dim=-1).values
        gap = float((top2[:, 0] - top2[:, 1]).min())
        if len(set(paths.tolist())) == 3 and gap > 1e-3:
            break
    else:
        raise RuntimeError("no seed gives all three paths without near-ties")
    print(f"seed {seed}: paths {paths.tolist()}, smallest gate gap {gap:.3e}")
    tensors = {}
    for k, v in model.state_dict().items():
        tensors[k] = v.detach().clone()
    tensors["input.zed_camera_left"], tensors["input.realsense_camera_depth"] = inputs
    tensors["gate_logits"] = logits
    tensors["paths"] = paths.float()
    tensors["pred_mean"], tensors["pred_cov"] = mean, cov
    for k, (m, c) in enumerate(outs):
        tensors[f"expert{k}.pred_mean"], tensors[f"expert{k}.pred_cov"] = m, c
        # The mixture is exact: each row equals its chosen expert's row.
        assert torch.equal(mean[paths == k], m[paths == k])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT,
              {"gate_min_gap": f"{gap:.3e}", "seed": str(seed), "torch": torch.__version__, "nodes": str(NODES),
               "image": str(IMG), "vit_heads": "2", "fusion_heads": "4", "gate_heads": "4"})
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
