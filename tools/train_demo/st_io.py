"""Small safetensors writer for the demo files: F16, F32, F64, I64 and U8 tensors (numpy arrays).

Layout: u64 little-endian header length N, N bytes of JSON (keys sorted, so "__metadata__" comes before
the lower-case tensor names; space-padded to a multiple of 8), then the tensors' little-endian C-order
bytes, contiguous, in sorted name order. The output depends only on the arguments. Reading is done
with tests/reference/st_write.load_file, which already understands these dtypes.
"""
import json
import struct

import numpy as np

DTYPE_NAMES = {
    np.dtype(np.float16): "F16",
    np.dtype(np.float32): "F32",
    np.dtype(np.float64): "F64",
    np.dtype(np.int64): "I64",
    np.dtype(np.uint8): "U8",
}


def save(tensors, path, metadata):
    """Write `tensors` (name -> numpy array of a dtype in DTYPE_NAMES) and str->str `metadata` to `path`."""
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"metadata must map str to str, got {k!r}: {type(v).__name__}")
    header = {"__metadata__": dict(metadata)}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        native = a.dtype.newbyteorder("=")
        if native not in DTYPE_NAMES:
            raise TypeError(f"{name}: unsupported dtype {a.dtype}")
        raw = np.ascontiguousarray(a, dtype=native.newbyteorder("<")).tobytes(order="C")
        header[name] = {"dtype": DTYPE_NAMES[native], "shape": [int(s) for s in a.shape],
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
