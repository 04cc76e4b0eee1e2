"""--check-model adapter for admn-export's test: the spec-derived PyTorch reference (tests/reference/admn_ref.py)
as the "user's ADMN code". admn-export calls `reference(state_dict, arch, budget)` and then the returned function
on {modality: (B, I, C, H, W) tensor}; it compares every output whose name admn-run also writes."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import admn_ref as R  # noqa: E402


def reference(state_dict, arch, budget):
    model = R.AdmnNet(R.CONFIGS[arch](True)).eval()
    # The exporter hands over the cleaned state dict (no num_batches_tracked, no backbone head.*).
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    names = model.cfg.mod_names

    def run(inputs):
        out = model([inputs[n] for n in names], budget=budget)
        out.pop("cut_gap")
        return out

    return run
