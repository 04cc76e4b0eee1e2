// admn/kernels/dispatch.hpp — the kernel table the layers call (kernels::active()).
//
// Two ways to build a program:
//   ADMN_DISPATCH (the CMake function admn_add_kernels(<target>)): the kernels are compiled
//     once per instruction-set level in their own translation units (kernels/isa/*.cpp, each
//     with its level's flags), and active() returns the table of the level chosen at run
//     time (kernels/isa.hpp: the CPU's best, or ADMN_ISA). A program built without -march
//     flags runs AVX-512 kernels on a CPU that has them, and the same bits as a program
//     compiled natively for that level.
//   Without it (plain header use): active() returns the table of the widest instruction set
//     the including translation unit is compiled for (xsimd::default_arch), as the kernel
//     templates would run with default_arch{}.
#pragma once

#include <admn/kernels/activation.hpp>
#include <admn/kernels/attention.hpp>
#include <admn/kernels/batch_norm.hpp>
#include <admn/kernels/conv2d.hpp>
#include <admn/kernels/fbank.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/gemm_bf16.hpp>
#include <admn/kernels/gemm_int8.hpp>
#include <admn/kernels/isa.hpp>
#include <admn/kernels/kernel_table.hpp>
#include <admn/kernels/layer_norm.hpp>
#include <admn/kernels/pooling.hpp>
#include <admn/kernels/reduce.hpp>
#include <admn/kernels/resize.hpp>
#include <admn/kernels/softmax.hpp>

#include <string>

#ifndef ADMN_DISPATCH
#define ADMN_DISPATCH 0
#endif

namespace admn::kernels {

// Whether this program picks its kernels at run time (ADMN_DISPATCH).
inline constexpr bool dispatched = ADMN_DISPATCH != 0;

// The level whose kernels the templates run for `Arch` in this translation unit.
template <class Arch>
[[nodiscard]] constexpr isa_level level_of() noexcept {
  if constexpr (lanes<Arch> == 16)
    return ADMN_HAS_AVX512_BF16 && ADMN_HAS_AVX512_VNNI ? isa_level::avx512_bf16 : isa_level::avx512;
  else if constexpr (lanes<Arch> == 8)
    return isa_level::avx2;
  else
    return isa_level::sse2;
}

namespace detail::entry {

// The table's functions: the kernel templates with the tag bound. Templates on Arch, so
// each level's translation unit emits its own (see kernels/isa/arch.hpp).
template <class Arch>
void gemm(std::size_t m, const float* a, std::size_t lda, const packed_weights& w, float* c, std::size_t ldc,
          const gemm_epilogue& e) {
  kernels::gemm(Arch{}, m, a, lda, w, c, ldc, e);
}
template <class Arch>
void gemm_bf16(std::size_t m, const float* a, std::size_t lda, const packed_weights_bf16& w, float* c,
               std::size_t ldc, const gemm_epilogue& e) {
  kernels::gemm(Arch{}, m, a, lda, w, c, ldc, e);
}
template <class Arch>
void gemm_int8(std::size_t m, const float* a, std::size_t lda, const packed_weights_int8& w, float* c,
               std::size_t ldc, const gemm_epilogue& e) {
  kernels::gemm(Arch{}, m, a, lda, w, c, ldc, e);
}
template <class Arch>
std::size_t attention_scratch_floats(const attention_shape& s) {
  return kernels::attention_scratch_floats<Arch>(s);
}
template <class Arch>
void attention_head(const attention_shape& s, const float* qkv, std::size_t head, float* out,
                    float* scratch) {
  kernels::attention_head(Arch{}, s, qkv, head, out, scratch);
}
template <class Arch>
void softmax(float* x, std::size_t rows, std::size_t n, std::size_t stride, float scale) {
  kernels::softmax(Arch{}, x, rows, n, stride, scale);
}
template <class Arch>
void layer_norm(const row_layout& layout, const float* x, const float* gamma, const float* beta, float eps,
                float* y) {
  kernels::layer_norm(Arch{}, layout, x, gamma, beta, eps, y);
}
template <class Arch>
void batch_norm(const float* x, std::size_t channels, std::size_t spatial, const float* scale,
                const float* shift, float* y, bool relu) {
  kernels::batch_norm(Arch{}, x, channels, spatial, scale, shift, y, relu);
}
template <class Arch>
void conv2d(const conv2d_shape& s, const float* x, const float* weight, const float* bias, float* y,
            float* scratch, const conv2d_options& options) {
  kernels::conv2d(Arch{}, s, x, weight, bias, y, scratch, options);
}
template <class Arch>
void max_pool2d(const pool2d_shape& s, const float* x, float* y, float* scratch) {
  kernels::max_pool2d(Arch{}, s, x, y, scratch);
}
template <class Arch>
void activate(const activation_fn& f, float* x, std::size_t n) {
  kernels::activate(Arch{}, f, x, n);
}
template <class Arch>
void prelu_channels(float* x, std::size_t rows, std::size_t cols, std::size_t ld, const float* slopes) {
  kernels::prelu_channels(Arch{}, x, rows, cols, ld, slopes);
}
template <class Arch>
void resize(const resize_plan& plan, const float* x, std::size_t channels, float* y, float* scratch) {
  plan.run(Arch{}, x, channels, y, scratch);
}
template <class Arch>
void fbank(const fbank_plan& plan, const float* wave, std::size_t first, std::size_t count, float* out,
           float* scratch) {
  plan.run(Arch{}, wave, first, count, out, scratch);
}
template <class Arch>
void add(const float* x, float* y, std::size_t n) {
  kernels::add(Arch{}, x, y, n);
}

// gemm_bf16 of a table without bf16 (precision::bf16 is refused when weights are packed).
[[noreturn]] inline void gemm_bf16_unavailable(std::size_t, const float*, std::size_t,
                                               const packed_weights_bf16&, float*, std::size_t,
                                               const gemm_epilogue&) {
  throw config_error("admn.config.precision",
                     "precision bf16 needs AVX512-BF16 kernels, which this program does not run");
}

}  // namespace detail::entry

// Whether the kernels of `Arch` in this translation unit run precision::bf16.
template <class Arch>
inline constexpr bool runs_bf16 = ADMN_HAS_AVX512_BF16 != 0 && lanes<Arch> == 16;

// The table of the kernel templates instantiated on `Arch` (in this translation unit).
// Without bf16 its gemm_bf16 is `no_bf16` (the per-level translation units leave it null:
// kernels/isa/dispatch.cpp fills it in, compiled without their flags).
template <class Arch>
[[nodiscard]] constexpr kernel_table make_kernel_table(decltype(kernel_table::gemm_bf16) no_bf16) noexcept {
  decltype(kernel_table::gemm_bf16) bf16_entry = no_bf16;
  if constexpr (runs_bf16<Arch>) bf16_entry = &detail::entry::gemm_bf16<Arch>;
  return kernel_table{
      .level = level_of<Arch>(),
      .gemm_panel = gemm_tile<Arch>::panel,
      .bf16 = runs_bf16<Arch>,
      .int8_vnni = ADMN_HAS_AVX512_VNNI != 0 && lanes<Arch> == 16,
      .gemm = &detail::entry::gemm<Arch>,
      .gemm_bf16 = bf16_entry,
      .gemm_int8 = &detail::entry::gemm_int8<Arch>,
      .attention_scratch_floats = &detail::entry::attention_scratch_floats<Arch>,
      .attention_head = &detail::entry::attention_head<Arch>,
      .softmax = &detail::entry::softmax<Arch>,
      .layer_norm = &detail::entry::layer_norm<Arch>,
      .batch_norm = &detail::entry::batch_norm<Arch>,
      .conv2d = &detail::entry::conv2d<Arch>,
      .max_pool2d = &detail::entry::max_pool2d<Arch>,
      .activate = &detail::entry::activate<Arch>,
      .prelu_channels = &detail::entry::prelu_channels<Arch>,
      .resize = &detail::entry::resize<Arch>,
      .fbank = &detail::entry::fbank<Arch>,
      .add = &detail::entry::add<Arch>,
  };
}

// Each level's table, defined in kernels/isa/<level>.cpp (admn_add_kernels compiles them).
namespace isa_sse2 {
[[nodiscard]] const kernel_table& table() noexcept;
}
namespace isa_avx2 {
[[nodiscard]] const kernel_table& table() noexcept;
}
namespace isa_avx512 {
[[nodiscard]] const kernel_table& table() noexcept;
}
namespace isa_avx512_bf16 {
[[nodiscard]] const kernel_table& table() noexcept;
}

namespace detail {

// The table of the chosen level (kernels/isa/dispatch.cpp): chosen on first call.
[[nodiscard]] const kernel_table& dispatched_table();

template <class Arch>
inline constexpr kernel_table native_table = make_kernel_table<Arch>(&entry::gemm_bf16_unavailable);

}  // namespace detail

template <class Arch>
const kernel_table& active() {
#if ADMN_DISPATCH
  return detail::dispatched_table();
#else
  return detail::native_table<Arch>;
#endif
}

// Throws config_error [admn.config.precision] when `p` cannot run on the table `t` (only
// bf16 without AVX512-BF16 kernels).
inline void require_available(precision p, const kernel_table& t) {
  if (p == precision::bf16 && !t.bf16)
    throw config_error(
        "admn.config.precision",
        "precision bf16 needs AVX512-BF16: the kernels in use are " + std::string(to_string(t.level)) +
            (dispatched ? " (chosen at run time: a CPU with AVX512-BF16 and AVX512-VNNI, ADMN_ISA unset "
                          "or avx512_bf16)"
                        : " (compile with -march=native, the admn::native target, on a CPU that "
                          "has it, or use admn_add_kernels)") +
            "; or use fp32 or int8");
}

// One line on the kernels this program runs, e.g. "kernels avx512_bf16, chosen at run time:
// isa avx512_bf16 (the CPU's best; ADMN_ISA unset)" or "kernels avx2, compiled in (no
// run-time dispatch)". Throws as active().
[[nodiscard]] inline std::string describe_kernels() {
  const kernel_table& t = active();
  if (dispatched)
    return "kernels " + std::string(to_string(t.level)) + ", chosen at run time: " + describe_cpu();
  return "kernels " + std::string(to_string(t.level)) +
         ", compiled in (no run-time dispatch; the CPU's best is " +
         std::string(to_string(detect_cpu().best())) + ")";
}

}  // namespace admn::kernels
