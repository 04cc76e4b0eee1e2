// admn/kernels/simd.hpp — the only header that includes xsimd.
//
// Element-wise kernels are templates on an xsimd architecture tag
// (`template <class Arch> void f(Arch, …)`), so one source serves SSE, AVX2 and
// AVX-512. `default_arch` is the widest instruction set the translation unit is
// compiled for (AVX-512 under admn::native on a host that has it).
#pragma once

#include <xsimd/xsimd.hpp>

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
