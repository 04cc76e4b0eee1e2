// admn/kernels/batch_norm.hpp — BatchNorm2d in evaluation mode (running statistics).
//
//   y[c, p] = (x[c, p] − mean[c]) / √(var[c] + eps) · γ[c] + β[c]          docs/numerics.md §4.2, §10.7
//
// computed the way PyTorch's CPU kernel does (ATen batch_norm_cpu_collect_linear_and_constant_terms
// and the contiguous path after it), all in float32:
//   invstd = 1 / sqrt(var + (float)eps);  scale = invstd · γ;  shift = β − mean · scale
//   y = x · scale + shift                               (one FMA per element here)
// The per-channel scale/shift are folded once (batch_norm_fold, at layer construction); the hot
// loop is one FMA per element, SIMD over the spatial extent, with an optional fused ReLU.
// tests/kernels/pool_bn_reference_test.cpp measures this form and the literal
// (x − mean)·invstd·γ + β against PyTorch's golden output.
#pragma once

#include <admn/kernels/simd.hpp>
#include <admn/kernels/unfused.hpp>

#include <cmath>
#include <cstddef>

namespace admn::kernels {

// scale[c] = γ[c] / √(var[c] + eps), shift[c] = β[c] − mean[c]·scale[c], in float32 as PyTorch.
// weight (γ) or bias (β) may be nullptr (1 and 0, as nn.BatchNorm2d(affine=False)).
inline void batch_norm_fold(const float* weight, const float* bias, const float* running_mean,
                            const float* running_var, double eps, std::size_t channels, float* scale,
                            float* shift) noexcept {
  const auto eps_f = static_cast<float>(eps);
  for (std::size_t c = 0; c < channels; ++c) {
    const float invstd = 1.0f / std::sqrt(running_var[c] + eps_f);
    scale[c] = invstd * (weight ? weight[c] : 1.0f);
    shift[c] = (bias ? bias[c] : 0.0f) - unfused_product(running_mean[c], scale[c]);
  }
}

// y[c, p] = x[c, p]·scale[c] + shift[c] (then max(·, 0) when `relu`) for x, y of layout
// (channels, spatial). y may equal x (in place).
template <class Arch>
inline void batch_norm(Arch, const float* x, std::size_t channels, std::size_t spatial, const float* scale,
                       const float* shift, float* y, bool relu = false) noexcept {
  using batch = float_batch<Arch>;
  const batch zero(0.0f);
  for (std::size_t c = 0; c < channels; ++c) {
    const float* in = x + c * spatial;
    float* out = y + c * spatial;
    const batch a(scale[c]);
    const batch b(shift[c]);
    std::size_t i = 0;
    for (; i < simd_end<Arch>(spatial); i += lanes<Arch>) {
      batch v = fused_multiply_add<Arch>(batch::load_unaligned(in + i), a, b);
      if (relu) v = xsimd::max(zero, v);  // operand order keeps NaN, as torch.relu does
      v.store_unaligned(out + i);
    }
    for (; i < spatial; ++i) {
      const float v = std::fma(in[i], scale[c], shift[c]);
      out[i] = relu && v < 0.0f ? 0.0f : v;
    }
  }
}

}  // namespace admn::kernels
