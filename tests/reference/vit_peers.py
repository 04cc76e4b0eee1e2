"""The ViT-B/16 work admn's peers are timed on: one set of weights and inputs for every tool.

    /usr/bin/python3 tests/reference/vit_peers.py OUTDIR

writes (about 20 s, ~1.1 GB in OUTDIR; tools/bench-peers.sh reuses them while newer than this file):

    OUTDIR/vit_b.safetensors   random timm-style ViT-B/16 weights (224x224, 12 blocks, dim 768,
                               12 heads, MLP 3072, LayerNorm eps 1e-5 as in docs/numerics.md §0),
                               timm state-dict names (patch_embed.proj.*, cls_token (1,1,768),
                               pos_embed (1,197,768), blocks.<i>.{norm1,attn.qkv,attn.proj,norm2,
                               mlp.fc1,mlp.fc2}.*, norm.*), plus the inputs and PyTorch fp32 outputs:
                                 block_input (1,197,768)  -> block_output   blocks.0 on block_input
                                 image (1,3,224,224)      -> backbone_12    CLS token after the final
                                                          -> backbone_6     LayerNorm, all 12 blocks / the
                                                                            first 6 of 12 (docs/numerics.md §2.4)
    OUTDIR/block.onnx          blocks.0 alone, input "x" (1,197,768) -> "y"
    OUTDIR/backbone_12.onnx    the backbone, input "image" (1,3,224,224) -> "cls" (1,768)
    OUTDIR/backbone_6.onnx     the backbone running blocks 0-5 only (the skipped blocks are not in the graph)

ONNX: torch.onnx.export (Debian's python3-torch 1.13), opset 17 (LayerNormalization as one op; exact
GELU exported through Erf, which ONNX Runtime fuses back at graph optimisation level "all"), constant
folding on, fixed batch 1. Each exported model is checked with onnx.checker. The modules are written from
docs/numerics.md §2.3 (timm Block) and §2.2/§2.4 (ViT forward), like bench/common/torch_gtdm.hpp.

Also a module for the peer benchmarks: `load(path)` returns (weights, metadata) and `Backbone`, `Block`
build the PyTorch modules from them (bench/torch_int8.py quantises their Linears).
"""
import math
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from st_write import load_file, save_file  # noqa: E402

DIM, HEADS, DEPTH, PATCH, IMAGE = 768, 12, 12, 16, 224
TOKENS = (IMAGE // PATCH) ** 2 + 1
EPS = 1e-5
OPSET = 17
HALF_DEPTH = 6


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        hd = self.head_dim
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)), dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class Block(nn.Module):
    """timm Block (docs/numerics.md §2.3): x + attn(norm1(x)), then + mlp(norm2(.))."""

    def __init__(self, dim=DIM, heads=HEADS):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=EPS)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=EPS)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Backbone(nn.Module):
    """ViT-B/16 → the CLS token after the final LayerNorm, running blocks 0..kept-1 (§2.2, §2.4)."""

    def __init__(self, kept=DEPTH):
        super().__init__()
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, DIM, PATCH, PATCH)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.zeros(1, TOKENS, DIM))
        self.blocks = nn.ModuleList(Block() for _ in range(kept))
        self.norm = nn.LayerNorm(DIM, eps=EPS)

    def forward(self, image):
        x = self.patch_embed.proj(image).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], 1, DIM), x], 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, 0]


def random_weights(seed=0):
    """Uniform weights at the scales of bench/compare_libtorch.cpp's random blocks."""
    g = torch.Generator().manual_seed(seed)

    def uniform(shape, scale, centre=0.0):
        return (torch.rand(shape, generator=g) * 2 - 1) * scale + centre

    w = {"patch_embed.proj.weight": uniform((DIM, 3, PATCH, PATCH), 0.02),
         "patch_embed.proj.bias": uniform((DIM,), 0.1),
         "cls_token": uniform((1, 1, DIM), 0.5),
         "pos_embed": uniform((1, TOKENS, DIM), 0.5),
         "norm.weight": uniform((DIM,), 0.1, 1.0),
         "norm.bias": uniform((DIM,), 0.1)}
    for i in range(DEPTH):
        p = f"blocks.{i}."
        w.update({p + "norm1.weight": uniform((DIM,), 0.1, 1.0), p + "norm1.bias": uniform((DIM,), 0.1),
                  p + "attn.qkv.weight": uniform((3 * DIM, DIM), 16 / DIM),
                  p + "attn.qkv.bias": uniform((3 * DIM,), 0.1),
                  p + "attn.proj.weight": uniform((DIM, DIM), 16 / DIM),
                  p + "attn.proj.bias": uniform((DIM,), 0.1),
                  p + "norm2.weight": uniform((DIM,), 0.1, 1.0), p + "norm2.bias": uniform((DIM,), 0.1),
                  p + "mlp.fc1.weight": uniform((4 * DIM, DIM), 16 / DIM),
                  p + "mlp.fc1.bias": uniform((4 * DIM,), 0.1),
                  p + "mlp.fc2.weight": uniform((DIM, 4 * DIM), 16 / (4 * DIM)),
                  p + "mlp.fc2.bias": uniform((DIM,), 0.1)})
    inputs = {"block_input": uniform((1, TOKENS, DIM), 1.0), "image": uniform((1, 3, IMAGE, IMAGE), 1.0)}
    return w, inputs


def block_from(weights):
    block = Block().eval()
    block.load_state_dict({k[len("blocks.0."):]: torch.from_numpy(np.asarray(v)) for k, v in weights.items()
                           if k.startswith("blocks.0.")})
    return block


def backbone_from(weights, kept=DEPTH):
    vit = Backbone(kept).eval()
    wanted = vit.state_dict().keys()
    vit.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in weights.items() if k in wanted})
    return vit


def load(path):
    """(tensors as numpy arrays, metadata) of a vit_b.safetensors written by main()."""
    return load_file(path)


def export(module, example, path, input_name, output_name):
    import onnx
    torch.onnx.export(module, (example,), path, opset_version=OPSET, do_constant_folding=True,
                      input_names=[input_name], output_names=[output_name])
    onnx.checker.check_model(path)
    print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB, opset {OPSET}")


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    weights, inputs = random_weights()
    block, full, half = block_from(weights), backbone_from(weights), backbone_from(weights, HALF_DEPTH)
    with torch.no_grad():
        outputs = {"block_output": block(inputs["block_input"]),
                   "backbone_12": full(inputs["image"]), "backbone_6": half(inputs["image"])}
        save_file({**weights, **inputs, **outputs}, os.path.join(out, "vit_b.safetensors"),
                  {"torch": torch.__version__, "eps": repr(EPS), "heads": str(HEADS),
                   "onnx_opset": str(OPSET)})
        export(block, inputs["block_input"], os.path.join(out, "block.onnx"), "x", "y")
        export(full, inputs["image"], os.path.join(out, "backbone_12.onnx"), "image", "cls")
        export(half, inputs["image"], os.path.join(out, "backbone_6.onnx"), "image", "cls")
    print(f"wrote {out}/vit_b.safetensors and 3 ONNX models")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: vit_peers.py OUTDIR")
    main(sys.argv[1])
