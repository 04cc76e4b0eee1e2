"""AdaMTL reference (Neseem et al., "AdaMTL: Adaptive Input-dependent Inference for Efficient Multi-Task
Learning"): a shared tiny ViT encoder, a task-aware block-selection policy (one BlockSelect per task, OR-ed, as
AdaMTL's "per_task" policy mode) and two task heads, with true per-sample block skipping.

Writes tests/fixtures/related/adamtl.safetensors:

    encoder.*                       ViT (admn_ref.VisionTransformer): dim 16, depth 6, 2 heads, mlp 32, patch 8,
                                    3x32x32 images -> 17 tokens; keys as timm's
    policy.scene.{mlp,fc}.*         BlockSelect for task "scene": mlp Linear(16, 4) per token, ReLU, the 17
    policy.distance.{mlp,fc}.*      tokens' vectors concatenated (token-major), fc Linear(68, 6) -> block logits
    heads.scene.{weight,bias}       classification: Linear(16, 5) -> logits
    heads.distance.{fc1,fc2}.*      regression: Linear(16, 8) -> GELU -> Linear(8, 2) -> values
    image (4,3,32,32)
    policy_logits (4,6)             per block, the max over the two controllers
    case <c> for c in metadata "cases" (budget "none" or a block count):
      <c>.mask (4,6)                blocks run (1.0) per sample: logit > 0 for some controller (sigmoid > 0.5),
                                    then at most `budget` of them, largest max-logit first (ties: lower index)
      <c>.scene (4,5), <c>.distance (4,2)   head outputs on LN_final(encoder(kept blocks))[:, 0]
    metadata: cases, <c>.budget, min_margin (smallest |logit| and smallest gap between ranked kept scores —
              both > 1e-3, so no decision is a near-tie), torch, heads

Policy input: the encoder's stem x0 = [cls; patches] + pos_embed, before any block (AdaMTL runs BlockSelect on
the stage input). The policy runs once per sample; every head reads the same encoder output.

Run: /usr/bin/python3 tests/reference/related_adamtl.py
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import admn_ref  # noqa: E402
from st_write import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "related", "adamtl.safetensors")
DIM, DEPTH, HIDDEN, TOKENS, BATCH = 16, 6, 4, 17, 4
TASKS = ("scene", "distance")
CASES = {"free": None, "b3": 3, "b1": 1}


class BlockSelect(nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = nn.Linear(DIM, HIDDEN)
        self.fc = nn.Linear(HIDDEN * TOKENS, DEPTH)

    def forward(self, x):
        return self.fc(F.relu(self.mlp(x)).reshape(x.shape[0], -1))


class RegressionHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(DIM, 8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class MultiTask(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = admn_ref.VisionTransformer(admn_ref.VitConfig(3, (32, 32), 8, DIM, DEPTH, 2, 32))
        self.policy = nn.ModuleDict({t: BlockSelect() for t in TASKS})
        self.heads = nn.ModuleDict({"scene": nn.Linear(DIM, 5), "distance": RegressionHead()})

    def stem(self, img):
        vit = self.encoder
        x = vit.patch_embed(img)
        return torch.cat((vit.cls_token.expand(img.shape[0], -1, -1), x), dim=1) + vit.pos_embed

    def logits(self, x0):
        return torch.stack([self.policy[t](x0) for t in TASKS], dim=0).max(dim=0).values

    def forward(self, img, budget):
        x0 = self.stem(img)
        z = self.logits(x0)
        mask = torch.zeros_like(z)
        for b in range(img.shape[0]):
            kept = [l for l in range(DEPTH) if z[b, l] > 0]
            kept.sort(key=lambda l: -float(z[b, l]))  # stable: equal scores keep index order
            for l in kept[:budget if budget is not None else len(kept)]:
                mask[b, l] = 1.0
        feats = []
        for b in range(img.shape[0]):  # true skipping, sample by sample
            x = x0[b:b + 1]
            for l in range(DEPTH):
                if mask[b, l]:
                    x = self.encoder.blocks[l](x)
            feats.append(self.encoder.norm(x)[:, 0])
        f = torch.cat(feats, dim=0)
        return z, mask, {t: self.heads[t](f) for t in TASKS}


def margins(z, budget):
    """Smallest |logit| and smallest gap between consecutive ranked kept scores around the budget cut."""
    smallest = float(z.abs().min())
    for b in range(z.shape[0]):
        kept = sorted((float(v) for v in z[b] if v > 0), reverse=True)
        if budget is not None and 0 < budget < len(kept):
            smallest = min(smallest, kept[budget - 1] - kept[budget])
    return smallest


def main():
    torch.set_num_threads(1)
    for seed in range(300, 400):
        torch.manual_seed(0)
        model = MultiTask().eval()
        admn_ref.randomize(model, seed)
        g = torch.Generator().manual_seed(seed + 1)
        img = torch.randn((BATCH, 3, 32, 32), generator=g)
        with torch.no_grad():
            z = model.logits(model.stem(img))
        kept = (z > 0).sum(dim=1)
        ok = min(margins(z, b) for b in CASES.values()) > 1e-3
        # Want: samples with different block sets, some keeping more than 3 and none keeping everything or nothing.
        if ok and int(kept.max()) > 3 and int(kept.min()) >= 1 and len(set(map(tuple, (z > 0).int().tolist()))) >= 3:
            break
    else:
        raise RuntimeError("no seed gives varied masks without near-ties")
    tensors = {k: v.detach().clone() for k, v in model.state_dict().items()}
    tensors["image"] = img
    tensors["policy_logits"] = z
    meta = {"cases": ",".join(CASES), "torch": torch.__version__, "heads": "2", "seed": str(seed),
            "min_margin": f"{min(margins(z, b) for b in CASES.values()):.3e}"}
    with torch.no_grad():
        for name, budget in CASES.items():
            z2, mask, outs = model(img, budget)
            assert torch.equal(z2, z)
            tensors[f"{name}.mask"] = mask
            for t in TASKS:
                tensors[f"{name}.{t}"] = outs[t]
            meta[f"{name}.budget"] = "none" if budget is None else str(budget)
            print(f"case {name} (budget {meta[f'{name}.budget']}): blocks kept per sample {mask.sum(dim=1).int().tolist()}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT, meta)
    print(f"seed {seed}, min margin {meta['min_margin']}; wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
