// admn/kernels/precision.hpp — how a Linear's weights are stored and multiplied.
//
//   fp32  f32 weights, f32 FMAs (kernels/gemm.hpp): agrees with PyTorch to ~1e-7; the default.
//   bf16  bf16 weights and activations, f32 accumulation (kernels/gemm_bf16.hpp, AVX512-BF16 only):
//         ~1e-3 relative error on a ViT-B block.
//   int8  int8 weights per output channel, int8 activations per row, exact int32 sums
//         (kernels/gemm_int8.hpp; AVX512-VNNI, an exact fallback elsewhere): ~1e-2 on a ViT-B block.
// The lower precisions are opt-in speed options for the backbones' Linears only.
#pragma once

#include <admn/error.hpp>

#include <string>
#include <string_view>

#if defined(__AVX512BF16__) && defined(__AVX512F__)
#define ADMN_HAS_AVX512_BF16 1
#else
#define ADMN_HAS_AVX512_BF16 0
#endif

namespace admn::kernels {

enum class precision { fp32, bf16, int8 };

[[nodiscard]] constexpr std::string_view to_string(precision p) noexcept {
  switch (p) {
    case precision::bf16:
      return "bf16";
    case precision::int8:
      return "int8";
    case precision::fp32:
      break;
  }
  return "fp32";
}

// Whether this translation unit was compiled for AVX512-BF16 (-march=native on a CPU
// that has it, e.g. through the admn::native CMake target): the kernel templates called
// here run bf16. The layers ask their kernel table instead (kernel_table::bf16: with
// admn_add_kernels, whether the level chosen at run time has it). int8 needs nothing: it
// runs everywhere (VNNI when compiled for it, an exact integer fallback otherwise).
inline constexpr bool bf16_available = ADMN_HAS_AVX512_BF16 != 0;

// Throws config_error [admn.config.precision] when `p` cannot run in this translation
// unit's build (only bf16 without AVX512-BF16); kernels/dispatch.hpp has the table's check.
inline void require_available(precision p) {
  if (p == precision::bf16 && !bf16_available)
    throw config_error("admn.config.precision",
                       "precision bf16 needs AVX512-BF16: compile with -march=native (the admn::native "
                       "target) on a CPU that has it, or use fp32 or int8");
}

// "fp32", "bf16" or "int8" (the command-line spelling, to_string's inverse). Throws
// argument_error [admn.precision.unknown] naming any other value.
[[nodiscard]] inline precision parse_precision(std::string_view name) {
  for (const precision p : {precision::fp32, precision::bf16, precision::int8})
    if (name == to_string(p)) return p;
  throw argument_error("admn.precision.unknown",
                       "unknown precision '" + std::string(name) + "': expected fp32, bf16 or int8");
}

}  // namespace admn::kernels
