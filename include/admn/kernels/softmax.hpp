// admn/kernels/softmax.hpp — numerically stable softmax over each row, in place.
//
//   y_i = exp(x_i − max(x)) / Σ_j exp(x_j − max(x))
// Subtracting the row maximum keeps exp() from overflowing (logits up to ±80 and
// beyond are fine); the result is multiplied by 1/Σ as PyTorch's CPU kernel does.
#pragma once

#include <admn/kernels/reduce.hpp>
#include <admn/kernels/simd.hpp>

#include <cmath>
#include <cstddef>
#include <limits>

namespace admn::kernels {

// Softmax of scale·x over `rows` rows of length n, row r at x + r·stride, in place
// (PyTorch's `softmax(q @ k.T * scale)` without the separate scaling pass): for
// scale > 0, max(scale·x) = scale·max(x), rounding being monotone.
template <class Arch>
void softmax(Arch, float* x, std::size_t rows, std::size_t n, std::size_t stride,
             float scale = 1.0f) noexcept {
  using batch = float_batch<Arch>;
  const std::size_t end = simd_end<Arch>(n);
  const batch s(scale);
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * stride;
    if (!(scale > 0.0f)) {  // negative, zero or NaN: scale first, then the plain softmax
      detail::map<Arch>(row, row, n, [&](batch v) { return v * s; });
      softmax(Arch{}, row, 1, n, stride);
      continue;
    }
    batch m(-std::numeric_limits<float>::infinity());
    for (std::size_t i = 0; i < end; i += batch::size) m = xsimd::max(m, batch::load_unaligned(row + i));
    if (end != n)
      m = xsimd::max(m, detail::load_tail<Arch>(row, end, n, -std::numeric_limits<float>::infinity()));
    const batch row_max(detail::horizontal_max<Arch>(m) * scale);
    detail::map<Arch>(row, row, n, [&](batch v) { return xsimd::exp(v * s - row_max); });
    // Sum after the map so the padded tail lanes (exp of garbage) are never added.
    const float sum = detail::sum<Arch>(row, n, 0.0f, [](batch v) { return v; });
    const batch inverse(1.0f / sum);
    detail::map<Arch>(row, row, n, [&](batch v) { return v * inverse; });
  }
}

namespace reference {

inline void softmax(float* x, std::size_t rows, std::size_t n, std::size_t stride) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * stride;
    float m = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < n; ++i) m = row[i] > m ? row[i] : m;
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(row[i]) - m);
    for (std::size_t i = 0; i < n; ++i)
      row[i] = static_cast<float>(std::exp(static_cast<double>(row[i]) - m) / sum);
  }
}

}  // namespace reference
}  // namespace admn::kernels
