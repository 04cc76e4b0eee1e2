"""Deterministic pseudo-random float32 tensors, reproduced bit for bit in C++
(tests/common/detgen.hpp), so large reference weights need not be stored.

value(seed, i) = (2 * u - 1) * scale with u = top 24 bits of a splitmix64-style
hash of (seed, i) divided by 2**24. With `scale` a power of two every value is an
exact float32, so both languages produce identical bits.
"""
import numpy as np

_M = np.uint64(0xFFFFFFFFFFFFFFFF)


def detgen(seed: int, shape, scale: float = 1.0) -> np.ndarray:
    n = int(np.prod(shape)) if len(shape) else 1
    with np.errstate(over="ignore"):
        i = np.arange(n, dtype=np.uint64)
        z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + i * np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(31)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(29)
    u = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    return ((2.0 * u - 1.0) * scale).astype(np.float32).reshape(shape)


if __name__ == "__main__":
    # Values the C++ test checks (tests/common/detgen_test.cpp).
    print(detgen(7, (4,), 0.5).tolist())
