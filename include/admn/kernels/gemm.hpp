// admn/kernels/gemm.hpp — C = epilogue(A · Wᵀ + b), the product behind every Linear.
//
// A is m×k (row stride lda), W is n×k in PyTorch's nn.Linear layout (row stride
// ldw), C is m×n (row stride ldc). One product over all rows (all tokens of all
// samples), never one per row. Epilogues, fused into the pass that adds the bias:
//   plain      C = act(A·Wᵀ + b)
//   accumulate C = C + A·Wᵀ + b     (the residual stream: x = x + proj(o))
// The columns are cut into fixed chunks computed in parallel; chunk boundaries do
// not depend on the thread count, so results are bit-identical for any count.
#pragma once

#include <admn/detail/assert.hpp>
#include <admn/kernels/activation.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/kernels/reduce.hpp>
#include <admn/kernels/simd.hpp>
#include <admn/tensor/eigen.hpp>

#include <cstddef>

namespace admn::kernels {

struct gemm_shape {
  std::size_t m, n, k;
  std::size_t lda, ldw, ldc;
};

struct gemm_epilogue {
  const float* bias = nullptr;  // n values, or nullptr
  activation_fn act{};          // applied after the bias (not with accumulate)
  bool accumulate = false;      // C += A·Wᵀ + b
};

// Output columns per parallel chunk: large enough to keep Eigen's blocking
// efficient, small enough to give two cores work on ViT-sized layers.
inline constexpr std::size_t gemm_column_chunk = 256;

template <class Arch>
void gemm(Arch, const gemm_shape& s, const float* a, const float* w, float* c, const gemm_epilogue& e) {
  ADMN_ASSERT(!(e.accumulate && e.act.kind != activation::none));
  for_each_chunk(s.n, gemm_column_chunk, [&](std::size_t n0, std::size_t n1) {
    const std::size_t cols = n1 - n0;
    const auto lhs = as_matrix(a, s.m, s.k, s.lda);
    const auto rhs = as_matrix(w + n0 * s.ldw, cols, s.k, s.ldw);
    auto out = as_matrix(c + n0, s.m, cols, s.ldc);
    if (e.accumulate)
      out.noalias() += lhs * rhs.transpose();
    else
      out.noalias() = lhs * rhs.transpose();
    if (e.bias == nullptr && e.act.kind == activation::none) return;
    using batch = float_batch<Arch>;
    for (std::size_t r = 0; r < s.m; ++r) {
      float* row = c + r * s.ldc + n0;
      const float* bias = e.bias ? e.bias + n0 : nullptr;
      std::size_t j = 0;
      for (; j + batch::size <= cols; j += batch::size) {
        batch v = batch::load_unaligned(row + j);
        if (bias) v += batch::load_unaligned(bias + j);
        detail::apply<Arch>(e.act, v).store_unaligned(row + j);
      }
      if (j != cols) {
        batch v = detail::load_tail<Arch>(row, j, cols, 0.0f);
        if (bias) v += detail::load_tail<Arch>(bias, j, cols, 0.0f);
        detail::store_tail<Arch>(detail::apply<Arch>(e.act, v), row, j, cols);
      }
    }
  });
}

namespace reference {

inline void gemm(const gemm_shape& s, const float* a, const float* w, float* c, const gemm_epilogue& e) {
  for (std::size_t i = 0; i < s.m; ++i)
    for (std::size_t j = 0; j < s.n; ++j) {
      double acc = e.bias ? e.bias[j] : 0.0;
      for (std::size_t p = 0; p < s.k; ++p) acc += double(a[i * s.lda + p]) * w[j * s.ldw + p];
      float& out = c[i * s.ldc + j];
      out = e.accumulate ? static_cast<float>(out + acc) : apply(e.act, static_cast<float>(acc));
    }
}

}  // namespace reference
}  // namespace admn::kernels
