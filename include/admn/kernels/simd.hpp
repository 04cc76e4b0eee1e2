// admn/kernels/simd.hpp — the only header that includes xsimd.
//
// Element-wise kernels are templates on an xsimd architecture tag
// (`template <class Arch> void f(Arch, …)`), so one source serves SSE, AVX2 and
// AVX-512. `default_arch` is the widest instruction set the translation unit is
// compiled for (AVX-512 under admn::native on a host that has it).
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// GCC 12 reports false (maybe-)uninitialized warnings inside the AVX-512 intrinsic headers
// once they are inlined; the pragma covers those headers when they are first
// included here (admn/tensor/eigen.hpp does the same for Eigen's include).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <cstddef>

namespace admn::kernels {

using default_arch = xsimd::default_arch;

template <class Arch>
using float_batch = xsimd::batch<float, Arch>;

// Number of floats in one register of `Arch`.
template <class Arch>
inline constexpr std::size_t lanes = float_batch<Arch>::size;

// a·b + c, lane by lane, rounded once wherever the build has fused multiply-add
// (AVX-512, or FMA with AVX/SSE registers); a multiply and an add otherwise. Not
// xsimd::fma: xsimd 8.1 has no AVX-512 one, and its fallback (multiply, add) is fused
// only when the compiler contracts it (GCC at -O2, not at -O1), so results would
// depend on the optimisation level.
template <class Arch>
[[nodiscard]] inline float_batch<Arch> fused_multiply_add(float_batch<Arch> a, float_batch<Arch> b,
                                                          float_batch<Arch> c) noexcept {
  constexpr std::size_t width = float_batch<Arch>::size;
#if defined(__AVX512F__)
  if constexpr (width == 16) return _mm512_fmadd_ps(a, b, c);
#endif
#if defined(__FMA__)
  if constexpr (width == 8) return _mm256_fmadd_ps(a, b, c);
  if constexpr (width == 4) return _mm_fmadd_ps(a, b, c);
#endif
  (void)width;
  return xsimd::fma(a, b, c);
}

// Largest multiple of the register width not above n: the SIMD body's end.
template <class Arch>
[[nodiscard]] constexpr std::size_t simd_end(std::size_t n) noexcept {
  return n - n % lanes<Arch>;
}

}  // namespace admn::kernels
