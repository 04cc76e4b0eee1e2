"""LayerShuffle reference (Freiberger et al., "LayerShuffle: Enhancing Robustness in Vision Transformers by
Randomizing Layer Execution Order"): a tiny timm-style ViT run with its blocks in a given execution order,
with and without the learned layer-position embedding.

Writes tests/fixtures/related/layershuffle.safetensors:

    cls_token (1,1,16), pos_embed (1,17,16), patch_embed.proj.{weight (16,3,8,8), bias (16)},
    blocks.{0..5}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*, norm.*   the ViT (admn_ref.VisionTransformer:
                                    dim 16, depth 6, 2 heads, mlp 32, patch 8, 3x32x32 images), keys as timm's
    layer_position.weight (6,16)    E: the block at execution position p receives x + E[p] on every token
    image (2,3,32,32)               the input batch
    out.<i> (2,16)                  CLS after the final LayerNorm, blocks run in order i, no position embedding
    out_pos.<i> (2,16)              the same with the position embedding
    tokens_pos.<i> (2,17,16)        every token after the final LayerNorm, with the position embedding (i = 1)
    metadata: heads "2", orders "<order 0>;<order 1>;..." (comma-separated block lists, "" = no block),
              torch (version), f64_max_rel (largest relative deviation of the float32 goldens from float64)

The mechanism, per execution position p of the order o:  x <- Block_{o_p}(x + E[p])  (embedding variant) or
x <- Block_{o_p}(x); x starts as [cls; patches] + pos_embed and ends as LayerNorm(x)[:, 0]. An empty order gives
LN(cls + pos[0]). Deterministic: two runs write identical bytes.

Run: /usr/bin/python3 tests/reference/related_layershuffle.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import admn_ref  # noqa: E402
from st_write import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "related", "layershuffle.safetensors")
ORDERS = ["0,1,2,3,4,5", "5,4,3,2,1,0", "3,0,5,1,4,2", "1,3,5", "4,1,2", "2", ""]


def forward(vit, img, order, table=None):
    """CLS and all tokens after the final LayerNorm, blocks run in `order` (list of indices)."""
    B = img.shape[0]
    x = vit.patch_embed(img)
    x = torch.cat((vit.cls_token.expand(B, -1, -1), x), dim=1) + vit.pos_embed
    for p, i in enumerate(order):
        if table is not None:
            x = x + table[p]
        x = vit.blocks[i](x)
    x = vit.norm(x)
    return x[:, 0], x


def main():
    torch.set_num_threads(1)
    cfg = admn_ref.VitConfig(3, (32, 32), 8, 16, 6, 2, 32)
    torch.manual_seed(0)
    vit = admn_ref.VisionTransformer(cfg).eval()
    admn_ref.randomize(vit, 11)
    g = torch.Generator().manual_seed(12)
    table = 0.5 * torch.randn((cfg.depth, cfg.dim), generator=g)
    img = torch.randn((2, 3, 32, 32), generator=g)

    tensors = {k: v.detach().clone() for k, v in vit.state_dict().items()}
    tensors["layer_position.weight"] = table
    tensors["image"] = img
    worst = 0.0
    vit64 = admn_ref.VisionTransformer(cfg).eval().double()
    vit64.load_state_dict({k: v.double() for k, v in vit.state_dict().items()})
    with torch.no_grad():
        for i, text in enumerate(ORDERS):
            order = [int(t) for t in text.split(",")] if text else []
            out, _ = forward(vit, img, order)
            out_pos, tokens_pos = forward(vit, img, order, table)
            tensors[f"out.{i}"] = out
            tensors[f"out_pos.{i}"] = out_pos
            if i == 1:
                tensors[f"tokens_pos.{i}"] = tokens_pos
            for got, tab in ((out, None), (out_pos, table.double())):
                ref, _ = forward(vit64, img.double(), order, tab)
                worst = max(worst, float((got.double() - ref).abs().max() / ref.abs().max()))
            print(f"order {i} [{text}]: |out| {float(out.norm()):.4f}, |out_pos - out| {float((out_pos - out).norm()):.4f}")
        # Orders matter: the reversed order moves the output; an empty order gives LN(cls + pos[0]).
        assert float((tensors["out.0"] - tensors["out.1"]).abs().max()) > 1e-2
        empty = vit.norm(vit.cls_token[0, 0] + vit.pos_embed[0, 0])
        assert torch.equal(tensors[f"out.{len(ORDERS) - 1}"][0], empty)
    print(f"[f64 check] max relative deviation {worst:.2e}")
    assert worst < 1e-5
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT,
              {"heads": "2", "orders": ";".join(ORDERS), "torch": torch.__version__, "f64_max_rel": f"{worst:.3e}"})
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
