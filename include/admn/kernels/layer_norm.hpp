// admn/kernels/layer_norm.hpp — LayerNorm over the last dimension of each row.
//
//   y = (x − μ) / √(σ² + eps) · γ + β,   μ = mean(x),  σ² = mean((x − μ)²)  (biased)
// as nn.LayerNorm(dim, eps) (docs/numerics.md §2.3: eps = 1e-5 in every backbone).
// Two passes (mean, then squared deviations) for accuracy; x and y may alias.
#pragma once

#include <admn/kernels/reduce.hpp>
#include <admn/kernels/simd.hpp>

#include <cmath>
#include <cstddef>

namespace admn::kernels {

struct row_layout {
  std::size_t rows;
  std::size_t dim;
  std::size_t x_stride;  // elements between rows of x
  std::size_t y_stride;  // elements between rows of y
};

template <class Arch>
void layer_norm(Arch, const row_layout& layout, const float* x, const float* gamma, const float* beta,
                float eps, float* y) noexcept {
  using batch = float_batch<Arch>;
  const std::size_t dim = layout.dim;
  for (std::size_t r = 0; r < layout.rows; ++r) {
    const float* in = x + r * layout.x_stride;
    float* out = y + r * layout.y_stride;
    const float mean = detail::sum<Arch>(in, dim, 0.0f, [](batch v) { return v; }) / static_cast<float>(dim);
    const batch mu(mean);
    const float variance = detail::sum<Arch>(in, dim, mean, [&](batch v) { return (v - mu) * (v - mu); }) /
                           static_cast<float>(dim);
    const batch inv_std(1.0f / std::sqrt(variance + eps));
    const std::size_t end = simd_end<Arch>(dim);
    for (std::size_t i = 0; i < end; i += batch::size) {
      const batch v = (batch::load_unaligned(in + i) - mu) * inv_std;
      fused_multiply_add<Arch>(v, batch::load_unaligned(gamma + i), batch::load_unaligned(beta + i))
          .store_unaligned(out + i);
    }
    if (end != dim) {
      const batch v = (detail::load_tail<Arch>(in, end, dim, 0.0f) - mu) * inv_std;
      const batch g = detail::load_tail<Arch>(gamma, end, dim, 0.0f);
      const batch b = detail::load_tail<Arch>(beta, end, dim, 0.0f);
      detail::store_tail<Arch>(fused_multiply_add<Arch>(v, g, b), out, end, dim);
    }
  }
}

namespace reference {

inline void layer_norm(const row_layout& layout, const float* x, const float* gamma, const float* beta,
                       float eps, float* y) noexcept {
  for (std::size_t r = 0; r < layout.rows; ++r) {
    const float* in = x + r * layout.x_stride;
    float* out = y + r * layout.y_stride;
    double mean = 0.0;
    for (std::size_t i = 0; i < layout.dim; ++i) mean += in[i];
    mean /= static_cast<double>(layout.dim);
    double variance = 0.0;
    for (std::size_t i = 0; i < layout.dim; ++i) variance += (in[i] - mean) * (in[i] - mean);
    variance /= static_cast<double>(layout.dim);
    const double inv_std = 1.0 / std::sqrt(variance + eps);
    for (std::size_t i = 0; i < layout.dim; ++i)
      out[i] = static_cast<float>((in[i] - mean) * inv_std * gamma[i] + beta[i]);
  }
}

}  // namespace reference
}  // namespace admn::kernels
