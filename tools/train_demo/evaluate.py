"""The PyTorch evaluation of the digits demo that the C++ demo must reproduce.

Usage:
    /usr/bin/python3 tools/train_demo/evaluate.py [--model examples/data/digits_admn.safetensors]
        [--test examples/data/digits_test.safetensors] [--out tests/fixtures/demo/digits_eval.safetensors]
        [--jobs 2]

Reads only the two committed files: the model is rebuilt as admn_ref.AdmnNet (demo_net.demo_config),
loaded strictly, eval mode, float32, one thread, antialias=True; the test inputs are the stored F16
values converted to float32. For each setting s (clean, image_noisy, audio_noisy, both) and budget
L = 2, 4, ..., 2*depth it runs AdmnNet.forward(inputs, budget=L) (controller), and forward(inputs,
plan=...) for equal allocation (the first L/2 blocks of each modality) and for all blocks. Settings
are independent, so --jobs worker processes (one thread each) share them; the numbers do not depend on
--jobs. Writes the tensors listed in DESCRIPTIONS and prints the accuracy table.
"""
import argparse
import hashlib
import json
import multiprocessing
import os
import time

import numpy as np
import torch

import demo_net
import st_io
from demo_net import DEPTH, SETTINGS, admn_ref
import st_write  # tests/reference, on sys.path via demo_net

BUDGETS = tuple(range(2, 2 * DEPTH + 1, 2))
CHUNK = 50  # samples per forward call
DESCRIPTIONS = {
    "budgets": "I64 (nL): the budgets L = 2, 4, ..., 2*depth (total kept blocks over both modalities)",
    "label": "I64 (N): true digit of each test pair",
    "controller.mask": "U8 (4, nL, N, 2, depth): AdmnNet.forward(inputs, budget=L)['layer_mask'], "
                       "setting x budget x sample x modality (0 image, 1 audio) x block",
    "controller.pred": "I64 (4, nL, N): argmax of the class logits under the controller's mask",
    "controller.cut_gap": "F64 (4, nL, N): smallest selected minus largest unselected masked controller logit "
                          "(inf for L = 2 and L = 2*depth, where nothing is chosen)",
    "controller.margin": "F32 (4, nL, N): top-1 minus top-2 class logit under the controller's mask",
    "controller.logits": "F32 (4, N, 2*depth): controller output_head logits (before -99/forcing; "
                         "independent of L), index depth*m + l = block l of modality m",
    "qoi": "F32 (4, N, 2): controller QoI head, predicted noise sigma (image, audio), sigmoid*5",
    "equal.pred": "I64 (4, nL, N): prediction with the first L/2 blocks of each modality",
    "equal.margin": "F32 (4, nL, N): top-1 minus top-2 class logit, equal allocation",
    "full.pred": "I64 (4, N): prediction with all blocks of both modalities",
    "full.margin": "F32 (4, N): top-1 minus top-2 class logit, all blocks",
}


def sha256(path):
    """Hex digest of a file (recorded so a mismatch between fixture and committed files is visible)."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_model(path):
    """AdmnNet from the exported safetensors file (strict key match), eval mode."""
    tensors, meta = st_write.load_file(path)
    if meta.get("admn.arch") != "digits":
        raise SystemExit(f"{path}: admn.arch is {meta.get('admn.arch')!r}, expected 'digits'")
    if json.loads(meta.get("admn.config", "{}")) != demo_net.CONFIG_JSON:
        raise SystemExit(f"{path}: admn.config {meta.get('admn.config')} differs from {demo_net.CONFIG_JSON}")
    net = admn_ref.AdmnNet(demo_net.demo_config())
    net.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in tensors.items()}, strict=True)
    return net.eval()


def load_test(path):
    """Test inputs per setting (float32 from the stored F16) and labels."""
    t, _ = st_write.load_file(path)
    for name in ("image.clean", "image.noisy", "audio.clean", "audio.noisy"):
        if t[name].dtype != np.float16:
            raise SystemExit(f"{path}: {name} is {t[name].dtype}, expected float16")
    f32 = {k: torch.from_numpy(v.astype(np.float32)) for k, v in t.items() if k != "label"}
    inputs = {
        "clean": (f32["image.clean"], f32["audio.clean"]),
        "image_noisy": (f32["image.noisy"], f32["audio.clean"]),
        "audio_noisy": (f32["image.clean"], f32["audio.noisy"]),
        "both": (f32["image.noisy"], f32["audio.noisy"]),
    }
    return inputs, torch.from_numpy(t["label"])


def margin(logits):
    """Top-1 minus top-2 class logit per sample."""
    top2 = torch.topk(logits, 2, dim=1).values
    return top2[:, 0] - top2[:, 1]


@torch.no_grad()
def run(net, image, audio, budget=None, plan=None):
    """AdmnNet.forward over the test set in chunks; returns the concatenated output dict."""
    outs = []
    for s in range(0, len(image), CHUNK):
        inputs = demo_net.as_inputs(image[s:s + CHUNK], audio[s:s + CHUNK])
        p = None if plan is None else plan.expand(len(inputs[0]), -1, -1)
        outs.append(net(inputs, budget=budget, plan=p, antialias=True))
    return {k: torch.cat([o[k] for o in outs]) for k in outs[0]}


def evaluate_setting(job):
    """All numbers of one setting (run in a worker process with one thread)."""
    s, model_path, test_path = job
    torch.set_num_threads(1)
    net = load_model(model_path)
    inputs, _ = load_test(test_path)
    image, audio = inputs[SETTINGS[s]]
    res = {"mask": [], "pred": [], "cut_gap": [], "margin": [], "equal.pred": [], "equal.margin": []}
    for L in BUDGETS:
        out = run(net, image, audio, budget=L)
        if L == BUDGETS[0]:
            res["logits"], res["qoi"] = out["controller_logits"], out["qoi"]
        elif not torch.equal(out["controller_logits"], res["logits"]):
            raise RuntimeError("controller logits changed with the budget")
        res["mask"].append(out["layer_mask"].to(torch.uint8))
        res["pred"].append(out["logits"].argmax(1))
        res["cut_gap"].append(out["cut_gap"])
        res["margin"].append(margin(out["logits"]))
        eq = run(net, image, audio, plan=demo_net.equal_plan(1, L))
        res["equal.pred"].append(eq["logits"].argmax(1))
        res["equal.margin"].append(margin(eq["logits"]))
    full = run(net, image, audio, plan=torch.ones(1, 2, DEPTH))
    res["full.pred"], res["full.margin"] = full["logits"].argmax(1), margin(full["logits"])
    return s, {k: (torch.stack(v) if isinstance(v, list) else v).numpy() for k, v in res.items()}


def accuracy_table(t, label):
    """Accuracy per setting: controller and equal per budget, full, and mean blocks per modality."""
    table = {}
    for s, name in enumerate(SETTINGS):
        rows = {}
        for i, L in enumerate(BUDGETS):
            blocks = t["controller.mask"][s, i].sum(axis=2).mean(axis=0)
            rows[str(L)] = {"controller": float((t["controller.pred"][s, i] == label).mean()),
                            "equal": float((t["equal.pred"][s, i] == label).mean()),
                            "blocks_image": float(blocks[0]), "blocks_audio": float(blocks[1])}
        table[name] = {"full": float((t["full.pred"][s] == label).mean()), "budgets": rows}
    return table


def print_table(table):
    """The table the C++ demo output is compared to."""
    print(f"{'setting':12s} {'L':>3s} {'controller':>10s} {'equal':>7s} {'blocks img/aud':>15s}")
    for name, row in table.items():
        for L, r in row["budgets"].items():
            print(f"{name:12s} {L:>3s} {r['controller']:10.4f} {r['equal']:7.4f} "
                  f"{r['blocks_image']:7.3f}/{r['blocks_audio']:.3f}")
        print(f"{name:12s} {'all':>3s} full {row['full']:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="examples/data/digits_admn.safetensors")
    ap.add_argument("--test", default="examples/data/digits_test.safetensors")
    ap.add_argument("--out", default="tests/fixtures/demo/digits_eval.safetensors")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    for p in (args.model, args.test):
        if not os.path.exists(p):
            raise SystemExit(f"{p} not found: run tools/train_demo/train.sh first")

    t0 = time.time()
    torch.set_num_threads(1)
    _, label = load_test(args.test)
    jobs = [(s, args.model, args.test) for s in range(len(SETTINGS))]
    if args.jobs > 1:
        # spawn, not fork: each worker starts its own torch with one thread.
        with multiprocessing.get_context("spawn").Pool(min(args.jobs, len(jobs))) as pool:
            results = dict(pool.map(evaluate_setting, jobs))
    else:
        results = dict(map(evaluate_setting, jobs))

    def stack(key):
        return np.stack([results[s][key] for s in range(len(SETTINGS))])

    t = {
        "budgets": np.array(BUDGETS, dtype=np.int64),
        "label": label.numpy().astype(np.int64),
        "controller.mask": stack("mask").astype(np.uint8),
        "controller.pred": stack("pred").astype(np.int64),
        "controller.cut_gap": stack("cut_gap").astype(np.float64),
        "controller.margin": stack("margin").astype(np.float32),
        "controller.logits": stack("logits").astype(np.float32),
        "qoi": stack("qoi").astype(np.float32),
        "equal.pred": stack("equal.pred").astype(np.int64),
        "equal.margin": stack("equal.margin").astype(np.float32),
        "full.pred": stack("full.pred").astype(np.int64),
        "full.margin": stack("full.margin").astype(np.float32),
    }
    assert set(t) == set(DESCRIPTIONS)
    table = accuracy_table(t, t["label"])
    gaps = np.abs(t["controller.cut_gap"][np.isfinite(t["controller.cut_gap"])])
    margins = np.concatenate([t[k].ravel() for k in ("controller.margin", "equal.margin", "full.margin")])
    ties = {"min_abs_cut_gap": float(gaps.min()), "cut_gaps_below_1e-4": int((gaps < 1e-4).sum()),
            "cut_gaps_below_1e-3": int((gaps < 1e-3).sum()), "min_margin": float(margins.min()),
            "margins_below_1e-4": int((margins < 1e-4).sum()), "margins_below_1e-3": int((margins < 1e-3).sum())}
    meta = {
        "description": "PyTorch evaluation of the ADMN digits demo (tools/train_demo/evaluate.py): admn_ref.AdmnNet "
                       "loaded from the model file, eval, float32, 1 thread, antialias=True, inputs = the test "
                       "file's F16 values as float32; settings " + ",".join(SETTINGS),
        "tensors": json.dumps(DESCRIPTIONS),
        "settings": ",".join(SETTINGS),
        "accuracy": json.dumps(table),
        "near_ties": json.dumps(ties),
        "model_sha256": sha256(args.model),
        "test_sha256": sha256(args.test),
        "torch": torch.__version__,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    st_io.save(t, args.out, meta)
    print_table(table)
    print("near ties: " + json.dumps(ties))
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes) in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
