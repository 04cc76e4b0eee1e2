#!/usr/bin/python3
# Writes the seed corpus of fuzz_network (tests/fuzz/corpus/network/): edit scripts in the
# format of fuzz_network.cpp for every hostile case of tests/zoo/hostile_test.cpp plus
# unedited runs of each fixture. Run from the repository root:
#   /usr/bin/python3 tests/fuzz/make_network_seeds.py
import json
import os
import struct

FIXTURES = "tests/fixtures/networks"
OUT = "tests/fuzz/corpus/network"
SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 20, 24, 31, 32, 33, 48, 64, 96, 128, 129, 224, 4096]
MODELS = ["gtdm", "ave", "mmfi"]


def names(arch):
    with open(f"{FIXTURES}/{arch}_small.safetensors", "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return sorted(k for k in header if k != "__metadata__")


def k(index):
    return bytes([index & 0xFF, index >> 8])


def shape(arch, name, dims):
    return bytes([0]) + k(names(arch).index(name)) + bytes([len(dims)] + [SIZES.index(d) for d in dims])


def config(text):
    data = text.encode()
    return bytes([5, len(data)]) + data


def seed(arch, flags=0, budget=4, ops=b""):
    return bytes([MODELS.index(arch), flags, budget]) + ops


def remove_prefix(arch, prefix):
    # Removing shifts later indices down: remove from the end.
    ops = b""
    for i in reversed([i for i, n in enumerate(names(arch)) if n.startswith(prefix)]):
        ops += bytes([2]) + k(i)
    return ops


seeds = {}
for arch in MODELS:
    seeds[f"{arch}-budget"] = seed(arch, flags=1)
    seeds[f"{arch}-plan-all"] = seed(arch, flags=1 | 2, budget=1)
    seeds[f"{arch}-batch4-checked"] = seed(arch, flags=1 | 4 | (3 << 3), budget=5)
gtdm = names("gtdm")
seeds["case01-no-blocks"] = seed("gtdm", 1, 4, remove_prefix("gtdm", "vision.blocks.") + remove_prefix("gtdm", "depth.blocks."))
seeds["case02-patch-0x0"] = seed("gtdm", 1, 4, shape("gtdm", "depth.patch_embed.proj.weight", [32, 3, 0, 0]))
seeds["case03-input-0-instances"] = seed("gtdm", 1, 4, bytes([8, 0, 1, 0]))
seeds["case04-image-4096"] = seed("gtdm", 1, 4, config('{"vit_heads": 2, "image_size": [4096, 4096]}'))
seeds["case05-nan-input"] = seed("gtdm", 1, 4, bytes([9, 1, 0]) + k(100))
seeds["case05-inf-input-checked"] = seed("gtdm", 1 | 4, 4, bytes([9, 0, 1]) + k(7))
seeds["case05-huge-input"] = seed("gtdm", 1, 4, bytes([9, 0, 3]) + k(77))
seeds["case10-block-gap"] = seed(
    "gtdm", 1, 4, bytes([3]) + k(gtdm.index("vision.blocks.2.norm1.weight")) + bytes([len("vision.blocks."), ord("5")]))
seeds["case11-budget-too-large"] = seed("gtdm", 1, 11)
seeds["dtype-f16-weight"] = seed("gtdm", 1, 4, bytes([1]) + k(gtdm.index("vision.blocks.0.mlp.fc1.weight")) + bytes([1]))
seeds["dtype-c64-weight"] = seed("gtdm", 1, 4, bytes([1]) + k(gtdm.index("vision.norm.weight")) + bytes([8]))
seeds["pos-embed-rank2"] = seed("gtdm", 1, 4, shape("gtdm", "vision.pos_embed", [17, 32]))
seeds["controller-head-9"] = seed("gtdm", 1, 4, shape("gtdm", "controller.output_head.2.weight", [9, 20]))
seeds["copy-tensor"] = seed("gtdm", 1, 4, bytes([4]) + k(gtdm.index("vision.norm.bias")))
seeds["arch-ave-on-gtdm"] = seed("gtdm", 1, 4, bytes([6, 1]))
seeds["no-config"] = seed("gtdm", 1, 4, bytes([7]))
seeds["config-heads-3"] = seed("gtdm", 1, 4, config('{"vit_heads": 3, "image_size": [32, 32]}'))

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {OUT}")
