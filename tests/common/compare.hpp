// Numeric comparison helpers for tests: the project's error measure is the
// relative L2 error ‖out − ref‖ / ‖ref‖ (docs/design.md "Numerics contract").
#pragma once

#include <admn/tensor/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

namespace admn::test {

inline double relative_error(std::span<const float> out, std::span<const float> ref) {
  double diff = 0.0, norm = 0.0;
  const std::size_t n = std::min(out.size(), ref.size());
  for (std::size_t i = 0; i < n; ++i) {
    diff += (double(out[i]) - ref[i]) * (double(out[i]) - ref[i]);
    norm += double(ref[i]) * ref[i];
  }
  if (out.size() != ref.size()) return INFINITY;
  return norm == 0.0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

inline double max_abs_error(std::span<const float> out, std::span<const float> ref) {
  double m = 0.0;
  for (std::size_t i = 0; i < std::min(out.size(), ref.size()); ++i)
    m = std::max(m, std::abs(double(out[i]) - ref[i]));
  return m;
}

// True when both hold exactly the same floats, bit for bit (so -0 differs from 0, and NaN
// payloads count).
inline bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// True when both results (any model::named_result) hold the same outputs in the same
// order: equal names, equal shapes, the same floats bit for bit.
template <class Result>
bool same_outputs(const Result& a, const Result& b) {
  if (a.outputs.size() != b.outputs.size()) return false;
  for (std::size_t i = 0; i < a.outputs.size(); ++i) {
    const auto& [name_a, value_a] = a.outputs[i];
    const auto& [name_b, value_b] = b.outputs[i];
    if (name_a != name_b || value_a.shape() != value_b.shape() ||
        !same_bits(value_a.values(), value_b.values()))
      return false;
  }
  return true;
}

// Reproducible uniform values in [lo, hi).
inline std::vector<float> uniform(std::size_t n, float lo, float hi, unsigned seed) {
  std::vector<float> v(n);
  std::uint64_t state = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (auto& x : v) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * static_cast<float>(state >> 40) / static_cast<float>(1u << 24);
  }
  return v;
}

}  // namespace admn::test
