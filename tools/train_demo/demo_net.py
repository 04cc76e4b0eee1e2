"""The demo network (admn_ref.AdmnNet, arch "digits") and its training-time forward passes.

The inference network is admn_ref's, unchanged. Training needs two things it does not do, written here
on top of its modules (same parameters, same per-block computation):

* stage 1 (spec §3): one keep-vector per modality per batch; a dropped block is skipped;
* stage 2 (spec §4.7): a per-sample soft mask m in [0,1] mixed as x + m*(block(x) - x), so the task
  loss reaches the controller through the straight-through mask.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import admn_ref  # noqa: E402  (path set up above)

DEPTH = 8
VIT_DIM = 96
VIT_HEADS = 3
IMAGE_SIZE = (32, 32)
AUDIO_SIZE = (32, 64)
# Patch 4 for the 32x32 image (64 tokens); patch 8 for the 32x64 spectrogram (32 tokens). With patch 4
# the audio ViT had 128 tokens of 4 mel bands x 4 frames each and stayed near chance for several
# epochs (val 20 % after 2 epochs); with 8x8 patches it learns as fast as the image ViT and each
# epoch costs a third as much.
IMAGE_PATCH = 4
AUDIO_PATCH = 8
CONTROLLER_HEADS = 4
FUSION_HEADS = 4
# admn.config of the exported file: exactly the keys the C++ registry reads for this architecture.
CONFIG_JSON = {"vit_heads": VIT_HEADS, "image_size": list(IMAGE_SIZE), "audio_size": list(AUDIO_SIZE),
               "controller_heads": CONTROLLER_HEADS, "fusion_heads": FUSION_HEADS}
SETTINGS = ("clean", "image_noisy", "audio_noisy", "both")


def demo_config():
    """NetConfig of the demo: two ViTs (image 1x32x32 patch 4, audio 1x32x64 patch 8), small controller and
    fusion."""
    vits = (admn_ref.VitConfig(1, IMAGE_SIZE, IMAGE_PATCH, VIT_DIM, DEPTH, VIT_HEADS, 4 * VIT_DIM),
            admn_ref.VitConfig(1, AUDIO_SIZE, AUDIO_PATCH, VIT_DIM, DEPTH, VIT_HEADS, 4 * VIT_DIM))
    # Encoder sizes and no-BatchNorm are fixed by the C++ side.
    encoders = (admn_ref.EncoderConfig(1, IMAGE_SIZE, (2, 2), False),
                admn_ref.EncoderConfig(1, AUDIO_SIZE, (2, 2), False))
    ctrl = admn_ref.ControllerConfig(dim=64, depth=2, heads=CONTROLLER_HEADS, mlp=128, hidden=64, noise_hidden=64,
                                     qoi_out=2, qoi_sigma=True, use_cls=True, encoded=(1, 1), encoders=encoders)
    return admn_ref.NetConfig("digits", ("image", "audio"), ("image", "audio"), ("image_adapter", "audio_adapter"),
                              (1, 1), vits, ctrl, fusion_dim=64, fusion_depth=2, fusion_heads=FUSION_HEADS,
                              fusion_mlp=128, adapter_hidden=96, adapter_kind="fc", head="linear", classes=10,
                              config_json=dict(CONFIG_JSON))


def config_json_text():
    """The admn.config metadata string."""
    return json.dumps(CONFIG_JSON)


def build(seed):
    """A fresh AdmnNet with ViT-style initialisation (truncated-normal 0.02 linears, zero biases), except
    pos_embed ~ N(0, 1): a 4x4 patch of an upsampled 8x8 digit is nearly constant, so after the blocks'
    LayerNorm a token says almost nothing about where it is unless the position embedding is as large
    as the patch embedding; with timm's std 0.02 the ViT sat near chance for hundreds of steps."""
    torch.manual_seed(seed)
    net = admn_ref.AdmnNet(demo_config())
    with torch.no_grad():
        for prefix in net.cfg.backbones:
            vit = getattr(net, prefix)
            torch.nn.init.normal_(vit.pos_embed, std=1.0)
            torch.nn.init.trunc_normal_(vit.cls_token, std=0.02)
            for mod in vit.blocks.modules():
                if isinstance(mod, torch.nn.Linear):
                    torch.nn.init.trunc_normal_(mod.weight, std=0.02)
                    torch.nn.init.zeros_(mod.bias)
    return net


def backbone_skip(vit, x, keep):
    """Stage-1 backbone: keep = list of 0/1 per block, shared by the batch. Returns the final CLS (B, dim)."""
    h = vit.patch_embed(x)
    h = torch.cat((vit.cls_token.expand(x.shape[0], -1, -1), h), dim=1) + vit.pos_embed
    for blk, k in zip(vit.blocks, keep):
        if k:
            h = blk(h)
    return vit.norm(h)[:, 0]


def backbone_mix(vit, x, mask):
    """Stage-2 backbone: mask (B, depth) in [0,1]; block i contributes mask[:, i] of its update."""
    h = vit.patch_embed(x)
    h = torch.cat((vit.cls_token.expand(x.shape[0], -1, -1), h), dim=1) + vit.pos_embed
    for i, blk in enumerate(vit.blocks):
        h = h + mask[:, i, None, None] * (blk(h) - h)
    return vit.norm(h)[:, 0]


def fuse(net, feats):
    """Adapters, sinusoidal positions, fusion TransformerEnc, mean over tokens, linear head (spec §5)."""
    toks = [getattr(net, name)(f)[:, None] for name, f in zip(net.cfg.adapters, feats)]
    agg = torch.cat(toks, dim=1)
    agg = agg + admn_ref.positionalencoding1d(agg.shape[2], agg.shape[1])
    return net.output_head(net.encoder(agg).mean(dim=1))


def admn_discretise(logits, budget, tau, generator):
    """Spec §4.7 'admn': Gumbel-perturbed softmax, hard top-(L-2), straight-through; block 0 forced to 1.

    logits (B, 2*DEPTH). Returns a (B, 2, DEPTH) mask whose values are exactly 0/1 in the forward pass.
    """
    B, n = logits.shape
    first = torch.zeros(n, dtype=torch.bool)
    first[0::DEPTH] = True
    z = logits.masked_fill(first, admn_ref.FORCED_LOGIT)
    u = torch.rand(z.shape, generator=generator)
    g = -torch.log(-torch.log(u + 1e-12) + 1e-12)
    y = torch.softmax((z + 0.1 * g) / tau, dim=-1)
    hard = torch.zeros_like(y)
    k = budget - 2
    if k > 0:
        hard.scatter_(1, torch.topk(y, k, dim=1).indices, 1.0)
    hard[:, first] = 1.0
    out = y + (hard - y).detach()
    out = torch.where(first, torch.ones_like(out), out)
    return out.reshape(B, 2, DEPTH)


def equal_plan(batch, budget):
    """Equal allocation: the first budget/2 blocks of each modality (budget even)."""
    plan = torch.zeros(batch, 2, DEPTH)
    plan[:, :, :budget // 2] = 1.0
    return plan


def as_inputs(image, audio):
    """AdmnNet inputs: (B, instances=1, C, H, W) per modality."""
    return [image[:, None], audio[:, None]]
