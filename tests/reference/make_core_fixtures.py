"""Golden files for admn's core numerics: tests/fixtures/core/*.safetensors.

Run:  /usr/bin/python3 tests/reference/make_core_fixtures.py   (CPU, 1 thread, a few seconds)

Every module is written here from docs/numerics.md (no timm, no nn.Module zoo), in float32 on
the CPU, with explicit attention (softmax((q @ k^T) * scale) @ v, scale applied AFTER q @ k^T, as the
float32 product with the Python float dim_head**-0.5). Each file's inputs come from
`torch.manual_seed(<file seed>)` then torch.randn/rand draws in a fixed order (seeds in the metadata
key `seed`), except timm_block_vitb, resize.x224 and resize.xaudio, which use detgen (detgen.py, mirrored
bit for bit by tests/common/detgen.hpp). Running twice gives byte-identical files.

All tensors are F32 ("F32" in the header). Every file's `__metadata__` also holds
`generator` = "tests/reference/make_core_fixtures.py", `torch` = torch.__version__ ("1.13.0a0" for
Debian 12's python3-torch 1.13.1+dfsg), `seed` = the torch.manual_seed of that file ("none" when nothing
is random, "detgen" for file 7). Metadata values are strings; lists are comma-separated. Those three keys
are not repeated in the per-file lists below.

Random parameter conventions (files 5, 6, 8, 9, 10): Linear/Conv weights ~ N(0, 1/fan_in)
(i.e. N(0, (0.02·k)^2) with k = 50/sqrt(fan_in), so attention and MLP are far from identity),
biases ~ N(0, 0.1^2), LayerNorm weight = 1 + 0.1·N(0,1), LayerNorm bias = 0.1·N(0,1),
cls_token / pos_embed ~ N(0, 0.5^2) (ViTs), inputs ~ N(0,1).

How accurate the goldens are (printed as "[f64 check]" on every run: the same code re-run in float64,
max|y32 - y64| / max|y64|): <= 5.3e-7 for every small case; 2.6e-6 for timm_block_vitb.y (1.0e-5 absolute,
max|y| = 3.9). A float32 C++ port differs from the golden by about the golden's own error plus its own,
so compare against max|y| (or a norm), not element by element. Resize: torch rounds scale/coordinates
to float32 (see make_resize); the float64 spec formula differs from torch by up to 1.2e-5 absolute on
aa.up (max|y| = 3.0), while rounding like ATen brings it to <= 3.1e-7.

File table (shapes exactly as written)
======================================

1. layer_norm.safetensors      metadata: eps="1e-05"
   | x          | (5,37)   | randn*3+1                                   |
   | weight     | (37,)    | 1 + 0.5*randn                               |
   | bias       | (37,)    | randn                                       |
   | y          | (5,37)   | F.layer_norm(x,(37,),weight,bias,eps=1e-5)  |
   | x768       | (3,768)  | randn*3+1                                   |
   | weight768  | (768,)   | 1 + 0.5*randn                               |
   | bias768    | (768,)   | randn                                       |
   | y768       | (3,768)  | F.layer_norm(x768,(768,),weight768,bias768) |

2. softmax.safetensors         metadata: dim="-1"
   | x   | (4,19)  | uniform(-80,80); row 2 all = 80 (-> uniform 1/19); x[0,0]=80, x[3,5]=-80 |
   | y   | (4,19)  | softmax(x, dim=-1)                                                      |
   | x2  | (3,197) | randn                                                                   |
   | y2  | (3,197) | softmax(x2, dim=-1)                                                     |

3. gelu.safetensors            metadata: leaky_relu.negative_slope="0.01", x="linspace(-8,8,1001)"
   | x          | (1001,) | torch.linspace(-8, 8, 1001) (float32)  |
   | erf        | (1001,) | F.gelu(x)           (exact erf)        |
   | tanh       | (1001,) | F.gelu(x, approximate='tanh')          |
   | relu       | (1001,) | F.relu(x)                              |
   | leaky_relu | (1001,) | F.leaky_relu(x, 0.01)                  |

4. linear.safetensors          metadata: (common keys only)
   | x      | (7,33)  | randn                      |
   | weight | (19,33) | randn/sqrt(33)             |
   | bias   | (19,)   | randn*0.1                  |
   | y      | (7,19)  | x @ weight^T + bias        |

5. attention.safetensors       metadata: dim="48", heads="3", head_dim="16", scale="0.25", tokens="11",
                               batch="2", vd.dim="32", vd.heads="4", vd.dim_head="8",
                               vd.scale="0.3535533905932738", vd.tokens="7", vd.batch="2"
   timm Attention (spec §2.3), y = proj(attn(x)), no norm, no residual:
   | x               | (2,11,48) | |
   | qkv.weight      | (144,48)  | rows 0:48 q, 48:96 k, 96:144 v; head h = rows 16h:16h+16 of each |
   | qkv.bias        | (144,)    | |
   | proj.weight     | (48,48)   | |
   | proj.bias       | (48,)     | |
   | y               | (2,11,48) | |
   vit_dev Attention (spec §4.5), to_qkv without bias, same q/k/v row layout, y = to_out.0(attn(x)):
   | vd.x              | (2,7,32) | |
   | vd.to_qkv.weight  | (96,32)  | |
   | vd.to_out.0.weight| (32,32)  | |
   | vd.to_out.0.bias  | (32,)    | |
   | vd.y              | (2,7,32) | |

6. timm_block_small.safetensors  metadata: dim="48", heads="3", head_dim="16", mlp="192", eps="1e-05",
                                 gelu="erf", tokens="17", batch="2"
   y = x + proj(attn(LN1(x))); y = y + fc2(gelu(fc1(LN2(y))))   (spec §2.3)
   | norm1.weight, norm1.bias       | (48,)     |
   | attn.qkv.weight, attn.qkv.bias | (144,48), (144,) |
   | attn.proj.weight, attn.proj.bias | (48,48), (48,) |
   | norm2.weight, norm2.bias       | (48,)     |
   | mlp.fc1.weight, mlp.fc1.bias   | (192,48), (192,) |
   | mlp.fc2.weight, mlp.fc2.bias   | (48,192), (48,)  |
   | x                              | (2,17,48) |
   | y                              | (2,17,48) |

7. timm_block_vitb.safetensors   metadata: dim="768", heads="12", head_dim="64", mlp="3072", eps="1e-05",
                                 gelu="erf", tokens="197", batch="1", seed="detgen",
                                 and for each weight W below and for x: seed.W, scale.W, offset.W
                                 (W = offset + detgen(seed, shape, scale), offset "1" or "0", computed in
                                 float32, i.e. C++ `1.0f + detgen_value(...)`)
   Only x and y are stored. Weights (not stored), generated in this order:
   | norm1.weight     | (768,)      | 1 + detgen(101, (768,), 0.125)      |
   | norm1.bias       | (768,)      | detgen(102, (768,), 0.125)          |
   | attn.qkv.weight  | (2304,768)  | detgen(103, (2304,768), 0.0625)     |
   | attn.qkv.bias    | (2304,)     | detgen(104, (2304,), 0.0625)        |
   | attn.proj.weight | (768,768)   | detgen(105, (768,768), 0.03125)     |
   | attn.proj.bias   | (768,)      | detgen(106, (768,), 0.03125)        |
   | norm2.weight     | (768,)      | 1 + detgen(107, (768,), 0.125)      |
   | norm2.bias       | (768,)      | detgen(108, (768,), 0.125)          |
   | mlp.fc1.weight   | (3072,768)  | detgen(109, (3072,768), 0.0625)     |
   | mlp.fc1.bias     | (3072,)     | detgen(110, (3072,), 0.0625)        |
   | mlp.fc2.weight   | (768,3072)  | detgen(111, (768,3072), 0.03125)    |
   | mlp.fc2.bias     | (768,)      | detgen(112, (768,), 0.03125)        |
   Stored:
   | x | (1,197,768) | detgen(113, (1,197,768), 1.0) |
   | y | (1,197,768) | timm Block(x)                 |

8. transformer_enc_small.safetensors  metadata: dim="32", depth="2", heads="4", dim_head="8", mlp="64",
                                      eps="1e-05", gelu="erf", scale="0.3535533905932738", tokens="7",
                                      batch="2"
   vit_dev TransformerEnc (spec §4.5), final LayerNorm included; for i in {0,1}:
   | layers.{i}.0.norm.weight, .bias      | (32,)          |
   | layers.{i}.0.to_qkv.weight           | (96,32)        |
   | layers.{i}.0.to_out.0.weight, .bias  | (32,32), (32,) |
   | layers.{i}.1.condln.weight, .bias    | (32,)          |
   | layers.{i}.1.net.1.weight, .bias     | (64,32), (64,) |
   | layers.{i}.1.net.4.weight, .bias     | (32,64), (32,) |
   | norm.weight, norm.bias               | (32,)          |
   | x                                    | (2,7,32)       |
   | y                                    | (2,7,32)       |

9. vit_tiny.safetensors  metadata: img="32,32", in_chans="3", patch="8", grid="4,4", tokens="17", dim="48",
                         depth="4", heads="3", head_dim="16", mlp="192", eps="1e-05", gelu="erf",
                         masks="1111,1010,0110,1000,0001,0000"
   ViT (spec §2.2-2.4): conv8/8 -> flatten row-major (token 1+4h+w) -> prepend CLS -> + pos_embed ->
   kept blocks in order (mask digit i = block i, 1 = run, 0 = skip) -> final LN -> token 0.
   | cls_token                         | (1,1,48)     |
   | pos_embed                         | (1,17,48)    |
   | patch_embed.proj.weight           | (48,3,8,8)   |
   | patch_embed.proj.bias             | (48,)        |
   | blocks.{i}.<12 keys of file 6>    | as file 6    |  i in 0..3
   | norm.weight, norm.bias            | (48,)        |
   | image                             | (2,3,32,32)  |
   | out.1111, out.1010, out.0110, out.1000, out.0001, out.0000 | (2,48) | CLS after final LN |
   | tokens.1111                       | (2,17,48)    | all tokens after final LN, all blocks |
   out.0000 = LN(cls_token + pos_embed[0]) in both rows (input-independent).

10. vit_audio_tiny.safetensors  metadata: img="16,64", in_chans="1", patch="8", grid="2,8", tokens="17",
                                dim="32", depth="2", heads="2", head_dim="16", mlp="64", eps="1e-05",
                                gelu="erf", masks="11,01"
   Same as 9 with a 1-channel (freq, time) = (16,64) input, token 1 + 8*f + t:
   | cls_token                      | (1,1,32)   |
   | pos_embed                      | (1,17,32)  |
   | patch_embed.proj.weight        | (32,1,8,8) |
   | patch_embed.proj.bias          | (32,)      |
   | blocks.{i}.<12 keys of file 6> | dim 32, mlp 64: qkv (96,32), proj (32,32), fc1 (64,32), fc2 (32,64) |  i in 0..1
   | norm.weight, norm.bias         | (32,)      |
   | audio                          | (1,1,16,64)|
   | out.11, out.01                 | (1,32)     |

11. conv2d.safetensors  metadata: cases="a,b,c,d", and per case <c>.kernel, <c>.stride, <c>.padding
                        ("kh,kw"), <c>.bias ("true"/"false"); dilation 1, groups 1 everywhere
   | a.x (2,3,20,23) | a.weight (6,3,10,10) | a.bias (6,) | a.y (2,6,11,14) | k 10,10  s 1,1  p 0,0 |
   | b.x (2,2,9,11)  | b.weight (4,2,3,3)   | b.bias (4,) | b.y (2,4,5,6)   | k 3,3    s 2,2  p 1,1 |
   | c.x (2,1,16,64) | c.weight (5,1,4,8)   | c.bias (5,) | c.y (2,5,4,8)   | k 4,8    s 4,8  p 0,0 |
   | d.x (2,6,8,9)   | d.weight (3,6,5,5)   | (no d.bias) | d.y (2,3,8,9)   | k 5,5    s 1,1  p 2,2 |
   y = F.conv2d(x, weight, bias, stride, padding); weights randn/sqrt(fan_in), bias randn*0.1.

12. pool_bn.safetensors  metadata: pool.y3.kernel="3,3", pool.y3.stride="3,3", pool.y36.kernel="3,6",
                         pool.y36.stride="3,6", pool.padding="0,0", pool.ceil_mode="false", bn.eps="1e-05"
   | pool.x           | (2,6,20,29) | randn                               |
   | pool.y3          | (2,6,6,9)   | F.max_pool2d(pool.x, 3)  (stride 3, floor) |
   | pool.y36         | (2,6,6,4)   | F.max_pool2d(pool.x, (3,6))  (stride (3,6)) |
   | bn.x             | (2,6,5,7)   | randn*2+0.5                         |
   | bn.weight        | (6,)        | 1 + 0.3*randn                       |
   | bn.bias          | (6,)        | 0.5*randn                           |
   | bn.running_mean  | (6,)        | 0.5*randn                           |
   | bn.running_var   | (6,)        | exp(randn) (positive, 0.24..1.55)   |
   | bn.y             | (2,6,5,7)   | F.batch_norm(eval, eps 1e-5) = (x-mean)/sqrt(var+eps)*w+b |

13. resize.safetensors  metadata: mode="bilinear", align_corners="false",
                        x224="detgen(201,(1,3,224,224),1.0)", xaudio="detgen(202,(1,1,128,1024),1.0)",
                        and for each output O: O.input (name of the input tensor), O.size ("h,w"),
                        O.antialias ("true"/"false"); plus the script's own checks (informative):
                        check.aa_vs_spec_max_abs, check.plain_vs_spec_max_abs = max |torch - spec §4.1
                        formula in float64| over all outputs of that kind, and
                        check.aa_vs_spec_aten_rounding_max_abs, check.plain_vs_spec_aten_rounding_max_abs =
                        the same with scale/coordinates/weights rounded to float32 where ATen rounds them
   y = F.interpolate(in, size, mode='bilinear', align_corners=False, antialias=<aa>)
   | x              | (2,3,37,53)     | randn                       |
   | aa.down        | (2,3,10,12)     | x, antialias                |
   | aa.up          | (2,3,50,61)     | x, antialias                |
   | aa.mixed       | (2,3,20,80)     | x, antialias (h down, w up) |
   | plain.down     | (2,3,10,12)     | x, no antialias             |
   | plain.up       | (2,3,50,61)     | x, no antialias             |
   | plain.mixed    | (2,3,20,80)     | x, no antialias             |
   | x224           | (1,3,224,224)   | detgen(201, (1,3,224,224), 1.0) (also stored) |
   | aa.224to100    | (1,3,100,100)   | x224, antialias             |
   | plain.224to100 | (1,3,100,100)   | x224, no antialias          |
   | xaudio         | (1,1,128,1024)  | detgen(202, (1,1,128,1024), 1.0) (also stored) |
   | aa.audio       | (1,1,128,512)   | xaudio, antialias           |
   | plain.audio    | (1,1,128,512)   | xaudio, no antialias        |

14. posenc.safetensors  metadata: for each P: P.d_model, P.length
   | pe.256x7  | (7,256)  | positionalencoding1d(256, 7)  (spec §4.4, float32 CPU) |
   | pe.64x30  | (30,64)  | positionalencoding1d(64, 30)  |
   | pe.512x10 | (10,512) | positionalencoding1d(512, 10) |
   Shape is (length, d_model): pe[p, 2i] = sin(p*div[i]), pe[p, 2i+1] = cos(p*div[i]).
"""
import hashlib
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from detgen import detgen  # noqa: E402
from st_write import load_file, save_file  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "fixtures", "core"))
EPS = 1e-5

torch.set_num_threads(1)  # deterministic reductions, and leaves the other core to the C++ builds
torch.set_grad_enabled(False)

_written = []


def common_meta(seed):
    return {"generator": "tests/reference/make_core_fixtures.py", "torch": torch.__version__,
            "seed": str(seed)}


def write(fname, tensors, meta):
    for k, v in tensors.items():
        assert v.dtype == torch.float32, (fname, k, v.dtype)
        assert torch.isfinite(v).all(), (fname, k)
    path = os.path.join(OUT, fname)
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, meta)
    back, bmeta = load_file(path)  # round trip through our own reader
    assert bmeta == meta and set(back) == set(tensors)
    for k, v in tensors.items():
        assert np.array_equal(back[k], v.numpy()), (fname, k)
    size = os.path.getsize(path)
    _written.append((fname, size))
    print(f"wrote {os.path.relpath(path, os.path.join(HERE, '..', '..'))} ({size} bytes)")
    for k in sorted(tensors):
        print(f"    {k:32s} {tuple(tensors[k].shape)}")
    print("    metadata: " + ", ".join(f"{k}={v}" for k, v in sorted(meta.items())
                                        if k not in ("generator", "torch")))


def deviation(label, y32, y64):
    """Print how far the float32 golden value is from the same computation in float64."""
    d = (y32.double() - y64).abs().max().item()
    m = y64.abs().max().item()
    print(f"    [f64 check] {label}: max|f32-f64| = {d:.3e}, relative to max|y| = {d / m:.3e}")
    return d / m


# ----------------------------------------------------------------------------------------------
# Modules, written from the spec. `p` maps state-dict names to tensors; dtype-generic so the same
# code runs in float64 for the accuracy check.

def layer_norm(x, w, b):
    return F.layer_norm(x, (x.shape[-1],), w, b, EPS)


def timm_attention(x, p, pre, heads):
    """spec §2.3: fused qkv with bias, (B,N,3,H,hd) split, scale after q @ k^T, proj with bias."""
    B, N, C = x.shape
    hd = C // heads
    qkv = F.linear(x, p[pre + "qkv.weight"], p[pre + "qkv.bias"])
    q, k, v = qkv.reshape(B, N, 3, heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
    a = torch.softmax((q @ k.transpose(-2, -1)) * hd ** -0.5, dim=-1)
    o = (a @ v).transpose(1, 2).reshape(B, N, C)
    return F.linear(o, p[pre + "proj.weight"], p[pre + "proj.bias"])


def vd_attention(x, p, pre, heads, dim_head):
    """spec §4.5: to_qkv without bias, chunk(3) then 'b n (h d) -> b h n d', scale after QK^T."""
    B, N, _ = x.shape
    q, k, v = F.linear(x, p[pre + "to_qkv.weight"]).chunk(3, dim=-1)
    q, k, v = (t.reshape(B, N, heads, dim_head).transpose(1, 2) for t in (q, k, v))
    a = torch.softmax((q @ k.transpose(-1, -2)) * dim_head ** -0.5, dim=-1)
    o = (a @ v).transpose(1, 2).reshape(B, N, heads * dim_head)
    return F.linear(o, p[pre + "to_out.0.weight"], p[pre + "to_out.0.bias"])


def timm_block(x, p, pre, heads):
    x = x + timm_attention(layer_norm(x, p[pre + "norm1.weight"], p[pre + "norm1.bias"]), p,
                           pre + "attn.", heads)
    h = layer_norm(x, p[pre + "norm2.weight"], p[pre + "norm2.bias"])
    h = F.gelu(F.linear(h, p[pre + "mlp.fc1.weight"], p[pre + "mlp.fc1.bias"]))
    return x + F.linear(h, p[pre + "mlp.fc2.weight"], p[pre + "mlp.fc2.bias"])


def transformer_enc(x, p, depth, heads, dim_head):
    for i in range(depth):
        a = f"layers.{i}.0."
        f = f"layers.{i}.1."
        x = x + vd_attention(layer_norm(x, p[a + "norm.weight"], p[a + "norm.bias"]), p, a, heads, dim_head)
        h = layer_norm(x, p[f + "condln.weight"], p[f + "condln.bias"])
        h = F.gelu(F.linear(h, p[f + "net.1.weight"], p[f + "net.1.bias"]))
        x = x + F.linear(h, p[f + "net.4.weight"], p[f + "net.4.bias"])
    return layer_norm(x, p["norm.weight"], p["norm.bias"])


def vit_forward(img, p, patch, heads, keep):
    """spec §2.2-2.4 with true skipping; returns (CLS after final LN, all tokens after final LN)."""
    B = img.shape[0]
    x = F.conv2d(img, p["patch_embed.proj.weight"], p["patch_embed.proj.bias"], stride=patch)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat((p["cls_token"].expand(B, -1, -1), x), dim=1) + p["pos_embed"]
    for i, k in enumerate(keep):
        if k:
            x = timm_block(x, p, f"blocks.{i}.", heads)
    x = layer_norm(x, p["norm.weight"], p["norm.bias"])
    return x[:, 0], x


def positionalencoding1d(d_model, length):
    """spec §4.4, verbatim (float32, CPU)."""
    pe = torch.zeros(length, d_model)
    position = torch.arange(0, length).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float) * -(math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position.float() * div_term)
    pe[:, 1::2] = torch.cos(position.float() * div_term)
    return pe


# Random parameter helpers (fixed draw order = the order of the calls).

def rand_linear(p, pre, out_f, in_f, bias=True):
    p[pre + "weight"] = torch.randn(out_f, in_f) / math.sqrt(in_f)
    if bias:
        p[pre + "bias"] = torch.randn(out_f) * 0.1


def rand_ln(p, pre, d):
    p[pre + "weight"] = 1 + 0.1 * torch.randn(d)
    p[pre + "bias"] = 0.1 * torch.randn(d)


def rand_timm_block(p, pre, dim, mlp):
    rand_ln(p, pre + "norm1.", dim)
    rand_linear(p, pre + "attn.qkv.", 3 * dim, dim)
    rand_linear(p, pre + "attn.proj.", dim, dim)
    rand_ln(p, pre + "norm2.", dim)
    rand_linear(p, pre + "mlp.fc1.", mlp, dim)
    rand_linear(p, pre + "mlp.fc2.", dim, mlp)


def f64(p):
    return {k: v.double() for k, v in p.items()}


# ----------------------------------------------------------------------------------------------

def make_layer_norm():
    seed = 1
    torch.manual_seed(seed)
    t = {}
    t["x"] = torch.randn(5, 37) * 3 + 1
    t["weight"] = 1 + 0.5 * torch.randn(37)
    t["bias"] = torch.randn(37)
    t["x768"] = torch.randn(3, 768) * 3 + 1
    t["weight768"] = 1 + 0.5 * torch.randn(768)
    t["bias768"] = torch.randn(768)
    t["y"] = F.layer_norm(t["x"], (37,), t["weight"], t["bias"], eps=1e-5)
    t["y768"] = F.layer_norm(t["x768"], (768,), t["weight768"], t["bias768"], eps=1e-5)
    q = f64(t)
    deviation("y", t["y"], F.layer_norm(q["x"], (37,), q["weight"], q["bias"], eps=1e-5))
    deviation("y768", t["y768"], F.layer_norm(q["x768"], (768,), q["weight768"], q["bias768"], eps=1e-5))
    write("layer_norm.safetensors", t, {**common_meta(seed), "eps": "1e-05"})


def make_softmax():
    seed = 2
    torch.manual_seed(seed)
    x = (torch.rand(4, 19) * 2 - 1) * 80
    x[0, 0] = 80.0
    x[2, :] = 80.0
    x[3, 5] = -80.0
    x2 = torch.randn(3, 197)
    t = {"x": x, "y": torch.softmax(x, dim=-1), "x2": x2, "y2": torch.softmax(x2, dim=-1)}
    deviation("y", t["y"], torch.softmax(x.double(), -1))
    deviation("y2", t["y2"], torch.softmax(x2.double(), -1))
    write("softmax.safetensors", t, {**common_meta(seed), "dim": "-1"})


def make_gelu():
    x = torch.linspace(-8, 8, 1001)
    t = {"x": x, "erf": F.gelu(x), "tanh": F.gelu(x, approximate="tanh"), "relu": F.relu(x),
         "leaky_relu": F.leaky_relu(x, 0.01)}
    deviation("erf", t["erf"], F.gelu(x.double()))
    deviation("tanh", t["tanh"], F.gelu(x.double(), approximate="tanh"))
    write("gelu.safetensors", t, {**common_meta("none"), "leaky_relu.negative_slope": "0.01",
                                  "x": "linspace(-8,8,1001)"})


def make_linear():
    seed = 4
    torch.manual_seed(seed)
    t = {"x": torch.randn(7, 33), "weight": torch.randn(19, 33) / math.sqrt(33), "bias": torch.randn(19) * 0.1}
    t["y"] = F.linear(t["x"], t["weight"], t["bias"])
    q = f64(t)
    deviation("y", t["y"], F.linear(q["x"], q["weight"], q["bias"]))
    write("linear.safetensors", t, common_meta(seed))


def make_attention():
    seed = 5
    torch.manual_seed(seed)
    p = {}
    p["x"] = torch.randn(2, 11, 48)
    rand_linear(p, "qkv.", 144, 48)
    rand_linear(p, "proj.", 48, 48)
    p["vd.x"] = torch.randn(2, 7, 32)
    rand_linear(p, "vd.to_qkv.", 96, 32, bias=False)
    rand_linear(p, "vd.to_out.0.", 32, 32)
    p["y"] = timm_attention(p["x"], p, "", 3)
    p["vd.y"] = vd_attention(p["vd.x"], p, "vd.", 4, 8)
    q = f64(p)
    deviation("y", p["y"], timm_attention(q["x"], q, "", 3))
    deviation("vd.y", p["vd.y"], vd_attention(q["vd.x"], q, "vd.", 4, 8))
    # Independent check of the head/row layout against torch's own MultiheadAttention.
    mha = torch.nn.MultiheadAttention(48, 3, batch_first=True).eval()
    mha.in_proj_weight.copy_(p["qkv.weight"])
    mha.in_proj_bias.copy_(p["qkv.bias"])
    mha.out_proj.weight.copy_(p["proj.weight"])
    mha.out_proj.bias.copy_(p["proj.bias"])
    d = (mha(p["x"], p["x"], p["x"], need_weights=False)[0] - p["y"]).abs().max().item()
    print(f"    [mha check] max|nn.MultiheadAttention - y| = {d:.3e}")
    assert d < 1e-5
    write("attention.safetensors", p, {
        **common_meta(seed), "dim": "48", "heads": "3", "head_dim": "16", "scale": repr(16 ** -0.5),
        "tokens": "11", "batch": "2", "vd.dim": "32", "vd.heads": "4", "vd.dim_head": "8",
        "vd.scale": repr(8 ** -0.5), "vd.tokens": "7", "vd.batch": "2"})


BLOCK_META = {"eps": "1e-05", "gelu": "erf"}


def make_timm_block_small():
    seed = 6
    torch.manual_seed(seed)
    p = {}
    rand_timm_block(p, "", 48, 192)
    p["x"] = torch.randn(2, 17, 48)
    p["y"] = timm_block(p["x"], p, "", 3)
    q = f64(p)
    deviation("y", p["y"], timm_block(q["x"], q, "", 3))
    write("timm_block_small.safetensors", p, {
        **common_meta(seed), **BLOCK_META, "dim": "48", "heads": "3", "head_dim": "16", "mlp": "192",
        "tokens": "17", "batch": "2"})


VITB_WEIGHTS = [  # name, seed, shape, scale, offset
    ("norm1.weight", 101, (768,), 0.125, 1), ("norm1.bias", 102, (768,), 0.125, 0),
    ("attn.qkv.weight", 103, (2304, 768), 0.0625, 0), ("attn.qkv.bias", 104, (2304,), 0.0625, 0),
    ("attn.proj.weight", 105, (768, 768), 0.03125, 0), ("attn.proj.bias", 106, (768,), 0.03125, 0),
    ("norm2.weight", 107, (768,), 0.125, 1), ("norm2.bias", 108, (768,), 0.125, 0),
    ("mlp.fc1.weight", 109, (3072, 768), 0.0625, 0), ("mlp.fc1.bias", 110, (3072,), 0.0625, 0),
    ("mlp.fc2.weight", 111, (768, 3072), 0.03125, 0), ("mlp.fc2.bias", 112, (768,), 0.03125, 0),
]


def make_timm_block_vitb():
    p = {}
    meta = {**common_meta("detgen"), **BLOCK_META, "dim": "768", "heads": "12", "head_dim": "64",
            "mlp": "3072", "tokens": "197", "batch": "1"}
    for name, seed, shape, scale, offset in VITB_WEIGHTS:
        w = detgen(seed, shape, scale)
        if offset:
            w = np.float32(offset) + w  # float32 add, as C++ `1.0f + value`
        assert w.dtype == np.float32
        p[name] = torch.from_numpy(w)
        meta.update({f"seed.{name}": str(seed), f"scale.{name}": repr(scale), f"offset.{name}": str(offset)})
    x = torch.from_numpy(detgen(113, (1, 197, 768), 1.0))
    meta.update({"seed.x": "113", "scale.x": "1.0", "offset.x": "0"})
    y = timm_block(x, p, "", 12)
    deviation("y", y, timm_block(x.double(), f64(p), "", 12))
    write("timm_block_vitb.safetensors", {"x": x, "y": y}, meta)


def make_transformer_enc_small():
    seed = 8
    torch.manual_seed(seed)
    p = {}
    for i in range(2):
        rand_ln(p, f"layers.{i}.0.norm.", 32)
        rand_linear(p, f"layers.{i}.0.to_qkv.", 96, 32, bias=False)
        rand_linear(p, f"layers.{i}.0.to_out.0.", 32, 32)
        rand_ln(p, f"layers.{i}.1.condln.", 32)
        rand_linear(p, f"layers.{i}.1.net.1.", 64, 32)
        rand_linear(p, f"layers.{i}.1.net.4.", 32, 64)
    rand_ln(p, "norm.", 32)
    p["x"] = torch.randn(2, 7, 32)
    p["y"] = transformer_enc(p["x"], p, 2, 4, 8)
    q = f64(p)
    deviation("y", p["y"], transformer_enc(q["x"], q, 2, 4, 8))
    write("transformer_enc_small.safetensors", p, {
        **common_meta(seed), **BLOCK_META, "dim": "32", "depth": "2", "heads": "4", "dim_head": "8",
        "mlp": "64", "scale": repr(8 ** -0.5), "tokens": "7", "batch": "2"})


def rand_vit(in_chans, patch, tokens, dim, depth, mlp):
    p = {}
    p["cls_token"] = 0.5 * torch.randn(1, 1, dim)
    p["pos_embed"] = 0.5 * torch.randn(1, tokens, dim)
    p["patch_embed.proj.weight"] = torch.randn(dim, in_chans, patch, patch) / math.sqrt(in_chans * patch * patch)
    p["patch_embed.proj.bias"] = 0.1 * torch.randn(dim)
    for i in range(depth):
        rand_timm_block(p, f"blocks.{i}.", dim, mlp)
    rand_ln(p, "norm.", dim)
    return p


def make_vit_tiny():
    seed = 9
    torch.manual_seed(seed)
    p = rand_vit(3, 8, 17, 48, 4, 192)
    p["image"] = torch.randn(2, 3, 32, 32)
    q = f64(p)
    masks = ["1111", "1010", "0110", "1000", "0001", "0000"]
    for m in masks:
        keep = [c == "1" for c in m]
        cls, tok = vit_forward(p["image"], p, 8, 3, keep)
        p[f"out.{m}"] = cls
        if m == "1111":
            p["tokens.1111"] = tok
        deviation(f"out.{m}", cls, vit_forward(q["image"], q, 8, 3, keep)[0])
    const = layer_norm(p["cls_token"][0, 0] + p["pos_embed"][0, 0], p["norm.weight"], p["norm.bias"])
    assert torch.equal(p["out.0000"], const.expand(2, -1)), "all-skipped output must be LN(cls + pos[0])"
    write("vit_tiny.safetensors", p, {
        **common_meta(seed), **BLOCK_META, "img": "32,32", "in_chans": "3", "patch": "8", "grid": "4,4",
        "tokens": "17", "dim": "48", "depth": "4", "heads": "3", "head_dim": "16", "mlp": "192",
        "masks": ",".join(masks)})


def make_vit_audio_tiny():
    seed = 10
    torch.manual_seed(seed)
    p = rand_vit(1, 8, 17, 32, 2, 64)
    p["audio"] = torch.randn(1, 1, 16, 64)
    q = f64(p)
    masks = ["11", "01"]
    for m in masks:
        keep = [c == "1" for c in m]
        p[f"out.{m}"] = vit_forward(p["audio"], p, 8, 2, keep)[0]
        deviation(f"out.{m}", p[f"out.{m}"], vit_forward(q["audio"], q, 8, 2, keep)[0])
    write("vit_audio_tiny.safetensors", p, {
        **common_meta(seed), **BLOCK_META, "img": "16,64", "in_chans": "1", "patch": "8", "grid": "2,8",
        "tokens": "17", "dim": "32", "depth": "2", "heads": "2", "head_dim": "16", "mlp": "64",
        "masks": ",".join(masks)})


def make_conv2d():
    seed = 11
    torch.manual_seed(seed)
    cases = [  # name, x shape, out channels, kernel, stride, padding, bias
        ("a", (2, 3, 20, 23), 6, (10, 10), (1, 1), (0, 0), True),
        ("b", (2, 2, 9, 11), 4, (3, 3), (2, 2), (1, 1), True),
        ("c", (2, 1, 16, 64), 5, (4, 8), (4, 8), (0, 0), True),
        ("d", (2, 6, 8, 9), 3, (5, 5), (1, 1), (2, 2), False),
    ]
    t = {}
    meta = {**common_meta(seed), "cases": ",".join(c[0] for c in cases)}
    for name, xs, cout, k, s, pad, has_bias in cases:
        x = torch.randn(*xs)
        w = torch.randn(cout, xs[1], *k) / math.sqrt(xs[1] * k[0] * k[1])
        b = torch.randn(cout) * 0.1 if has_bias else None
        y = F.conv2d(x, w, b, stride=s, padding=pad)
        deviation(f"{name}.y", y, F.conv2d(x.double(), w.double(), None if b is None else b.double(),
                                           stride=s, padding=pad))
        t[f"{name}.x"], t[f"{name}.weight"], t[f"{name}.y"] = x, w, y
        if has_bias:
            t[f"{name}.bias"] = b
        meta.update({f"{name}.kernel": f"{k[0]},{k[1]}", f"{name}.stride": f"{s[0]},{s[1]}",
                     f"{name}.padding": f"{pad[0]},{pad[1]}", f"{name}.bias": "true" if has_bias else "false"})
    write("conv2d.safetensors", t, meta)


def make_pool_bn():
    seed = 12
    torch.manual_seed(seed)
    t = {}
    t["pool.x"] = torch.randn(2, 6, 20, 29)
    t["pool.y3"] = F.max_pool2d(t["pool.x"], 3)
    t["pool.y36"] = F.max_pool2d(t["pool.x"], (3, 6))
    t["bn.x"] = torch.randn(2, 6, 5, 7) * 2 + 0.5
    t["bn.weight"] = 1 + 0.3 * torch.randn(6)
    t["bn.bias"] = 0.5 * torch.randn(6)
    t["bn.running_mean"] = 0.5 * torch.randn(6)
    t["bn.running_var"] = torch.exp(torch.randn(6))
    t["bn.y"] = F.batch_norm(t["bn.x"], t["bn.running_mean"], t["bn.running_var"], t["bn.weight"],
                             t["bn.bias"], training=False, eps=1e-5)
    q = f64(t)
    c = lambda v: v[None, :, None, None]  # noqa: E731
    bn64 = (q["bn.x"] - c(q["bn.running_mean"])) / torch.sqrt(c(q["bn.running_var"]) + 1e-5) * c(q["bn.weight"]) \
        + c(q["bn.bias"])
    deviation("bn.y (vs spec formula)", t["bn.y"], bn64)
    write("pool_bn.safetensors", t, {
        **common_meta(seed), "pool.y3.kernel": "3,3", "pool.y3.stride": "3,3", "pool.y36.kernel": "3,6",
        "pool.y36.stride": "3,6", "pool.padding": "0,0", "pool.ceil_mode": "false", "bn.eps": "1e-05"})


# Spec §4.1 resize formulas as (out, in) weight matrices per axis, in float64 numpy. With
# aten=True some quantities are rounded to float32 where torch 1.13's CPU kernels (UpSampleKernel.cpp)
# round them: antialias path: scale = float(in)/out, centre, filter argument, weights and their sum in
# float32 (`scalar_t`); plain path: only scale = float(in)/out is float32, the source coordinate and
# lambda are effectively double. Applying those weights in float64 shows that all of |torch - spec|
# beyond ~3e-7 is float32 rounding of coordinates, not a difference in the formula.

def spec_aa_weights(n_in, n_out, aten=False):
    f = np.float32 if aten else float
    scale = f(n_in) / f(n_out)
    support = scale if scale >= 1 else f(1.0)
    invscale = f(1.0 / float(scale)) if scale >= 1 else f(1.0)
    W = np.zeros((n_out, n_in))
    for i in range(n_out):
        center = f(float(scale) * (i + 0.5))
        xmin = max(int(float(center - support) + 0.5), 0)
        xmax = min(int(float(center + support) + 0.5), n_in)
        w = [max(f(0.0), f(1) - abs(f((float(f(j) - center) + 0.5) * float(invscale))))
             for j in range(xmin, xmax)]
        total = f(0.0)
        for v in w:
            total = total + v
        W[i, xmin:xmax] = [float(v / total) for v in w]
    return W


def spec_plain_weights(n_in, n_out, aten=False):
    scale = float(np.float32(n_in) / np.float32(n_out)) if aten else n_in / n_out
    W = np.zeros((n_out, n_in))
    for i in range(n_out):
        s = max(scale * (i + 0.5) - 0.5, 0.0)
        i0 = int(math.floor(s))
        i1 = min(i0 + 1, n_in - 1)
        lam = s - i0
        W[i, i0] += 1 - lam
        W[i, i1] += lam
    return W


def spec_resize(x, size, antialias, aten=False):
    wf = spec_aa_weights if antialias else spec_plain_weights
    a = x.double().numpy()
    if size[1] != a.shape[3]:  # horizontal pass first (ATen skips an axis whose size is unchanged)
        a = np.einsum("nchw,vw->nchv", a, wf(a.shape[3], size[1], aten))
    if size[0] != a.shape[2]:  # then vertical
        a = np.einsum("nchv,uh->ncuv", a, wf(a.shape[2], size[0], aten))
    return a


def make_resize():
    seed = 13
    torch.manual_seed(seed)
    t = {"x": torch.randn(2, 3, 37, 53),
         "x224": torch.from_numpy(detgen(201, (1, 3, 224, 224), 1.0)),
         "xaudio": torch.from_numpy(detgen(202, (1, 1, 128, 1024), 1.0))}
    outs = [("down", "x", (10, 12)), ("up", "x", (50, 61)), ("mixed", "x", (20, 80)),
            ("224to100", "x224", (100, 100)), ("audio", "xaudio", (128, 512))]
    meta = {**common_meta(seed), "mode": "bilinear", "align_corners": "false",
            "x224": "detgen(201,(1,3,224,224),1.0)", "xaudio": "detgen(202,(1,1,128,1024),1.0)"}
    worst = {}  # (kind, f32) -> max abs difference
    for kind, aa in (("aa", True), ("plain", False)):
        for name, src, size in outs:
            key = f"{kind}.{name}"
            y = F.interpolate(t[src], size=size, mode="bilinear", align_corners=False, antialias=aa)
            d64 = float(np.abs(y.double().numpy() - spec_resize(t[src], size, aa)).max())
            d32 = float(np.abs(y.double().numpy() - spec_resize(t[src], size, aa, aten=True)).max())
            worst[kind, False] = max(worst.get((kind, False), 0.0), d64)
            worst[kind, True] = max(worst.get((kind, True), 0.0), d32)
            print(f"    [spec §4.1 check] {key:16s} {tuple(t[src].shape[2:])}->{size}: max|torch - spec| = "
                  f"{d64:.3e} (float64 formula), {d32:.3e} (ATen float32 rounding); max|y| = "
                  f"{y.abs().max().item():.3f}")
            t[key] = y
            meta.update({f"{key}.input": src, f"{key}.size": f"{size[0]},{size[1]}",
                         f"{key}.antialias": "true" if aa else "false"})
    for kind in ("aa", "plain"):
        print(f"    max|torch {kind:5s} - spec §4.1| over all {kind} outputs: {worst[kind, False]:.3e} with the "
              f"float64 formula, {worst[kind, True]:.3e} with ATen's float32 rounding")
    # The formula itself must be exact up to float32 rounding of ATen's coordinates and weights and
    # its accumulation order; the float64 formula differs by that coordinate rounding (largest where
    # an axis is upsampled: the weight error then multiplies differences of neighbouring pixels).
    assert worst["aa", True] <= 1e-6 and worst["plain", True] <= 1e-6, worst
    assert worst["aa", False] <= 5e-5 and worst["plain", False] <= 5e-5, worst
    meta["check.aa_vs_spec_max_abs"] = f"{worst['aa', False]:.3e}"
    meta["check.aa_vs_spec_aten_rounding_max_abs"] = f"{worst['aa', True]:.3e}"
    meta["check.plain_vs_spec_max_abs"] = f"{worst['plain', False]:.3e}"
    meta["check.plain_vs_spec_aten_rounding_max_abs"] = f"{worst['plain', True]:.3e}"
    write("resize.safetensors", t, meta)


def make_posenc():
    t, meta = {}, common_meta("none")
    for d, n in ((256, 7), (64, 30), (512, 10)):
        key = f"pe.{d}x{n}"
        t[key] = positionalencoding1d(d, n)
        meta.update({f"{key}.d_model": str(d), f"{key}.length": str(n)})
    write("posenc.safetensors", t, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}, output {OUT}")
    for make in (make_layer_norm, make_softmax, make_gelu, make_linear, make_attention,
                 make_timm_block_small, make_timm_block_vitb, make_transformer_enc_small, make_vit_tiny,
                 make_vit_audio_tiny, make_conv2d, make_pool_bn, make_resize, make_posenc):
        print(f"{make.__name__}:")
        make()
    total = sum(s for _, s in _written)
    print(f"\n{len(_written)} files, {total} bytes ({total / 2**20:.2f} MiB) in {OUT}")
    for fname, _ in _written:
        with open(os.path.join(OUT, fname), "rb") as f:
            print(f"  {hashlib.sha256(f.read()).hexdigest()}  {fname}")


if __name__ == "__main__":
    main()
