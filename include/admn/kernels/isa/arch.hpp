// admn/kernels/isa/arch.hpp — the architecture tags of the per-level kernel tables.
//
// Each level's translation unit (kernels/isa/<level>.cpp) instantiates the kernel templates
// on its own tag: a type derived from the xsimd architecture of that level, so xsimd runs
// exactly the code it runs for xsimd::default_arch under the level's compiler flags, while
// every emitted symbol names the level. Two levels never share a template instantiation
// (avx512 and avx512_bf16 both run xsimd::avx512bw code, compiled with and without
// AVX512-BF16/VNNI), and no instantiation of a user's translation unit (compiled with
// other flags) can stand in for a level's at link time.
//
// A tag exists only where the translation unit is compiled for its instructions.
#pragma once

#include <admn/kernels/simd.hpp>

namespace admn::kernels::isa_arch {

struct sse2 : xsimd::sse2 {
  static constexpr char const* name() noexcept { return "admn-sse2"; }
};

#if defined(__AVX2__) && defined(__FMA__)
struct avx2 : xsimd::fma3<xsimd::avx2> {
  static constexpr char const* name() noexcept { return "admn-avx2"; }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__) && \
    defined(__AVX2__) && defined(__FMA__)
#define ADMN_ISA_ARCH_AVX512 1
struct avx512 : xsimd::avx512bw {
  static constexpr char const* name() noexcept { return "admn-avx512"; }
};
#if defined(__AVX512BF16__) && defined(__AVX512VNNI__)
#define ADMN_ISA_ARCH_AVX512_BF16 1
struct avx512_bf16 : xsimd::avx512bw {
  static constexpr char const* name() noexcept { return "admn-avx512_bf16"; }
};
#endif
#endif

}  // namespace admn::kernels::isa_arch

// xsimd finds a batch's registers through these traits; each tag reuses its base's.
namespace xsimd::types {

XSIMD_DECLARE_SIMD_REGISTER_ALIAS(admn::kernels::isa_arch::sse2, sse2);
#if defined(__AVX2__) && defined(__FMA__)
XSIMD_DECLARE_SIMD_REGISTER_ALIAS(admn::kernels::isa_arch::avx2, fma3<avx2>);
#endif
#ifdef ADMN_ISA_ARCH_AVX512
template <class T>
struct get_bool_simd_register<T, admn::kernels::isa_arch::avx512> {
  using type = simd_avx512_bool_register<T>;
};
XSIMD_DECLARE_SIMD_REGISTER_ALIAS(admn::kernels::isa_arch::avx512, avx512bw);
#endif
#ifdef ADMN_ISA_ARCH_AVX512_BF16
template <class T>
struct get_bool_simd_register<T, admn::kernels::isa_arch::avx512_bf16> {
  using type = simd_avx512_bool_register<T>;
};
XSIMD_DECLARE_SIMD_REGISTER_ALIAS(admn::kernels::isa_arch::avx512_bf16, avx512bw);
#endif

}  // namespace xsimd::types
