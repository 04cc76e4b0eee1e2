// admn/kernels/kernel_table.hpp — the kernels the layers call, as plain function pointers
// of one instruction-set level (see kernels/dispatch.hpp for how a table is chosen).
//
// Only declarations: the kernel headers include this one, so the types are forward-declared.
#pragma once

#include <admn/kernels/isa.hpp>
#include <admn/kernels/simd.hpp>

#include <cstddef>

namespace admn::kernels {

struct gemm_epilogue;
class packed_weights;
class packed_weights_bf16;
class packed_weights_int8;
struct attention_shape;
struct row_layout;
struct conv2d_shape;
struct conv2d_options;
struct pool2d_shape;
class resize_plan;
class fbank_plan;
struct activation_fn;

// Every kernel entry point above the kernel tier, for one level. The arguments are the
// kernel templates' own (kernels/*.hpp), without the architecture tag.
struct kernel_table {
  isa_level level;
  // Columns per panel of the f32 packed_weights this table's gemm reads (32 on AVX-512,
  // 16 on AVX2, 8 on SSE2): weights are packed for the table that multiplies them.
  std::size_t gemm_panel;
  // precision::bf16 runs (AVX512-BF16); without it gemm_bf16 throws config_error.
  bool bf16;
  // precision::int8 multiplies with AVX512-VNNI (else the exact integer fallback: same results).
  bool int8_vnni;

  void (*gemm)(std::size_t m, const float* a, std::size_t lda, const packed_weights& w, float* c,
               std::size_t ldc, const gemm_epilogue& e);
  void (*gemm_bf16)(std::size_t m, const float* a, std::size_t lda, const packed_weights_bf16& w, float* c,
                    std::size_t ldc, const gemm_epilogue& e);
  void (*gemm_int8)(std::size_t m, const float* a, std::size_t lda, const packed_weights_int8& w, float* c,
                    std::size_t ldc, const gemm_epilogue& e);
  std::size_t (*attention_scratch_floats)(const attention_shape& s);
  void (*attention_head)(const attention_shape& s, const float* qkv, std::size_t head, float* out,
                         float* scratch);
  void (*softmax)(float* x, std::size_t rows, std::size_t n, std::size_t stride, float scale);
  void (*layer_norm)(const row_layout& layout, const float* x, const float* gamma, const float* beta,
                     float eps, float* y);
  void (*batch_norm)(const float* x, std::size_t channels, std::size_t spatial, const float* scale,
                     const float* shift, float* y, bool relu);
  void (*conv2d)(const conv2d_shape& s, const float* x, const float* weight, const float* bias, float* y,
                 float* scratch, const conv2d_options& options);
  void (*max_pool2d)(const pool2d_shape& s, const float* x, float* y, float* scratch);
  void (*activate)(const activation_fn& f, float* x, std::size_t n);
  void (*prelu_channels)(float* x, std::size_t rows, std::size_t cols, std::size_t ld, const float* slopes);
  void (*resize)(const resize_plan& plan, const float* x, std::size_t channels, float* y, float* scratch);
  void (*fbank)(const fbank_plan& plan, const float* wave, std::size_t first, std::size_t count, float* out,
                float* scratch);
  // y[i] += x[i] for i < n (position embeddings).
  void (*add)(const float* x, float* y, std::size_t n);
};

// The table the layers use. With ADMN_DISPATCH (the CMake function admn_add_kernels): the
// table of the level chosen at run time (active_isa()); throws as isa_selection() when
// ADMN_ISA is bad. Without: the table of `Arch`, the widest instruction set this translation
// unit is compiled for. Defined in kernels/dispatch.hpp.
template <class Arch = default_arch>
[[nodiscard]] const kernel_table& active();

}  // namespace admn::kernels
