// admn/kernels/activation.hpp — element-wise activations, in place over a span.
//
//   gelu_erf   y = x/2 · (1 + erf(x/√2))                      nn.GELU() (docs/numerics.md §0: exact form)
//   gelu_tanh  y = x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))  nn.GELU(approximate='tanh')
//   relu       y = max(x, 0), NaN for NaN (as torch.relu)
//   leaky_relu y = x ≥ 0 ? x : slope·x                        nn.LeakyReLU(0.01) in the adapters (§5.1)
//   prelu      y = x ≥ 0 ? x : a·x, a learned                  nn.PReLU() (one slope; LayerCollapse,
//                                                             Shabgahi et al.: a → 1 makes it linear)
// prelu_channels applies per-channel slopes a_j to column j of a row-major matrix:
// nn.PReLU(C) on a 2-D (rows, C) input. (On a (B, N, C) sequence nn.PReLU(C) would
// index dim 1, the tokens; admn's MLPs always index the feature, the last dim.)
#pragma once

#include <admn/kernels/simd.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace admn::kernels {

enum class activation : std::uint8_t { none, relu, leaky_relu, gelu_erf, gelu_tanh, prelu };

// One activation with its parameter (the slope of leaky_relu / prelu; a single
// learned slope for prelu — per-channel slopes go through prelu_channels).
struct activation_fn {
  activation kind = activation::none;
  float slope = 0.01f;
};

namespace detail {

template <class Arch>
[[nodiscard]] inline float_batch<Arch> apply(const activation_fn& f, float_batch<Arch> x) noexcept {
  using batch = float_batch<Arch>;
  switch (f.kind) {
    case activation::none:
      return x;
    case activation::relu:
      return xsimd::max(batch(0.0f), x);  // operand order keeps NaN, as torch.relu does
    case activation::leaky_relu:
    case activation::prelu:
      return xsimd::select(x >= batch(0.0f), x, x * batch(f.slope));
    case activation::gelu_erf:
      return batch(0.5f) * x * (batch(1.0f) + xsimd::erf(x * batch(0.70710678118654752f)));
    case activation::gelu_tanh: {
      const batch inner = batch(0.79788456080286536f) * (x + batch(0.044715f) * x * x * x);
      return batch(0.5f) * x * (batch(1.0f) + xsimd::tanh(inner));
    }
  }
  return x;
}

}  // namespace detail

namespace reference {

[[nodiscard]] inline float apply(const activation_fn& f, float x) noexcept {
  switch (f.kind) {
    case activation::none:
      return x;
    case activation::relu:
      return x < 0.0f ? 0.0f : x;  // NaN stays NaN, as torch.relu
    case activation::leaky_relu:
    case activation::prelu:
      return x >= 0.0f ? x : x * f.slope;
    case activation::gelu_erf:
      return static_cast<float>(0.5 * x * (1.0 + std::erf(x * 0.70710678118654752)));
    case activation::gelu_tanh:
      return static_cast<float>(0.5 * x *
                                (1.0 + std::tanh(0.79788456080286536 * (x + 0.044715 * double(x) * x * x))));
  }
  return x;
}

inline void activate(const activation_fn& f, float* x, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) x[i] = apply(f, x[i]);
}

inline void prelu_channels(float* x, std::size_t rows, std::size_t cols, std::size_t ld,
                           const float* slopes) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < cols; ++j) {
      float& v = x[r * ld + j];
      v = v >= 0.0f ? v : v * slopes[j];
    }
}

}  // namespace reference

// x[i] = f(x[i]) for i < n.
template <class Arch>
void activate(Arch, const activation_fn& f, float* x, std::size_t n) noexcept {
  if (f.kind == activation::none) return;
  using batch = float_batch<Arch>;
  const std::size_t end = simd_end<Arch>(n);
  for (std::size_t i = 0; i < end; i += batch::size)
    detail::apply<Arch>(f, batch::load_unaligned(x + i)).store_unaligned(x + i);
  if (end == n) return;
  // The tail goes through the same SIMD code (padded), so every element gets the
  // same rounding whatever its position.
  alignas(64) float tail[batch::size] = {};
  for (std::size_t i = end; i < n; ++i) tail[i - end] = x[i];
  detail::apply<Arch>(f, batch::load_aligned(tail)).store_aligned(tail);
  for (std::size_t i = end; i < n; ++i) x[i] = tail[i - end];
}

// x (rows × cols, row stride ld): x[r][j] = x[r][j] ≥ 0 ? x[r][j] : slopes[j]·x[r][j].
template <class Arch>
void prelu_channels(Arch, float* x, std::size_t rows, std::size_t cols, std::size_t ld,
                    const float* slopes) noexcept {
  using batch = float_batch<Arch>;
  const std::size_t end = simd_end<Arch>(cols);
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * ld;
    for (std::size_t j = 0; j < end; j += batch::size) {
      const batch v = batch::load_unaligned(row + j);
      xsimd::select(v >= batch(0.0f), v, v * batch::load_unaligned(slopes + j)).store_unaligned(row + j);
    }
    // One multiply per element either way: the scalar tail rounds exactly like the SIMD body.
    for (std::size_t j = end; j < cols; ++j) row[j] = row[j] >= 0.0f ? row[j] : row[j] * slopes[j];
  }
}

}  // namespace admn::kernels
