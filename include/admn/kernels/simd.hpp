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

// Largest multiple of the register width not above n: the SIMD body's end.
template <class Arch>
[[nodiscard]] constexpr std::size_t simd_end(std::size_t n) noexcept {
  return n - n % lanes<Arch>;
}

}  // namespace admn::kernels
