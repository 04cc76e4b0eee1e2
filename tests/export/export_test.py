"""admn-export end to end on real-ADMN-shaped stage-2 checkpoints (CTest `export.*`, label reference).

  export_test.py CASE --export tools/admn-export --tools DIR_WITH_admn-run_AND_admn-inspect --work DIR

Builds in PyTorch (make_checkpoints.py) the reduced GTDM of tests/reference/admn_ref.py (keys and layout
exactly as docs/numerics.md §7, sizes reduced as in tests/fixtures/networks/gtdm_small.safetensors) "trained
at two budgets": one set of backbones, adapters, fusion and head, two different controllers (random
weights), each saved with torch.save(model.state_dict()) like ADMN's stage-2 `last.pt`, with what a real one
holds and admn does not use (the backbones' classifier `head.*`); the budget-8 file carries DataParallel's
`module.` prefix. Cases:
  single    export the budget-6 file; admn-run equals the PyTorch reference (masks identical, ≤ 1e-5)
  bundle    export both into a bundle: shared tensors once and equal to the sources, each budget's
            controller under controller@<L>., admn.budgets "[6, 8]"; --check runs admn-run against the
            PyTorch reference at both budgets
  arches    AVE, MM-Fi, GTDM-Blur and GTDM-3 (reduced, from admn_ref) export and pass --check against the
            PyTorch reference
  vit       a timm ViT state dict in a {'model': ...} wrapper → backbone file under a prefix
  errors    every error: exit 1 and one line naming the file / key
  inspect   admn-inspect names a torch.save zip, a legacy pickle and a text file as not safetensors
Exit 77 (CTest: skipped) when /usr/bin/python3 has no torch.
"""
import argparse
import json
import os
import subprocess
import sys

try:
    import torch
except ImportError:
    print("skipped: torch is not importable (tools/deps.sh reference)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import admn_ref as R  # noqa: E402
from st_write import load_file, save_file  # noqa: E402
from make_checkpoints import build_checkpoints, write_inputs  # noqa: E402

VIT_HEADS = R.SMALL_OVERRIDES["vit_heads"]


def run(cmd, expect_rc=0):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != expect_rc:
        sys.exit(f"FAIL: {' '.join(cmd)}\n  exit {r.returncode} (expected {expect_rc})\n"
                 f"  stdout: {r.stdout}\n  stderr: {r.stderr}")
    return r


def export(args, *rest, expect_rc=0):
    return run(["/usr/bin/python3", args.export, "--tools", args.tools, *rest], expect_rc)


def rel(a, b):
    return float((a.double() - b.double()).norm() / max(float(b.double().norm()), 1e-30))


def check_run(args, model_file, model, budget, work):
    in_path = os.path.join(work, "inputs.safetensors")
    out_path = os.path.join(work, f"outputs_L{budget}.safetensors")
    inputs = write_inputs(model, in_path)
    run([os.path.join(args.tools, "admn-run"), "--model", model_file, "--input", in_path, "--output", out_path,
         "--budget", str(budget), "--threads", "1"])
    got, _ = load_file(out_path)
    with torch.no_grad():
        want = model(inputs, budget=budget)
    mask = torch.from_numpy(got["layer_mask"].astype("float32"))
    if not torch.equal(mask, want["layer_mask"]):
        sys.exit(f"FAIL: budget {budget}: masks differ: admn {mask.tolist()} PyTorch {want['layer_mask'].tolist()}")
    for key in ("controller_logits", "qoi", "pred_mean", "pred_cov"):
        e = rel(torch.from_numpy(got[key]), want[key])
        if not e <= 1e-5:
            sys.exit(f"FAIL: budget {budget}: {key} relative error {e:.3g} > 1e-5")
        print(f"  budget {budget}: {key:18s} relative error {e:.2e}")
    print(f"  budget {budget}: masks identical {mask.reshape(2, -1).int().tolist()}")


def case_single(args, ckpt):
    path, model = ckpt[6]
    out = os.path.join(args.work, "gtdm_L6.safetensors")
    r = export(args, "--arch", "gtdm", "--vit-heads", str(VIT_HEADS), "--output", out, path)
    print(r.stdout.strip())
    assert "validated by admn-inspect" in r.stdout, r.stdout
    tensors, meta = load_file(out)
    assert meta["admn.arch"] == "gtdm", meta
    config = json.loads(meta["admn.config"])
    assert {k: config[k] for k in R.SMALL_OVERRIDES} == R.SMALL_OVERRIDES, config
    assert "admn.budgets" not in meta
    reference = R.export_state_dict(model)
    assert set(tensors) == set(reference), set(tensors) ^ set(reference)  # head.* dropped, mlp.2 kept as copy
    for k, v in reference.items():
        assert (tensors[k] == v.numpy()).all(), k
    check_run(args, out, model, 6, args.work)


def case_bundle(args, ckpt):
    out = os.path.join(args.work, "gtdm_bundle.safetensors")
    r = export(args, "--arch", "gtdm", "--vit-heads", str(VIT_HEADS), "--output", out,
               f"8={ckpt[8][0]}", f"6={ckpt[6][0]}", "--check", "--check-model", "check_model:reference",
               "--admn-code", HERE, "--tolerance", "1e-5")
    print(r.stdout.strip())
    for budget in (6, 8):
        assert f"check at budget {budget}: masks identical" in r.stdout, r.stdout
    tensors, meta = load_file(out)
    assert meta["admn.budgets"] == "[6, 8]", meta
    assert meta["admn.arch"] == "gtdm"
    ref6, ref8 = R.export_state_dict(ckpt[6][1]), R.export_state_dict(ckpt[8][1])
    shared = [k for k in ref6 if not k.startswith("controller.")]
    assert not any(k.startswith("controller.") for k in tensors), "a bundle keeps no plain controller.*"
    expected = set(shared) | {f"controller@{b}.{k[len('controller.'):]}" for b in (6, 8)
                              for k in ref6 if k.startswith("controller.")}
    assert set(tensors) == expected, set(tensors) ^ expected
    for k in shared:
        assert (tensors[k] == ref6[k].numpy()).all(), k
    for budget, ref in ((6, ref6), (8, ref8)):
        for k, v in ref.items():
            if k.startswith("controller."):
                assert (tensors[f"controller@{budget}." + k[len("controller."):]] == v.numpy()).all(), (budget, k)
    differs = sum(not (tensors["controller@6." + k[11:]] == tensors["controller@8." + k[11:]]).all()
                  for k in ref6 if k.startswith("controller."))
    assert differs > 0
    print(f"  bundle: {len(shared)} shared tensors once, 2 × {len(ref6) - len(shared)} controller tensors "
          f"({differs} differ between the budgets)")


def case_vit(args, ckpt):
    model = ckpt[6][1]
    state = {k[len("vision."):]: v for k, v in model.state_dict().items() if k.startswith("vision.")}
    state["head.weight"] = torch.zeros((10, state["cls_token"].shape[-1]))
    state["head.bias"] = torch.zeros((10,))
    path = os.path.join(args.work, "mae.pth")
    torch.save({"model": state, "epoch": 3}, path)
    out = os.path.join(args.work, "vit.safetensors")
    r = export(args, "--arch", "vit", "--prefix", "vision", "--output", out, path)
    assert "'model' entry" in r.stderr, r.stderr
    tensors, meta = load_file(out)
    assert set(tensors) == {"vision." + k for k in state if not k.startswith("head.")}, sorted(tensors)
    for k, v in state.items():
        if not k.startswith("head."):
            assert (tensors["vision." + k] == v.numpy()).all(), k
    print(f"  vit: {len(tensors)} tensors under 'vision.', head.* dropped")


def case_arches(args, ckpt):
    """AVE (BatchNorm in the controller: num_batches_tracked dropped; non-square audio), MM-Fi, GTDM-Blur (class
    QoI) and GTDM-3 (a third, range-doppler modality) export and match the PyTorch reference through --check."""
    for arch, seed, extra in (("ave", 305, ["--audio-size", "32,128"]), ("mmfi", 303, []),
                              ("gtdm_blur", 307, []), ("gtdm_3mod", 309, ["--range-doppler-size", "64,16"])):
        model = R.build(arch, True, seed)
        state = model.state_dict()
        tracked = [k for k in state if k.endswith("num_batches_tracked")]
        assert (arch == "ave") == bool(tracked)
        path = os.path.join(args.work, f"{arch}_last.pt")
        torch.save(state, path)
        out = os.path.join(args.work, f"{arch}.safetensors")
        r = export(args, "--arch", arch, "--vit-heads", str(VIT_HEADS), *extra, "--output", out, path, "--check",
                   "--check-model", "check_model:reference", "--admn-code", HERE, "--check-budget", "5",
                   "--tolerance", "1e-5")
        print(r.stdout.strip())
        assert "check at budget 5: masks identical" in r.stdout, r.stdout
        tensors, meta = load_file(out)
        assert set(tensors) == set(R.export_state_dict(model)), arch
        config = json.loads(meta["admn.config"])
        assert config["image_size"] == [32, 32] and config.get("audio_size") == ([32, 128] if arch == "ave" else None)
        assert config.get("range_doppler_size") == ([64, 16] if arch == "gtdm_3mod" else None)


def expect_error(args, pattern, *rest):
    r = export(args, *rest, expect_rc=1)
    lines = r.stderr.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("admn-export: error: ") or pattern not in lines[0]:
        sys.exit(f"FAIL: expected one error line containing {pattern!r}, got:\n{r.stderr}")
    print(f"  {lines[0]}")


def case_errors(args, ckpt):
    w = args.work
    out = os.path.join(w, "never.safetensors")
    p6, p8 = ckpt[6][0], ckpt[8][0]
    # not a state dict
    lst = os.path.join(w, "list.pt")
    torch.save([torch.zeros(2)], lst)
    expect_error(args, f"'{lst}' is not a state dict", "--arch", "gtdm", "--output", out, lst)
    nontensor = os.path.join(w, "nontensor.pt")
    torch.save({"epoch": 3, "w": torch.zeros(1)}, nontensor)
    expect_error(args, "'epoch' holds a Python int", "--arch", "gtdm", "--output", out, nontensor)
    module = os.path.join(w, "module.pt")
    torch.save(torch.nn.Linear(2, 2), module)
    expect_error(args, f"'{module}' holds a pickled torch.nn.modules.linear.Linear, not a state dict", "--arch", "gtdm", "--output", out, module)
    text = os.path.join(w, "notes.pt")
    with open(text, "w") as f:
        f.write("not a checkpoint\n")
    expect_error(args, f"'{text}' is not a PyTorch checkpoint", "--arch", "gtdm", "--output", out, text)
    st = os.path.join(w, "model.safetensors")
    save_file({"w": torch.zeros(2)}, st)
    expect_error(args, f"'{st}' is already a safetensors file", "--arch", "gtdm", "--output", out, st)
    # a missing key
    state = torch.load(p6)
    del state["encoder.norm.weight"]
    missing = os.path.join(w, "missing.pt")
    torch.save(state, missing)
    expect_error(args, f"'{missing}': missing key 'encoder.norm.weight'", "--arch", "gtdm", "--output", out, missing)
    # an architecture that is not there, or the wrong one
    expect_error(args, "unknown architecture 'gtdm2'", "--arch", "gtdm2", "--output", out, p6)
    expect_error(args, "missing key 'audio.cls_token' for --arch ave", "--arch", "ave", "--output", out, p6)
    # bundles
    expect_error(args, "budget 6 given twice", "--arch", "gtdm", "--output", out, f"6={p6}", f"6={p8}")
    expect_error(args, "give each one's trained budget", "--arch", "gtdm", "--output", out, p6, p8)
    state = torch.load(p8)
    state["module.encoder.layers.1.0.to_qkv.weight"][0, 0] += 1
    state["module.vision.blocks.2.attn.proj.bias"][0] += 1
    other = os.path.join(w, "other_run.pt")
    torch.save(state, other)
    expect_error(args, "tensor 'encoder.layers.1.0.to_qkv.weight': different values", "--arch", "gtdm",
                 "--output", out, f"6={p6}", f"8={other}")
    assert not os.path.exists(out), "a failed export must not leave a file"
    expect_error(args, "not a multiple of --vit-heads 5", "--arch", "gtdm", "--vit-heads", "5", "--output", out, p6)
    expect_error(args, "'vision.pos_embed' has 16 patch tokens, which image_size [48, 48] with patch 8 does not give",
                 "--arch", "gtdm", "--vit-heads", "2", "--image-size", "48,48", "--output", out, p6)
    # a file the C++ side cannot bind (admn-inspect's binding fails) is not left behind
    bad = os.path.join(w, "bad_heads.safetensors")
    expect_error(args, f"'{bad}' does not validate (removed): network: the file's admn.arch does not bind: "
                 "[admn.attention.heads]", "--arch", "gtdm", "--vit-heads", "2", "--controller-heads", "5",
                 "--output", bad, p6)
    assert not os.path.exists(bad)


def case_inspect(args, ckpt):
    inspect = os.path.join(args.tools, "admn-inspect")
    legacy = os.path.join(args.work, "legacy.pt")
    torch.save({"w": torch.zeros(2)}, legacy, _use_new_zipfile_serialization=False)
    text = os.path.join(args.work, "notes.txt")
    with open(text, "w") as f:
        f.write("hello, this is text\n")
    empty = os.path.join(args.work, "empty.safetensors")
    open(empty, "w").close()
    for path, what in ((ckpt[6][0], "is a PyTorch zip archive (torch.save)"),
                       (legacy, "is a legacy PyTorch pickle"), (text, "is a text file"), (empty, "is empty")):
        r = run([inspect, path], expect_rc=1)
        line = r.stderr.strip()
        if not line.startswith("[admn.load.format] ") or what not in line or "not safetensors" not in line:
            sys.exit(f"FAIL: admn-inspect {path}: {line!r} does not say {what!r}")
        print(f"  {line}")


CASES = {"single": case_single, "bundle": case_bundle, "arches": case_arches, "vit": case_vit,
         "errors": case_errors, "inspect": case_inspect}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("case", choices=sorted(CASES))
    p.add_argument("--export", required=True)
    p.add_argument("--tools", required=True)
    p.add_argument("--work", required=True)
    args = p.parse_args()
    args.work = os.path.join(args.work, args.case)
    os.makedirs(args.work, exist_ok=True)
    ckpt = build_checkpoints(args.work)
    CASES[args.case](args, ckpt)
    print(f"export.{args.case}: ok")


if __name__ == "__main__":
    main()
