// admn/kernels/reduce.hpp — row-wise SIMD helpers shared by the normalising kernels.
//
// The tail of a row (n not a multiple of the register width) is processed as one
// padded register, so every element of a row sees the same arithmetic.
#pragma once

#include <admn/kernels/simd.hpp>

#include <cstddef>

namespace admn::kernels::detail {

// Loads x[i, n) (fewer than one register) into a register padded with `fill`.
template <class Arch>
[[nodiscard]] inline float_batch<Arch> load_tail(const float* x, std::size_t i, std::size_t n,
                                                 float fill) noexcept {
  alignas(64) float buffer[lanes<Arch>];
  for (std::size_t j = 0; j < lanes<Arch>; ++j) buffer[j] = i + j < n ? x[i + j] : fill;
  return float_batch<Arch>::load_aligned(buffer);
}

// Stores the first n − i lanes of v to y[i, n).
template <class Arch>
inline void store_tail(float_batch<Arch> v, float* y, std::size_t i, std::size_t n) noexcept {
  alignas(64) float buffer[lanes<Arch>];
  v.store_aligned(buffer);
  for (std::size_t j = 0; i + j < n; ++j) y[i + j] = buffer[j];
}

// Applies `op(batch) -> batch` to x[0, n) writing y[0, n) (x may equal y).
template <class Arch, class Op>
inline void map(const float* x, float* y, std::size_t n, Op op) noexcept {
  using batch = float_batch<Arch>;
  const std::size_t end = simd_end<Arch>(n);
  for (std::size_t i = 0; i < end; i += batch::size) op(batch::load_unaligned(x + i)).store_unaligned(y + i);
  if (end != n) store_tail<Arch>(op(load_tail<Arch>(x, end, n, 0.0f)), y, end, n);
}

// Σ op(x[i]) over i < n; `pad` is fed to op for the tail lanes and must map to 0.
template <class Arch, class Op>
[[nodiscard]] inline float sum(const float* x, std::size_t n, float pad, Op op) noexcept {
  using batch = float_batch<Arch>;
  const std::size_t end = simd_end<Arch>(n);
  batch acc(0.0f);
  for (std::size_t i = 0; i < end; i += batch::size) acc += op(batch::load_unaligned(x + i));
  if (end != n) acc += op(load_tail<Arch>(x, end, n, pad));
  return xsimd::hadd(acc);
}

// max over the lanes of v (xsimd 8.1 has no reducer for it).
template <class Arch>
[[nodiscard]] inline float horizontal_max(float_batch<Arch> v) noexcept {
  alignas(64) float buffer[lanes<Arch>];
  v.store_aligned(buffer);
  float m = buffer[0];
  for (std::size_t j = 1; j < lanes<Arch>; ++j) m = buffer[j] > m ? buffer[j] : m;
  return m;
}

}  // namespace admn::kernels::detail

namespace admn::kernels {

// y[i] += x[i] for i < n (one rounding per element, SIMD or not).
template <class Arch>
void add(Arch, const float* x, float* y, std::size_t n) noexcept {
  using batch = float_batch<Arch>;
  std::size_t i = 0;
  for (; i + batch::size <= n; i += batch::size)
    (batch::load_unaligned(y + i) + batch::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] += x[i];
}

}  // namespace admn::kernels
