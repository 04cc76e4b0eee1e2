"""Independent PyTorch reference of the ADMN stage-2 networks (GTDM, AVE, MMFI and the GTDM variants), from
docs/numerics.md.

Plain nn.Modules, float32 CPU, no timm/torchvision, parameterised by size (`gtdm_config`, `ave_config`,
`mmfi_config`, each `small=True` for the reduced test models of make_network_fixtures.py or `small=False`
for the real sizes; `gtdm_blur_config`, `gtdm_lowlight_config`, `gtdm_3mod_config` for the variants of
make_variant_fixtures.py, whose reduced models are smaller still). Parameter names are the checkpoint's (spec §7):

    vision.* / depth.* | audio.* | mmWave.*   timm ViT backbones (§2; no `head.*`: unused, dropped on export)
    controller.*                       ConvLayerController (§4): cls, encoder_dict.<modality>.<i>.*,
                                       combiner_encoder.*, output_head.{0,2}.weight, noise_output.{0,2}.*
    encoder.*                          vit_dev TransformerEnc fusion (§4.5, §5.2)
    <m>_adapter.*                      GTDM/AVE fc1/fc2 + LeakyReLU(0.01); MMFI 0/2 + ReLU (§5.1)
    output_head.*                      GTDM OutputHead (mlp.0 == mlp.2, mean_head, cov_head), AVE/MMFI Linear

`AdmnNet.forward(inputs, budget=None, plan=None, antialias=True)` with `inputs` = list of tensors
(B, instances, C, H, W) in modality order returns a dict:

    layer_mask         (B, M, depth) float 0/1    top-L (§4.6) of the logits, or the given plan
    controller_logits  (B, M*depth)               controller.output_head(c) before the -99 / forcing
    qoi                (B, 2) sigmoid*5 (GTDM, MMFI) | (B, 3) sigmoid*5 (GTDM-3) | raw logits: (B, 4) AVE,
                       (B, 8) GTDM-Blur (4 + 4 blur classes), (B, 4) GTDM-Lowlight (gamma classes)
    pred_mean (B,2), pred_cov (B,2,2)   (GTDM)   |   logits (B, classes)   (AVE, MMFI)
    cut_gap            (B,) float64: smallest selected minus largest unselected masked logit (inf if k=0)

Execution rules: blocks run in increasing index order, a skipped block is the identity (true skipping
per sample: a block runs only on the rows whose mask keeps it), a fully dropped backbone yields
LN(cls + pos[0]). Top-L: logits[:, depth*m] := -99 for every modality m, k = L - M, selection = the
first k entries of a STABLE sort by descending value (ties: lower index first), scatter 1, then block
0 of every modality forced to 1.

`ConvControllerAE` is GTDM's autoencoder controller (§4.9): the conv encoders without their Resize, the
combiner and cls, and ConvTranspose/BatchNorm decoders; make_variant_fixtures.py turns it into a normal
controller the way the authors' training script does.

`set_fast_linear(True)` routes float32 nn.Linear through oneDNN (torch's mkldnn_linear) — Debian's
torch is linked against the reference BLAS (~2 GFLOP/s), too slow for full-size ViT-B; it is used by
gtdm_full.py only. The small fixtures use the default (deterministic, reference BLAS) path.
"""
import json
import math
import struct
from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-5
FORCED_LOGIT = -99.0

_FAST_LINEAR = False


def set_fast_linear(flag: bool) -> None:
    global _FAST_LINEAR
    _FAST_LINEAR = bool(flag)


class Linear(nn.Linear):
    """nn.Linear (same parameters/keys); optionally evaluated with oneDNN for speed (float32 only)."""

    def forward(self, x):
        if _FAST_LINEAR and x.dtype == torch.float32 and x.numel() > 0:
            shape = x.shape
            x2 = x.reshape(-1, shape[-1]).contiguous().to_mkldnn()
            b = None if self.bias is None else self.bias.to_mkldnn()
            y = torch._C._nn.mkldnn_linear(x2, self.weight.contiguous().to_mkldnn(), b).to_dense()
            return y.reshape(*shape[:-1], self.out_features)
        return F.linear(x, self.weight, self.bias)


def layer_norm(d):
    return nn.LayerNorm(d, eps=EPS)


def positionalencoding1d(d_model, length):
    """spec §4.4, verbatim (float32, CPU)."""
    pe = torch.zeros(length, d_model)
    position = torch.arange(0, length).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float) * -(math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position.float() * div_term)
    pe[:, 1::2] = torch.cos(position.float() * div_term)
    return pe


# ------------------------------------------------------------------------------------------------
# Backbone: timm VisionTransformer as used by ADMN (spec §2)

class TimmAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = Linear(dim, 3 * dim)
        self.proj = Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        hd = C // self.heads
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
        a = torch.softmax((q @ k.transpose(-2, -1)) * hd ** -0.5, dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, N, C))


class TimmMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = Linear(dim, hidden)
        self.fc2 = Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))  # exact erf GELU


class TimmBlock(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.norm1 = layer_norm(dim)
        self.attn = TimmAttention(dim, heads)
        self.norm2 = layer_norm(dim)
        self.mlp = TimmMlp(dim, mlp)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, in_chans, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # token 1 + grid_w*h + w after the CLS


@dataclass(frozen=True)
class VitConfig:
    in_chans: int
    img: Tuple[int, int]
    patch: int
    dim: int
    depth: int
    heads: int
    mlp: int

    @property
    def tokens(self):
        return 1 + (self.img[0] // self.patch) * (self.img[1] // self.patch)


class VisionTransformer(nn.Module):
    def __init__(self, c: VitConfig):
        super().__init__()
        self.cfg = c
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c.dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, c.tokens, c.dim))
        self.patch_embed = PatchEmbed(c.in_chans, c.dim, c.patch)
        self.blocks = nn.ModuleList(TimmBlock(c.dim, c.heads, c.mlp) for _ in range(c.depth))
        self.norm = layer_norm(c.dim)

    def forward(self, img, keep):
        """img (N, C, H, W); keep (N, depth) 0/1. Returns the CLS token after the final LN, (N, dim)."""
        N = img.shape[0]
        assert tuple(img.shape[1:]) == (self.cfg.in_chans, *self.cfg.img), (img.shape, self.cfg)
        assert keep.shape == (N, self.cfg.depth)
        x = self.patch_embed(img)
        x = torch.cat((self.cls_token.expand(N, -1, -1), x), dim=1) + self.pos_embed
        for i, blk in enumerate(self.blocks):
            rows = keep[:, i] != 0
            if bool(rows.all()):
                x = blk(x)
            elif bool(rows.any()):
                x = x.clone()
                x[rows] = blk(x[rows])
        return self.norm(x)[:, 0]


# ------------------------------------------------------------------------------------------------
# vit_dev TransformerEnc (spec §4.5): controller combiner and fusion encoder

class VdAttention(nn.Module):
    def __init__(self, dim, heads, dim_head):
        super().__init__()
        self.heads, self.dim_head = heads, dim_head
        inner = heads * dim_head
        self.norm = layer_norm(dim)
        self.to_qkv = Linear(dim, 3 * inner, bias=False)
        self.to_out = nn.Sequential(Linear(inner, dim), nn.Dropout(0.0))

    def forward(self, x):
        B, N, _ = x.shape
        q, k, v = self.to_qkv(self.norm(x)).chunk(3, dim=-1)
        q, k, v = (t.reshape(B, N, self.heads, self.dim_head).transpose(1, 2) for t in (q, k, v))
        a = torch.softmax((q @ k.transpose(-1, -2)) * self.dim_head ** -0.5, dim=-1)
        return self.to_out((a @ v).transpose(1, 2).reshape(B, N, self.heads * self.dim_head))


class FeedForward(nn.Module):
    def __init__(self, dim, mlp):
        super().__init__()
        self.condln = layer_norm(dim)
        self.net = nn.Sequential(nn.Identity(), Linear(dim, mlp), nn.GELU(), nn.Dropout(0.0), Linear(mlp, dim),
                                 nn.Dropout(0.0))

    def forward(self, x):
        return self.net(self.condln(x))


class TransformerEnc(nn.Module):
    """dim_head = dim // heads as every ADMN caller passes it, so the inner width heads * dim_head is below dim
    when heads does not divide dim (GTDM-3's combiner: 350 wide, 4 heads of 87, inner 348)."""

    def __init__(self, dim, depth, heads, mlp):
        super().__init__()
        self.layers = nn.ModuleList(nn.ModuleList([VdAttention(dim, heads, dim // heads), FeedForward(dim, mlp)])
                                    for _ in range(depth))
        self.norm = layer_norm(dim)

    def forward(self, x):
        for attn, ff in self.layers:
            x = x + attn(x)
            x = x + ff(x)
        return self.norm(x)


# ------------------------------------------------------------------------------------------------
# Controller (spec §4)

class Resize(nn.Module):
    """torchvision.transforms.Resize on a float tensor: bilinear, align_corners=False, antialias switch."""

    def __init__(self, size):
        super().__init__()
        self.size = tuple(size)
        self.antialias = True

    def forward(self, x):
        return F.interpolate(x, size=self.size, mode="bilinear", align_corners=False, antialias=self.antialias)


@dataclass(frozen=True)
class EncoderConfig:
    in_chans: int
    resize: Optional[Tuple[int, int]]  # None: no Resize module (GTDM-3 range-doppler), the input is `size`
    pool: Tuple[int, int]
    batch_norm: bool  # AVE
    kernels: Tuple[Tuple[int, int], ...] = ((10, 10), (10, 10), (5, 5))
    size: Optional[Tuple[int, int]] = None

    @property
    def flat(self):
        h, w = self.resize or self.size
        (a, b), (c, d), (e, f) = self.kernels
        h, w = h - a + 1, w - b + 1
        h, w = h - c + 1, w - d + 1
        h, w = h // self.pool[0], w // self.pool[1]
        return 3 * (h - e + 1) * (w - f + 1)


def conv_encoder(e: EncoderConfig, dim, with_resize=True):
    """§4.2; Sequential indices = the checkpoint's (GTDM/MMFI {1,3,6,9}, AVE {1,2,4,5,8,9,12}); without a
    Resize module (GTDM-3 range-doppler, §4.10; the autoencoder's encoders, §4.9) all one lower."""
    def conv_block(cin, cout, k):
        out = [nn.Conv2d(cin, cout, k)]
        if e.batch_norm:
            out.append(nn.BatchNorm2d(cout, eps=EPS))
        return out + [nn.ReLU()]

    k1, k2, k3 = e.kernels
    layers = ([Resize(e.resize)] if e.resize and with_resize else []) + conv_block(e.in_chans, 6, k1) + \
        conv_block(6, 6, k2) + [nn.MaxPool2d(e.pool)] + conv_block(6, 3, k3) + [nn.Flatten(), Linear(e.flat, dim)]
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class ControllerConfig:
    dim: int
    depth: int
    heads: int
    mlp: int
    hidden: int        # output_head.0 out features (200 real)
    noise_hidden: int  # noise_output.0 out features (250 real, MMFI 400)
    qoi_out: int       # 2 or 3 (σ per modality), 4 (AVE noise types, Lowlight gammas), 8 (Blur: 4 + 4 classes)
    qoi_sigma: bool    # sigmoid(·)*5 (GTDM, GTDM-3, MMFI) or raw logits (AVE, Blur, Lowlight)
    use_cls: bool      # CLS summary (GTDM, AVE) or mean pool without CLS (MMFI)
    encoded: Tuple[int, ...]     # instances encoded per modality (MMFI: 3 of 15)
    encoders: Tuple[EncoderConfig, ...]


class ConvLayerController(nn.Module):
    def __init__(self, c: ControllerConfig, mod_names, n_logits):
        super().__init__()
        self.cfg, self.mod_names = c, list(mod_names)
        self.cls = nn.Parameter(torch.zeros(1, c.dim))
        self.encoder_dict = nn.ModuleDict({n: conv_encoder(e, c.dim) for n, e in zip(mod_names, c.encoders)})
        self.combiner_encoder = TransformerEnc(c.dim, c.depth, c.heads, c.mlp)
        self.output_head = nn.Sequential(Linear(c.dim, c.hidden, bias=False), nn.ReLU(),
                                         Linear(c.hidden, n_logits, bias=False))
        self.noise_output = nn.Sequential(Linear(c.dim, c.noise_hidden), nn.ReLU(),
                                          Linear(c.noise_hidden, c.qoi_out))

    def forward(self, inputs, antialias):
        for mod in self.modules():
            if isinstance(mod, Resize):
                mod.antialias = antialias
        B = inputs[0].shape[0]
        toks = []
        for name, x, n in zip(self.mod_names, inputs, self.cfg.encoded):
            x = x[:, :n]
            e = self.encoder_dict[name](x.reshape(B * n, *x.shape[2:]))
            toks.append(e.reshape(B, n, -1))
        if self.cfg.use_cls:
            toks.insert(0, self.cls.expand(B, -1)[:, None, :])
        x = torch.cat(toks, dim=1)
        x = x + positionalencoding1d(x.shape[2], x.shape[1]).to(x.dtype)
        h = self.combiner_encoder(x)
        c = h[:, 0] if self.cfg.use_cls else h.mean(dim=1)
        logits = self.output_head(c)
        qoi = self.noise_output(c)
        if self.cfg.qoi_sigma:
            qoi = torch.sigmoid(qoi) * 5
        return logits, qoi


def top_l(logits, budget, depths):
    """§4.6 at inference. Returns (mask (B, M, depth) float, cut_gap (B,) float64)."""
    M, depth = len(depths), depths[0]
    assert all(d == depth for d in depths)
    B, n = logits.shape
    assert n == M * depth
    if not (M <= budget <= n):
        raise ValueError(f"budget {budget} outside [{M}, {n}]")
    z = logits.detach().clone()
    for m in range(M):
        z[:, depth * m] = FORCED_LOGIT
    k = budget - M
    vals, order = torch.sort(-z, dim=1, stable=True)  # ascending -z = descending z, ties: lower index first
    vals = -vals
    mask = torch.zeros(B, n, dtype=logits.dtype)
    mask.scatter_(1, order[:, :k], 1.0)
    mask = mask.reshape(B, M, depth)
    mask[:, :, 0] = 1
    if 0 < k < n:
        gap = (vals[:, k - 1].double() - vals[:, k].double())
    else:
        gap = torch.full((B,), math.inf, dtype=torch.float64)
    return mask, gap


# ------------------------------------------------------------------------------------------------
# Fusion side (spec §5)

class Adapter(nn.Module):  # GTDM / AVE
    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        self.fc1 = Linear(d_in, hidden)
        self.fc2 = Linear(hidden, d_out)

    def forward(self, x):
        return self.fc2(F.leaky_relu(self.fc1(x), 0.01))


def mmfi_adapter(d_in, hidden, d_out):
    return nn.Sequential(Linear(d_in, hidden), nn.ReLU(), Linear(hidden, d_out))


class GaussianHead(nn.Module):
    """GTDM OutputHead (§5.3): the SAME Linear at mlp.0 and mlp.2 (one parameter set, two names)."""

    def __init__(self, d):
        super().__init__()
        linear1 = Linear(d, d)
        self.mlp = nn.Sequential(linear1, nn.GELU(), linear1, nn.GELU(), nn.Dropout(0.0))
        self.mean_head = Linear(d, 2)
        self.cov_head = Linear(d, 4)

    def forward(self, x):
        h = self.mlp(x)
        o = torch.cat((self.mean_head(h), self.cov_head(h)), dim=-1)
        mean = (torch.sigmoid(o[:, 0:2]) - 0.5) * 2 * torch.tensor([200.0, 200.0], dtype=x.dtype)
        d0, d1, off = F.softplus(o[:, 3]), F.softplus(o[:, 4]), o[:, 5]
        zero = torch.zeros_like(d0)
        L = torch.stack((torch.stack((d0, zero), -1), torch.stack((off, d1), -1)), -2)  # [[d0,0],[off,d1]]
        cov = L @ L.transpose(-1, -2) + torch.eye(2, dtype=x.dtype)
        return mean, cov


@dataclass(frozen=True)
class NetConfig:
    arch: str
    mod_names: Tuple[str, str]          # controller / input names
    backbones: Tuple[str, str]          # state-dict prefixes
    adapters: Tuple[str, str]
    instances: Tuple[int, int]
    vits: Tuple[VitConfig, VitConfig]
    controller: ControllerConfig
    fusion_dim: int
    fusion_depth: int
    fusion_heads: int
    fusion_mlp: int
    adapter_hidden: int
    adapter_kind: str                   # "fc" (fc1/fc2, LeakyReLU) or "seq" (0/2, ReLU)
    head: str                           # "gaussian" or "linear"
    classes: int = 0
    config_json: dict = field(default_factory=dict)  # the reduced model's admn.config overrides


class AdmnNet(nn.Module):
    def __init__(self, c: NetConfig):
        super().__init__()
        self.cfg = c
        for prefix, vc in zip(c.backbones, c.vits):
            setattr(self, prefix, VisionTransformer(vc))
        depths = [vc.depth for vc in c.vits]
        self.controller = ConvLayerController(c.controller, c.mod_names, sum(depths))
        for prefix, vc in zip(c.adapters, c.vits):
            if c.adapter_kind == "fc":
                setattr(self, prefix, Adapter(vc.dim, c.adapter_hidden, c.fusion_dim))
            else:
                setattr(self, prefix, mmfi_adapter(vc.dim, c.adapter_hidden, c.fusion_dim))
        self.encoder = TransformerEnc(c.fusion_dim, c.fusion_depth, c.fusion_heads, c.fusion_mlp)
        self.output_head = GaussianHead(c.fusion_dim) if c.head == "gaussian" else Linear(c.fusion_dim, c.classes)

    @property
    def depths(self):
        return [vc.depth for vc in self.cfg.vits]

    def forward(self, inputs, budget=None, plan=None, antialias=True):
        c = self.cfg
        M = len(c.mod_names)
        assert len(inputs) == M
        B = inputs[0].shape[0]
        for x, n, vc in zip(inputs, c.instances, c.vits):
            assert tuple(x.shape) == (B, n, vc.in_chans, *vc.img), (x.shape, n, vc)
        logits, qoi = self.controller(inputs, antialias)
        if plan is None:
            mask, gap = top_l(logits, budget, self.depths)
        else:
            mask = plan.to(logits.dtype)
            gap = torch.full((B,), math.nan, dtype=torch.float64)
        assert mask.shape == (B, M, self.depths[0])
        toks = []
        for m, (x, n) in enumerate(zip(inputs, c.instances)):
            keep = mask[:, m].repeat_interleave(n, dim=0)  # sample-major, as the (B, n) flatten
            feat = getattr(self, c.backbones[m])(x.reshape(B * n, *x.shape[2:]), keep)
            toks.append(getattr(self, c.adapters[m])(feat).reshape(B, n, -1))
        agg = torch.cat(toks, dim=1)  # all instances of modality 0, then modality 1, … (§5.2)
        agg = agg + positionalencoding1d(agg.shape[2], agg.shape[1]).to(agg.dtype)
        fused = self.encoder(agg).mean(dim=1)
        out = {"layer_mask": mask, "controller_logits": logits, "qoi": qoi, "cut_gap": gap}
        if c.head == "gaussian":
            out["pred_mean"], out["pred_cov"] = self.output_head(fused)
        else:
            out["logits"] = self.output_head(fused)
        return out


# ------------------------------------------------------------------------------------------------
# Configurations

IMG_ENC = EncoderConfig(3, (100, 100), (3, 3), False)
IMG_ENC_BN = EncoderConfig(3, (100, 100), (3, 3), True)
AUDIO_ENC_BN = EncoderConfig(1, (128, 512), (3, 6), True)
assert IMG_ENC.flat == 1587 and AUDIO_ENC_BN.flat == 7488


def _vit(small, in_chans=3, img=None, small_dim=32):
    if small:
        return VitConfig(in_chans, img or (32, 32), 8, small_dim, 4, 2, 2 * small_dim)
    return VitConfig(in_chans, img or (224, 224), 16, 768, 12, 12, 3072)


SMALL_OVERRIDES = {"vit_heads": 2, "image_size": [32, 32], "controller_heads": 4, "fusion_heads": 4}


def gtdm_config(small):
    ctrl = ControllerConfig(dim=32 if small else 256, depth=2 if small else 4, heads=4,
                            mlp=64 if small else 1024, hidden=20 if small else 200,
                            noise_hidden=24 if small else 250, qoi_out=2, qoi_sigma=True, use_cls=True,
                            encoded=(3, 3), encoders=(IMG_ENC, IMG_ENC))
    return NetConfig("gtdm", ("zed_camera_left", "realsense_camera_depth"), ("vision", "depth"),
                     ("vision_adapter", "depth_adapter"), (3, 3), (_vit(small), _vit(small)), ctrl,
                     fusion_dim=32 if small else 256, fusion_depth=2 if small else 6, fusion_heads=4,
                     fusion_mlp=48 if small else 768, adapter_hidden=24 if small else 512, adapter_kind="fc",
                     head="gaussian", config_json=dict(SMALL_OVERRIDES) if small else {})


def ave_config(small):
    ctrl = ControllerConfig(dim=48 if small else 512, depth=2 if small else 4, heads=4,
                            mlp=96 if small else 2048, hidden=20 if small else 200,
                            noise_hidden=24 if small else 250, qoi_out=4, qoi_sigma=False, use_cls=True,
                            encoded=(8, 1), encoders=(IMG_ENC_BN, AUDIO_ENC_BN))
    audio = _vit(small, 1, (32, 128) if small else (128, 1024))
    cj = {**SMALL_OVERRIDES, "audio_size": [32, 128]} if small else {}
    return NetConfig("ave", ("image", "audio"), ("vision", "audio"), ("vision_adapter", "audio_adapter"), (8, 1),
                     (_vit(small), audio), ctrl,
                     fusion_dim=32 if small else 256, fusion_depth=2 if small else 6, fusion_heads=4,
                     fusion_mlp=48 if small else 768, adapter_hidden=24 if small else 512, adapter_kind="fc",
                     head="linear", classes=28, config_json=cj)


def mmfi_config(small):
    ctrl = ControllerConfig(dim=32 if small else 256, depth=2 if small else 6, heads=4,
                            mlp=64 if small else 1024, hidden=20 if small else 200,
                            noise_hidden=24 if small else 400, qoi_out=2, qoi_sigma=True, use_cls=False,
                            encoded=(3, 3), encoders=(IMG_ENC, IMG_ENC))
    return NetConfig("mmfi", ("rgb", "depth"), ("vision", "depth"), ("vision_adapter", "depth_adapter"), (15, 15),
                     (_vit(small), _vit(small)), ctrl,
                     fusion_dim=16 if small else 64, fusion_depth=2 if small else 6, fusion_heads=4,
                     fusion_mlp=24 if small else 192, adapter_hidden=20 if small else 400, adapter_kind="seq",
                     head="linear", classes=27, config_json=dict(SMALL_OVERRIDES) if small else {})


# ---- GTDM variants (docs/numerics.md §4.8-§4.10). Their reduced models are smaller than gtdm_config(True)
# (ViT width 16, controller width 16 or 18, fusion 16) to keep the fixtures small.

def gtdm_variant(arch, small, qoi_out, qoi_sigma, three_modalities=False):
    d = 16
    rd_size = (64, 16) if small else (256, 16)
    encoders = (IMG_ENC, IMG_ENC)
    vits = (_vit(small, small_dim=d), _vit(small, small_dim=d))
    names, backbones, adapters = ("zed_camera_left", "realsense_camera_depth"), ("vision", "depth"), \
        ("vision_adapter", "depth_adapter")
    config_json = {**SMALL_OVERRIDES} if small else {}
    if three_modalities:  # the mmWave range-doppler ViT and its Resize-less encoder (§4.10)
        encoders += (EncoderConfig(3, None, (4, 1), False, ((10, 2), (10, 2), (5, 2)), rd_size),)
        vits += (_vit(small, 3, rd_size, small_dim=d),)
        names, backbones, adapters = names + ("range_doppler",), backbones + ("mmWave",), adapters + ("mmWave_adapter",)
        if small:
            config_json["range_doppler_size"] = list(rd_size)
    # GTDM-3's controller is 350 wide with 4 heads of 350 // 4 = 87: the reduced one keeps heads ∤ width.
    dim = (18 if three_modalities else 16) if small else (350 if three_modalities else 256)
    ctrl = ControllerConfig(dim=dim, depth=2 if small else 4, heads=4, mlp=4 * dim,
                            hidden=20 if small else (400 if three_modalities else 200),
                            noise_hidden=24 if small else (200 if three_modalities else 250), qoi_out=qoi_out,
                            qoi_sigma=qoi_sigma, use_cls=True, encoded=(3,) * len(names), encoders=encoders)
    return NetConfig(arch, names, backbones, adapters, (3,) * len(names), vits, ctrl,
                     fusion_dim=16 if small else 256, fusion_depth=2 if small else 6, fusion_heads=4,
                     fusion_mlp=24 if small else 768, adapter_hidden=12 if small else 512, adapter_kind="fc",
                     head="gaussian", config_json=config_json)


def gtdm_blur_config(small):  # QoI: Linear(250, 8) raw logits, 4 blur classes of RGB then 4 of depth
    return gtdm_variant("gtdm_blur", small, 8, False)


def gtdm_lowlight_config(small):  # QoI: Linear(250, 4) raw logits, 4 gamma classes
    return gtdm_variant("gtdm_lowlight", small, 4, False)


def gtdm_3mod_config(small):  # + range_doppler; QoI: Linear(200, 3) sigmoid*5
    return gtdm_variant("gtdm_3mod", small, 3, True, three_modalities=True)


RD_ENC = gtdm_3mod_config(False).controller.encoders[2]
assert RD_ENC.flat == 2145 and gtdm_3mod_config(False).vits[2].tokens == 17


CONFIGS = {"gtdm": gtdm_config, "ave": ave_config, "mmfi": mmfi_config, "gtdm_blur": gtdm_blur_config,
           "gtdm_lowlight": gtdm_lowlight_config, "gtdm_3mod": gtdm_3mod_config}


class ConvControllerAE(nn.Module):
    """GTDM's Conv_Controller_AE (§4.9): encoder_dict without the Resize (inputs come resized), combiner_encoder,
    cls, and per modality a decoder ConvTranspose(1,32,14) → BN → ReLU → ConvTranspose(32,32,12,stride 3) → BN →
    ReLU → ConvTranspose(32,C,5) from the CLS output reshaped to (1, *grid) (real: 256 → 16×16 → 100×100)."""

    def __init__(self, c: ControllerConfig, mod_names, out_chans, grid):
        super().__init__()
        self.cfg, self.mod_names, self.grid = c, list(mod_names), tuple(grid)
        self.encoder_dict = nn.ModuleDict({n: conv_encoder(e, c.dim, with_resize=False)
                                           for n, e in zip(mod_names, c.encoders)})
        self.decoder_dict = nn.ModuleDict({n: nn.Sequential(
            nn.ConvTranspose2d(1, 32, 14), nn.BatchNorm2d(32, eps=EPS), nn.ReLU(),
            nn.ConvTranspose2d(32, 32, 12, stride=3), nn.BatchNorm2d(32, eps=EPS), nn.ReLU(),
            nn.ConvTranspose2d(32, ch, 5)) for n, ch in zip(mod_names, out_chans)})
        self.combiner_encoder = TransformerEnc(c.dim, c.depth, c.heads, c.mlp)
        self.cls = nn.Parameter(torch.zeros(1, c.dim))

    def forward(self, resized):
        """resized: per modality (B, instances, C, rh, rw), already at the encoders' Resize size."""
        B = resized[0].shape[0]
        toks = [self.cls.expand(B, -1)[:, None, :]]
        for name, x in zip(self.mod_names, resized):
            toks.append(self.encoder_dict[name](x.reshape(-1, *x.shape[2:])).reshape(B, x.shape[1], -1))
        x = torch.cat(toks, dim=1)
        x = x + positionalencoding1d(x.shape[2], x.shape[1]).to(x.dtype)
        h = self.combiner_encoder(x)[:, 0].reshape(B, 1, *self.grid)
        return [self.decoder_dict[n](h) for n in self.mod_names]


def build(arch, small, seed):
    torch.manual_seed(0)  # construction draws nothing we keep, but keep it deterministic anyway
    model = AdmnNet(CONFIGS[arch](small)).eval()
    randomize(model, seed)
    return model


# ------------------------------------------------------------------------------------------------
# Random weights: Linear/Conv weights ~ N(0, 1/fan_in), biases 0.1*N(0,1), LayerNorm weight 1 + 0.1*N,
# LayerNorm bias 0.1*N, cls/pos 0.5*N, BatchNorm weight 1 + 0.1*N, bias 0.1*N, running_mean 0.1*N,
# running_var exp(0.3*N) (positive). Draw order = named_modules() order (shared modules once).

@torch.no_grad()
def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)

    def randn(t):
        return torch.randn(t.shape, generator=g, dtype=torch.float32)

    done = set()
    for mname, mod in model.named_modules():
        pre = mname + "." if mname else ""
        if isinstance(mod, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            fan_in = mod.weight[0].numel()
            mod.weight.copy_(randn(mod.weight).mul_(1.0 / math.sqrt(fan_in)))
            done.add(pre + "weight")
            if mod.bias is not None:
                mod.bias.copy_(randn(mod.bias).mul_(0.1))
                done.add(pre + "bias")
        elif isinstance(mod, nn.LayerNorm):
            mod.weight.copy_(1 + 0.1 * randn(mod.weight))
            mod.bias.copy_(0.1 * randn(mod.bias))
            done.update({pre + "weight", pre + "bias"})
        elif isinstance(mod, nn.BatchNorm2d):
            mod.weight.copy_(1 + 0.1 * randn(mod.weight))
            mod.bias.copy_(0.1 * randn(mod.bias))
            mod.running_mean.copy_(0.1 * randn(mod.running_mean))
            mod.running_var.copy_(torch.exp(0.3 * randn(mod.running_var)))
            done.update({pre + s for s in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")})
        elif isinstance(mod, VisionTransformer):
            mod.cls_token.copy_(0.5 * randn(mod.cls_token))
            mod.pos_embed.copy_(0.5 * randn(mod.pos_embed))
            done.update({pre + "cls_token", pre + "pos_embed"})
        elif isinstance(mod, (ConvLayerController, ConvControllerAE)):
            mod.cls.copy_(0.5 * randn(mod.cls))
            done.add(pre + "cls")
    # mlp.2 of the GTDM head aliases mlp.0 (named_modules visits the shared Linear once)
    missing = [k for k in model.state_dict() if k not in done and not k.startswith("output_head.mlp.2.")]
    assert not missing, missing


def export_state_dict(model):
    """State dict as exported (§7.4): name -> float32 contiguous tensor (views of the parameters, no copy:
    the writers serialise every name's data on its own, so output_head.mlp.2.* lands in the file as a copy
    of mlp.0), without num_batches_tracked (and without backbone head.*, which these modules never create)."""
    out = {}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        assert not any(k.startswith(b + ".head.") for b in model.cfg.backbones)
        assert v.dtype == torch.float32, (k, v.dtype)
        out[k] = v.detach().contiguous()
    return out


# ------------------------------------------------------------------------------------------------
# Low-memory safetensors writer: the same bytes as st_write.save_file, one tensor in memory at a time.

def save_file_streaming(tensors, path, metadata=None):
    metadata = dict(metadata or {})
    header = {}
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    offset = 0
    names = sorted(tensors)
    for name in names:
        t = tensors[name]
        assert t.dtype == torch.float32
        n = t.numel() * 4
        header[name] = {"dtype": "F32", "shape": [int(s) for s in t.shape], "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in names:
            a = tensors[name].detach().contiguous().numpy()
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes(order="C"))
