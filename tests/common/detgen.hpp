// Deterministic pseudo-random tensors, bit-identical to tests/reference/detgen.py,
// so that large reference weights are regenerated instead of stored.
#pragma once

#include <admn/tensor/tensor.hpp>

#include <cstdint>

namespace admn::test {

// (2u − 1)·scale, u = top 24 bits of a splitmix64-style hash of (seed, i) / 2^24.
// Exact in float32 when `scale` is a power of two.
inline float detgen_value(std::uint64_t seed, std::uint64_t i, double scale) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + i * 0xBF58476D1CE4E5B9ull;
  z ^= z >> 31;
  z *= 0x94D049BB133111EBull;
  z ^= z >> 29;
  const double u = static_cast<double>(z >> 40) / static_cast<double>(1u << 24);
  return static_cast<float>((2.0 * u - 1.0) * scale);
}

inline admn::tensor detgen(std::uint64_t seed, const admn::shape& s, double scale = 1.0) {
  admn::tensor out(s);
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = detgen_value(seed, i, scale);
  return out;
}

}  // namespace admn::test
