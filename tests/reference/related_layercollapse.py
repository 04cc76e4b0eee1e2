"""LayerCollapse reference (Shabgahi et al., "LayerCollapse: Adaptive compression of neural networks"): a tiny
timm-style ViT whose block MLPs use a PReLU, and the same network with every MLP whose slopes are 1 (within a
tolerance) collapsed into one Linear: W = W2 @ W1, b = W2 @ b1 + b2 (products in float64, rounded once).

Writes tests/fixtures/related/layercollapse.safetensors:

    cls_token, pos_embed, patch_embed.proj.*, norm.*       ViT dim 16, depth 5, 2 heads, mlp 48, patch 8, 32x32
    blocks.{i}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*
    blocks.{i}.mlp.act.weight      PReLU slopes: (1,) for nn.PReLU(), (48,) for one slope per hidden feature
                                   block 0: (1,) = 1.0        -> collapses
                                   block 1: (1,) = 0.25       -> stays
                                   block 2: (48,) all 1.0     -> collapses
                                   block 3: (1,) = 1 - 2^-22  -> collapses at tolerance 1e-6, not at 1e-7
                                   block 4: (48,) in [0, 0.5] -> stays
    image (2,3,32,32)
    out.all (2,16), tokens.all (2,17,16)   the PReLU model, every block, CLS / all tokens after the final LN
    out.some (2,16)                        the PReLU model, blocks 1,2,4 only (collapse composes with skipping)
    collapsed.all (2,16), collapsed.some   the collapsed model (blocks 0, 2, 3 as one Linear) in PyTorch
    metadata: heads "2", tolerance "1e-06", collapsed_blocks "0,2,3", macs_saved_per_token (per collapsed
              MLP: 16*48 + 48*16 - 16*16 = 1280, times 3), torch, f64_max_rel, collapse_vs_prelu (relative
              distance of collapsed.all from out.all)

The per-channel PReLU indexes the hidden feature (last dim): F.prelu on the (rows, 48) matrix, which is what
nn.PReLU(48) does to a 2-D input. (nn.PReLU(48) on a (B, N, 48) sequence would index dim 1, the tokens.)

Run: /usr/bin/python3 tests/reference/related_layercollapse.py
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import admn_ref  # noqa: E402
from st_write import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "related", "layercollapse.safetensors")
DIM, DEPTH, HEADS, HIDDEN = 16, 5, 2, 48
TOLERANCE = 1e-6
SOME = [1, 2, 4]


class PReLUMlp(nn.Module):
    """timm Mlp with act_layer = PReLU: keys fc1, act, fc2."""

    def __init__(self, dim, hidden, channels):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.PReLU(channels)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        h = self.fc1(x)
        h = F.prelu(h.reshape(-1, h.shape[-1]), self.act.weight).reshape(h.shape)
        return self.fc2(h)


class CollapsedMlp(nn.Module):
    def __init__(self, mlp):
        super().__init__()
        w1, b1 = mlp.fc1.weight.double(), mlp.fc1.bias.double()
        w2, b2 = mlp.fc2.weight.double(), mlp.fc2.bias.double()
        self.weight = (w2 @ w1).float()
        self.bias = (w2 @ b1 + b2).float()

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


def build():
    cfg = admn_ref.VitConfig(3, (32, 32), 8, DIM, DEPTH, HEADS, HIDDEN)
    torch.manual_seed(0)
    vit = admn_ref.VisionTransformer(cfg).eval()
    admn_ref.randomize(vit, 21)
    g = torch.Generator().manual_seed(22)
    slopes = [torch.tensor([1.0]), torch.tensor([0.25]), torch.ones(HIDDEN), torch.tensor([1.0 - 2.0 ** -22]),
              0.5 * torch.rand(HIDDEN, generator=g)]
    for blk, a in zip(vit.blocks, slopes):
        mlp = PReLUMlp(DIM, HIDDEN, a.numel())
        mlp.fc1.load_state_dict(blk.mlp.fc1.state_dict())
        mlp.fc2.load_state_dict(blk.mlp.fc2.state_dict())
        with torch.no_grad():
            mlp.act.weight.copy_(a)
        blk.mlp = mlp
    img = torch.randn((2, 3, 32, 32), generator=g)
    return vit.eval(), img


def linear_within(mlp, tolerance):
    return bool(((mlp.act.weight - 1.0).abs() <= tolerance).all())


def forward(vit, img, keep):
    B = img.shape[0]
    x = torch.cat((vit.cls_token.expand(B, -1, -1), vit.patch_embed(img)), dim=1) + vit.pos_embed
    for i in keep:
        x = vit.blocks[i](x)
    x = vit.norm(x)
    return x[:, 0], x


def main():
    torch.set_num_threads(1)
    vit, img = build()
    tensors = {k: v.detach().clone() for k, v in vit.state_dict().items()}
    tensors["image"] = img
    collapsed_blocks = [i for i, blk in enumerate(vit.blocks) if linear_within(blk.mlp, TOLERANCE)]
    assert collapsed_blocks == [0, 2, 3], collapsed_blocks
    assert not linear_within(vit.blocks[3].mlp, 1e-7)
    with torch.no_grad():
        everything = list(range(DEPTH))
        tensors["out.all"], tensors["tokens.all"] = forward(vit, img, everything)
        tensors["out.some"], _ = forward(vit, img, SOME)

        vit64 = build()[0].double()
        worst = 0.0
        for keep, name in ((everything, "out.all"), (SOME, "out.some")):
            ref, _ = forward(vit64, img.double(), keep)
            worst = max(worst, float((tensors[name].double() - ref).abs().max() / ref.abs().max()))

        for i in collapsed_blocks:
            vit.blocks[i].mlp = CollapsedMlp(vit.blocks[i].mlp)
        tensors["collapsed.all"], _ = forward(vit, img, everything)
        tensors["collapsed.some"], _ = forward(vit, img, SOME)
    distance = float((tensors["collapsed.all"] - tensors["out.all"]).norm() / tensors["out.all"].norm())
    print(f"[f64 check] max relative deviation {worst:.2e}; collapsed vs PReLU model: {distance:.2e} relative")
    assert worst < 1e-5 and distance < 1e-5
    per_mlp = DIM * HIDDEN + HIDDEN * DIM - DIM * DIM
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT,
              {"heads": str(HEADS), "tolerance": "1e-06", "collapsed_blocks": ",".join(map(str, collapsed_blocks)),
               "macs_saved_per_token": str(per_mlp * len(collapsed_blocks)), "torch": torch.__version__,
               "f64_max_rel": f"{worst:.3e}", "collapse_vs_prelu": f"{distance:.3e}"})
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
