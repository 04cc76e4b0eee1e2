"""Minimal safetensors writer (and a reader for self-checks), without the `safetensors` package.

File layout written by `save_file`:

    u64 little-endian  N            = byte length of the JSON header (a multiple of 8)
    N bytes            JSON header  = {"__metadata__": {str: str, ...},
                                       "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
                                       ...}                     tensors in sorted (code point) name order,
                                      padded on the right with spaces to a multiple of 8 bytes
    data section       raw little-endian C-order tensor bytes, in the same sorted order, contiguous:
                       the first tensor starts at offset 0, each next one at the previous `e`.

Output is a pure function of the arguments (no timestamps, stable key order), so regenerating a
fixture gives byte-identical files.

Usage:
    from st_write import save_file, load_file
    save_file({"x": np.zeros((2, 3), np.float32)}, "out.safetensors", {"eps": "1e-05"})
    tensors, metadata = load_file("out.safetensors")
"""
import json
import struct

import numpy as np

_DTYPES = {
    np.dtype(np.float64): "F64",
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(np.int64): "I64",
    np.dtype(np.int32): "I32",
    np.dtype(np.int16): "I16",
    np.dtype(np.int8): "I8",
    np.dtype(np.uint8): "U8",
    np.dtype(np.bool_): "BOOL",
}
_FROM_NAME = {v: k for k, v in _DTYPES.items()}


def _as_numpy(t) -> np.ndarray:
    if hasattr(t, "detach"):  # torch.Tensor, without importing torch here
        t = t.detach().cpu().contiguous().numpy()
    a = np.asarray(t)
    if a.dtype.newbyteorder("=") not in _DTYPES:
        raise TypeError(f"unsupported dtype {a.dtype}")
    return a


def save_file(tensors: dict, path: str, metadata: dict = None) -> None:
    """Write `tensors` (name -> numpy array or torch tensor) and string metadata to `path`."""
    metadata = dict(metadata or {})
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"metadata must map str to str, got {k!r}: {v!r}")
    header = {}
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved")
        a = _as_numpy(tensors[name])
        raw = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes(order="C")
        dtype_name = _DTYPES[np.dtype(a.dtype.newbyteorder("="))]
        header[name] = {"dtype": dtype_name, "shape": [int(s) for s in a.shape],
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def load_file(path: str):
    """Read a safetensors file: returns ({name: numpy array}, {metadata})."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    out = {}
    expected = 0
    for name in sorted(header, key=lambda k: header[k]["data_offsets"][0]):
        info = header[name]
        b, e = info["data_offsets"]
        if b != expected:
            raise ValueError(f"{path}: tensor {name} not contiguous (starts at {b}, expected {expected})")
        expected = e
        dt = _FROM_NAME[info["dtype"]].newbyteorder("<")
        a = np.frombuffer(data[b:e], dtype=dt).astype(dt.newbyteorder("="))
        out[name] = a.reshape(info["shape"])
    if expected != len(data):
        raise ValueError(f"{path}: {len(data) - expected} trailing bytes in the data section")
    return out, metadata


if __name__ == "__main__":
    import os
    import tempfile

    t = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array(7, dtype=np.int64),
         "e": np.zeros((0, 4), np.float32)}
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.safetensors")
        save_file(t, p, {"k": "v"})
        back, meta = load_file(p)
        assert meta == {"k": "v"}
        assert all(np.array_equal(back[k], t[k]) and back[k].dtype == t[k].dtype for k in t)
        raw = open(p, "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        assert n % 8 == 0
        print(raw[8:8 + n].decode())
    print("st_write self-test ok")
