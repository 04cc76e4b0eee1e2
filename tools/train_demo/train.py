"""Train the ADMN digits demo in two stages (spec §3, §4.7) and export it.

Usage:
    /usr/bin/python3 tools/train_demo/train.py [--data build/demo_data/digits.npz]
        [--model examples/data/digits_admn.safetensors] [--test examples/data/digits_test.safetensors]
        [--threads 1]

Stage 1: backbones (from scratch), adapters, fusion and head trained with cross-entropy on corrupted
pairs (the first CLEAN_EPOCHS clean), with per-batch LayerDrop (p from 0 to 0.2) and 10 % per-modality
"only block 0" dropout, plus AUX_WEIGHT * CE of two auxiliary linear heads on the backbones' CLS outputs
(training only; not part of the exported network).
Stage 2: everything frozen but controller.*; per batch a budget L ~ U{2..2*depth}; 'admn' Gumbel
top-(L-2) straight-through masks on the mixing path; loss = CE + QOI_WEIGHT * sum |sigma_hat - sigma|
(QoI only in the first stage-2 epoch). Deterministic for a given --threads (default 1): fixed seeds.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import demo_net
import st_io
from demo_net import DEPTH, SETTINGS, admn_ref

SEED = 7
# Stage 2 draws from its own seeded generators, so it can be rerun on a saved stage-1 network.
STAGE2_SEED = 11
BATCH = 32
STAGE1_EPOCHS = 24
STAGE1_LR = 2e-3
STAGE1_WD = 0.05
WARMUP_STEPS = 10
CLEAN_EPOCHS = 2
AUX_WEIGHT = 0.5
MAX_LAYERDROP = 0.2
MODALITY_DROPOUT = 0.1
STAGE2_EPOCHS = 16
STAGE2_LR = 1e-3
QOI_WEIGHT = 0.5
TAU = 1.0
VAL_BUDGETS = (4, 8)


def load_data(path):
    """The arrays of make_dataset.py's npz as torch tensors (numpy strings stay numpy)."""
    if not os.path.exists(path):
        raise SystemExit(f"{path} not found: run tools/demo_data/make_dataset.py first")
    with np.load(path) as npz:
        return {k: (torch.from_numpy(v) if v.dtype.kind in "fiu" else v) for k, v in npz.items()}


def draw_sigma(batch, sigmas, gen):
    """Per-sample sigma for one modality: 0, mild or heavy with equal probability."""
    levels = torch.tensor([0.0, float(sigmas[0]), float(sigmas[1])])
    return levels[torch.randint(0, 3, (batch,), generator=gen)]


def corrupt(x, sigma, gen):
    """x + sigma * N(0, 1), sigma per sample."""
    return x + sigma.view(-1, 1, 1, 1) * torch.randn(x.shape, generator=gen)


def epoch_pairs(data, rng):
    """Shuffled training images, each paired with a random training clip of the same digit."""
    labels = data["train_image_label"].numpy()
    clips_of = [np.nonzero(data["train_audio_label"].numpy() == d)[0] for d in range(10)]
    order = rng.permutation(len(labels))
    clips = np.array([clips_of[labels[i]][rng.integers(len(clips_of[labels[i]]))] for i in order])
    return torch.from_numpy(order), torch.from_numpy(clips)


def batches(data, rng, gen, noisy=True):
    """Yield corrupted training batches (image, audio, label, sigma (B, 2)) for one epoch."""
    img_idx, clip_idx = epoch_pairs(data, rng)
    for s in range(0, len(img_idx), BATCH):
        ii, cc = img_idx[s:s + BATCH], clip_idx[s:s + BATCH]
        sig = torch.stack((draw_sigma(len(ii), data["sigma_image"], gen),
                           draw_sigma(len(ii), data["sigma_audio"], gen)), dim=1) * float(noisy)
        image = corrupt(data["train_image"][ii], sig[:, 0], gen)
        audio = corrupt(data["train_audio"][cc], sig[:, 1], gen)
        yield image, audio, data["train_image_label"][ii], sig


def layerdrop_keep(p, gen):
    """One stage-1 keep vector for a modality (spec §3): each block dropped with p, or only block 0 (10 %)."""
    if torch.rand(1, generator=gen).item() < MODALITY_DROPOUT:
        return [1] + [0] * (DEPTH - 1)
    return (torch.rand(DEPTH, generator=gen) > p).int().tolist()


def stage1(net, data, rng, gen, epochs):
    """Train backbones, adapters, fusion and head (plus the discarded auxiliary unimodal heads)."""
    # Auxiliary linear heads on each backbone's CLS give every ViT a short gradient path; through the
    # fusion encoder alone the two from-scratch ViTs stayed near chance for well over 100 steps.
    aux = torch.nn.ModuleList(torch.nn.Linear(demo_net.VIT_DIM, 10) for _ in range(2))
    params = [p for n, p in net.named_parameters() if not n.startswith("controller.")] + list(aux.parameters())
    opt = torch.optim.AdamW(params, lr=STAGE1_LR, weight_decay=STAGE1_WD)
    steps_per_epoch = math.ceil(len(data["train_image_label"]) / BATCH)
    total, warm = epochs * steps_per_epoch, WARMUP_STEPS

    def lr_factor(step):  # short linear warm-up, then cosine decay to zero
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    net.train()
    for epoch in range(epochs):
        # p = 0 in the first third, 0.1 in the second, 0.2 in the last (ADMN steps it by 0.1).
        p = min(MAX_LAYERDROP, 0.1 * (3 * epoch // epochs))
        t0, loss_sum, correct, aux_correct, count = time.time(), 0.0, 0, [0, 0], 0
        # The first epochs are clean so that the ViTs find the digits before they must see through noise.
        for image, audio, label, _ in batches(data, rng, gen, noisy=epoch >= CLEAN_EPOCHS):
            keeps = [layerdrop_keep(p, gen) for _ in range(2)]
            feats = [demo_net.backbone_skip(net.image, image, keeps[0]),
                     demo_net.backbone_skip(net.audio, audio, keeps[1])]
            logits = demo_net.fuse(net, feats)
            aux_logits = [head(f) for head, f in zip(aux, feats)]
            loss = F.cross_entropy(logits, label) + AUX_WEIGHT * sum(F.cross_entropy(a, label) for a in aux_logits)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(label)
            correct += int((logits.argmax(1) == label).sum())
            for m, a in enumerate(aux_logits):
                aux_correct[m] += int((a.argmax(1) == label).sum())
            count += len(label)
        print(f"  stage 1 epoch {epoch + 1}/{epochs}: layerdrop p={p:.1f} "
              f"loss (CE + aux) {loss_sum / count:.4f} train acc {correct / count:.3f} "
              f"(image alone {aux_correct[0] / count:.3f}, audio alone {aux_correct[1] / count:.3f}) "
              f"({time.time() - t0:.1f} s)", flush=True)


def stage2(net, data, rng, gen, epochs):
    """Train the controller only, with the training-time 'admn' discretisation."""
    for n, p in net.named_parameters():
        p.requires_grad_(n.startswith("controller."))
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=STAGE2_LR)
    steps = epochs * math.ceil(len(data["train_image_label"]) / BATCH)
    sched = torch.optim.lr_scheduler.LinearLR(opt, 1.0, 0.01, total_iters=steps)
    net.train()
    for epoch in range(epochs):
        t0, ce_sum, qoi_sum, count = time.time(), 0.0, 0.0, 0
        for image, audio, label, sig in batches(data, rng, gen):
            budget = int(torch.randint(2, 2 * DEPTH + 1, (1,), generator=gen))
            logits, qoi = net.controller(demo_net.as_inputs(image, audio), True)
            qoi_loss = (qoi - sig).abs().sum(dim=1).mean()
            if epoch == 0:  # as in ADMN: the first epoch learns the corruption level only
                loss, ce = QOI_WEIGHT * qoi_loss, torch.zeros(())
            else:
                mask = demo_net.admn_discretise(logits, budget, TAU, gen)
                feats = [demo_net.backbone_mix(net.image, image, mask[:, 0]),
                         demo_net.backbone_mix(net.audio, audio, mask[:, 1])]
                ce = F.cross_entropy(demo_net.fuse(net, feats), label)
                loss = ce + QOI_WEIGHT * qoi_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            ce_sum += ce.item() * len(label)
            qoi_sum += qoi_loss.item() * len(label)
            count += len(label)
        print(f"  stage 2 epoch {epoch + 1}/{epochs}: CE {ce_sum / count:.4f} "
              f"QoI L1 {qoi_sum / count:.4f} ({time.time() - t0:.1f} s)", flush=True)
    for p in net.parameters():
        p.requires_grad_(True)


def setting_inputs(data, split, setting):
    """(image, audio) of a split under one of the four demo settings (heavy noise where noisy)."""
    image = data[f"{split}_image_noisy"] if setting in ("image_noisy", "both") else data[f"{split}_image"]
    audio = data[f"{split}_audio_noisy"] if setting in ("audio_noisy", "both") else data[f"{split}_audio"]
    return image, audio


@torch.no_grad()
def accuracy(net, image, audio, label, budget=None, plan=None):
    """Accuracy of AdmnNet.forward (controller at `budget`, or a fixed plan) and mean blocks per modality."""
    net.eval()
    correct, blocks = 0, torch.zeros(2)
    for s in range(0, len(label), 100):
        inputs = demo_net.as_inputs(image[s:s + 100], audio[s:s + 100])
        p = None if plan is None else plan[:1].expand(len(inputs[0]), -1, -1)
        out = net(inputs, budget=budget, plan=p)
        correct += int((out["logits"].argmax(1) == label[s:s + 100]).sum())
        blocks += out["layer_mask"].sum(dim=(0, 2))
    return correct / len(label), (blocks / len(label)).tolist()


def validate_fixed(net, data):
    """Stage-1 validation: all blocks and equal allocation at VAL_BUDGETS, per setting."""
    table = {}
    for setting in SETTINGS:
        image, audio = setting_inputs(data, "val", setting)
        row = {"full": accuracy(net, image, audio, data["val_label"], plan=torch.ones(1, 2, DEPTH))[0]}
        for L in VAL_BUDGETS:
            row[f"equal_L{L}"] = accuracy(net, image, audio, data["val_label"], plan=demo_net.equal_plan(1, L))[0]
        table[setting] = row
        print(f"  val {setting:12s} " + " ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
    return table


def validate_controller(net, data):
    """Stage-2 validation: controller accuracy and mean blocks per modality at VAL_BUDGETS, per setting."""
    table = {}
    for setting in SETTINGS:
        image, audio = setting_inputs(data, "val", setting)
        row = {}
        for L in VAL_BUDGETS:
            acc, blocks = accuracy(net, image, audio, data["val_label"], budget=L)
            row[f"controller_L{L}"] = acc
            row[f"blocks_L{L}"] = [round(b, 3) for b in blocks]
        table[setting] = row
        print(f"  val {setting:12s} " + " ".join(
            f"L={L}: acc {row[f'controller_L{L}']:.3f} blocks image/audio "
            f"{row[f'blocks_L{L}'][0]:.2f}/{row[f'blocks_L{L}'][1]:.2f}" for L in VAL_BUDGETS), flush=True)
    return table


def common_metadata(data):
    """Noise levels and normalisation constants, shared by both exported files."""
    ni, na = data["norm_image"].tolist(), data["norm_audio"].tolist()
    return {
        "admn.demo.sigma": json.dumps({"image": [round(float(s), 6) for s in data["sigma_image"]],
                                       "audio": [round(float(s), 6) for s in data["sigma_audio"]],
                                       "levels": "(mild, heavy), normalised units; clean = 0"}),
        "admn.demo.normalisation": json.dumps({"image": {"mean": ni[0], "std": ni[1],
                                                         "input": "sklearn digits /16, bilinear 8x8->32x32"},
                                               "audio": {"mean": na[0], "std": na[1],
                                                         "input": "log(mel power + 1e-4), 32 mels x 64 frames"}}),
    }


def export_model(net, path, data, extra):
    """The full stage-2 state dict (F32, AdmnNet keys) with the metadata the C++ loader reads."""
    meta = {
        "admn.arch": "digits",
        "admn.config": demo_net.config_json_text(),
        "description": "ADMN digits demo: image ViT (1x32x32) + audio ViT (1x32x64 log-mel), depth 8, dim 96, "
                       "trained here from scratch (stage 1 LayerDrop, stage 2 controller) by tools/train_demo",
        "torch": torch.__version__,
        **common_metadata(data), **extra,
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    admn_ref.save_file_streaming(admn_ref.export_state_dict(net), path, meta)


def export_test(data, path):
    """The ~300 test pairs, clean and heavy-noise versions, as F16 (the stored precision) + I64 labels."""
    tensors = {
        "image.clean": data["test_image"].numpy().astype(np.float16),
        "image.noisy": data["test_image_noisy"].numpy().astype(np.float16),
        "audio.clean": data["test_audio"].numpy().astype(np.float16),
        "audio.noisy": data["test_audio_noisy"].numpy().astype(np.float16),
        "label": data["test_label"].numpy().astype(np.int64),
    }
    meta = {
        "description": "ADMN digits demo test set: sklearn digit scans (never used in training) paired with "
                       "espeak-ng clips of the same digit (never used in training). image.* (N,1,32,32) and "
                       "audio.* (N,1,32,64) log-mel, normalised; *.noisy = *.clean + heavy sigma * N(0,1) "
                       "drawn once with a fixed seed; stored as F16, convert to float32 to use. Settings: "
                       "clean = (image.clean, audio.clean), image_noisy = (image.noisy, audio.clean), "
                       "audio_noisy = (image.clean, audio.noisy), both = (image.noisy, audio.noisy)",
        "settings": ",".join(SETTINGS),
        **common_metadata(data),
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    st_io.save(tensors, path, meta)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="build/demo_data/digits.npz")
    ap.add_argument("--model", default="examples/data/digits_admn.safetensors")
    ap.add_argument("--test", default="examples/data/digits_test.safetensors")
    ap.add_argument("--stage1-epochs", type=int, default=STAGE1_EPOCHS)
    ap.add_argument("--stage2-epochs", type=int, default=STAGE2_EPOCHS)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 made the shipped files; 2 were slower here: 42-46 s per stage-1 "
                         "epoch against 28 s)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    data = load_data(args.data)
    rng = np.random.default_rng(SEED)
    gen = torch.Generator().manual_seed(SEED)
    net = demo_net.build(SEED)
    n_params = sum(p.numel() for p in net.parameters())
    print(f"digits ADMN: {n_params} parameters, {len(data['train_image_label'])} training pairs per epoch")

    t0 = time.time()
    print("stage 1 (backbones, adapters, fusion, head; LayerDrop)", flush=True)
    stage1(net, data, rng, gen, args.stage1_epochs)
    t1 = time.time()
    val1 = validate_fixed(net, data)
    t1v = time.time()
    print(f"stage 1: training {t1 - t0:.1f} s, validation {t1v - t1:.1f} s", flush=True)

    print("stage 2 (controller only; Gumbel top-L straight-through)", flush=True)
    stage2(net, data, np.random.default_rng(STAGE2_SEED), torch.Generator().manual_seed(STAGE2_SEED),
           args.stage2_epochs)
    t2 = time.time()
    val2 = validate_controller(net, data)
    t2v = time.time()
    print(f"stage 2: training {t2 - t1v:.1f} s, validation {t2v - t2:.1f} s", flush=True)

    extra = {
        "admn.demo.train_seconds": json.dumps({"stage1": round(t1 - t0, 1), "stage2": round(t2 - t1v, 1)}),
        "admn.demo.val_accuracy": json.dumps({"stage1": val1, "stage2": val2}),
        "admn.demo.training": json.dumps({
            "seed": SEED, "stage2_seed": STAGE2_SEED, "threads": args.threads, "batch": BATCH,
            "stage1_epochs": args.stage1_epochs, "stage1_lr": STAGE1_LR, "stage1_weight_decay": STAGE1_WD,
            "warmup_steps": WARMUP_STEPS, "clean_epochs": CLEAN_EPOCHS, "aux_weight": AUX_WEIGHT,
            "max_layerdrop": MAX_LAYERDROP, "modality_dropout": MODALITY_DROPOUT,
            "stage2_epochs": args.stage2_epochs, "stage2_lr": STAGE2_LR, "qoi_weight": QOI_WEIGHT, "tau": TAU}),
    }
    export_model(net, args.model, data, extra)
    export_test(data, args.test)
    print(f"wrote {args.model} ({os.path.getsize(args.model)} bytes), {args.test} ({os.path.getsize(args.test)} "
          f"bytes)")


if __name__ == "__main__":
    main()
