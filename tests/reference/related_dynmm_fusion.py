"""DynMM fusion-level gating reference (Xue & Marculescu, "Dynamic Multimodal Fusion"): per sample a small gate
over the backbone features picks one of two fusion operators of different cost, and only that one is needed.

Model (keys as admn's gated_fusion expects them, one file):

    rgb.*, depth.*                       timm ViTs (admn_ref.VisionTransformer), patch 8 on 3x16x16 images (5 tokens),
                                         depth 2, 2 heads: rgb width 16 (mlp 32), depth width 24 (mlp 48)
    fusion_gate.0.{weight,bias}          Linear(16 + 24, 8) -> ReLU -> Linear(8, 2)   (nn.Sequential: indices 0, 2)
    fusion_gate.2.{weight,bias}          on g = [mean over rgb's instances, mean over depth's instances]
    fusion.0.{rgb,depth}_adapter.*       operator 0, mean fusion: adapters (fc1/fc2, LeakyReLU 0.01) 16|24 -> 12 -> 16,
                                         then the mean over all adapted tokens (no position encoding, no encoder)
    fusion.1.{rgb,depth}_adapter.*       operator 1, ADMN's transformer fusion: the same kind of adapters, sinusoidal
    fusion.1.encoder.*                   PE, TransformerEnc(16, depth 1, 4 heads, mlp 24), mean over tokens
    output_head.{weight,bias}            Linear(16, 5): logits
    2 instances per modality; tokens in modality order (rgb's instances, then depth's).

Inputs and expected values (same file):

    input.rgb, input.depth  (8, 2, 3, 16, 16)   8 samples, every block of both backbones runs
    feature.rgb (16, 16), feature.depth (16, 24) the backbone features (sample-major rows)
    fusion_gate_logits (8, 2)                    the gate's logits
    fusion_paths (8,)                            argmax (float): 0 mean fusion, 1 transformer fusion
    fused (8, 16)                                each sample's chosen operator's output
    logits (8, 5)                                the head on it
    operator<k>.fused (8, 16)                    operator k on every sample
    metadata: gate_min_gap (smallest top-1 minus top-2 gate logit gap), seed, torch, vit_heads, fusion_heads

The seed is the first from 100 for which both operators are chosen by at least two samples, the choices are not
one block of each (so a grouped run must gather), and no gate decision is a near-tie (gap > 1e-3).

Run: /usr/bin/python3 tests/reference/related_dynmm_fusion.py
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import admn_ref  # noqa: E402
from st_write import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "related",
                   "dynmm_fusion.safetensors")
MODS = ("rgb", "depth")
WIDTHS = (16, 24)
NODES, IMG, BATCH, DEPTH = 2, 16, 8, 2
FUSION_DIM, ADAPTER_HIDDEN, GATE_HIDDEN, CLASSES = 16, 12, 8, 5


class MeanFusion(nn.Module):
    def __init__(self):
        super().__init__()
        for m, d in zip(MODS, WIDTHS):
            setattr(self, m + "_adapter", admn_ref.Adapter(d, ADAPTER_HIDDEN, FUSION_DIM))

    def forward(self, feats):
        toks = torch.cat([getattr(self, m + "_adapter")(f) for m, f in zip(MODS, feats)], dim=1)
        return toks.mean(dim=1)


class TransformerFusion(MeanFusion):
    def __init__(self):
        super().__init__()
        self.encoder = admn_ref.TransformerEnc(FUSION_DIM, 1, 4, 24)

    def forward(self, feats):
        toks = torch.cat([getattr(self, m + "_adapter")(f) for m, f in zip(MODS, feats)], dim=1)
        toks = toks + admn_ref.positionalencoding1d(toks.shape[2], toks.shape[1])
        return self.encoder(toks).mean(dim=1)


class GatedFusionNet(nn.Module):
    def __init__(self):
        super().__init__()
        for m, d in zip(MODS, WIDTHS):
            setattr(self, m, admn_ref.VisionTransformer(admn_ref.VitConfig(3, (IMG, IMG), 8, d, DEPTH, 2, 2 * d)))
        self.fusion_gate = nn.Sequential(nn.Linear(sum(WIDTHS), GATE_HIDDEN), nn.ReLU(),
                                         nn.Linear(GATE_HIDDEN, 2))
        self.fusion = nn.ModuleList([MeanFusion(), TransformerFusion()])
        self.output_head = nn.Linear(FUSION_DIM, CLASSES)

    def forward(self, inputs):
        B = inputs[0].shape[0]
        feats = []
        for m, x in zip(MODS, inputs):
            vit = getattr(self, m)
            keep = torch.ones(B * NODES, DEPTH)
            feats.append(vit(x.reshape(B * NODES, *x.shape[2:]), keep).reshape(B, NODES, -1))
        g = torch.cat([f.mean(dim=1) for f in feats], dim=1)
        gate_logits = self.fusion_gate(g)
        paths = torch.argmax(gate_logits, dim=-1)
        outs = [op(feats) for op in self.fusion]
        fused = torch.where((paths == 0)[:, None], outs[0], outs[1])
        return feats, gate_logits, paths, outs, fused, self.output_head(fused)


def build(seed):
    torch.manual_seed(0)
    model = GatedFusionNet().eval()
    with torch.no_grad():
        for i, part in enumerate((model.rgb, model.depth, model.fusion_gate, model.fusion, model.output_head)):
            admn_ref.randomize(part, seed + i)
    return model


def make_inputs(seed):
    g = torch.Generator().manual_seed(seed + 50)
    scale = torch.exp(1.5 * torch.randn((2, BATCH), generator=g))  # per modality and sample
    return [torch.randn((BATCH, NODES, 3, IMG, IMG), generator=g) * scale[m][:, None, None, None, None]
            for m in range(2)]


def main():
    torch.set_num_threads(1)
    for seed in range(100, 300):
        model = build(seed)
        inputs = make_inputs(seed)
        with torch.no_grad():
            feats, gate_logits, paths, outs, fused, logits = model(inputs)
        top2 = torch.topk(gate_logits, 2, dim=-1).values
        gap = float((top2[:, 0] - top2[:, 1]).min())
        chosen = paths.tolist()
        counts = [chosen.count(k) for k in range(2)]
        blocks = sum(1 for b in range(1, BATCH) if chosen[b] != chosen[b - 1]) + 1
        if min(counts) >= 2 and blocks > 2 and gap > 1e-3:
            break
    else:
        raise RuntimeError("no seed gives both operators, gathered groups and no near-ties")
    print(f"seed {seed}: paths {chosen}, smallest gate gap {gap:.3e}")
    tensors = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for m, x, f in zip(MODS, inputs, feats):
        tensors["input." + m] = x
        tensors["feature." + m] = f.reshape(BATCH * NODES, -1)
    tensors["fusion_gate_logits"] = gate_logits
    tensors["fusion_paths"] = paths.float()
    tensors["fused"] = fused
    tensors["logits"] = logits
    for k, o in enumerate(outs):
        tensors[f"operator{k}.fused"] = o
        assert torch.equal(fused[paths == k], o[paths == k])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT,
              {"gate_min_gap": f"{gap:.3e}", "seed": str(seed), "torch": torch.__version__, "nodes": str(NODES),
               "image": str(IMG), "vit_heads": "2", "fusion_heads": "4"})
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
