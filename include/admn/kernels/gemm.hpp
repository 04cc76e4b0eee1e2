// admn/kernels/gemm.hpp — C = epilogue(A · Wᵀ + b), the product behind every Linear.
//
// A is m×k (row stride lda); W is n×k in PyTorch's nn.Linear layout, re-laid out
// once (at model load) into `packed_weights`: panels of `panel` output columns,
// k-major, zero-padded, so the inner loop reads one contiguous stream. The micro-
// kernel keeps a rows × panel tile of C in registers (12 × 32 on AVX-512: 24
// accumulators) and adds a[i][p]·W[j][p] for p = 0, 1, …, k−1 in that order.
// Every C element is therefore one sequential chain of fused multiply-adds,
// whatever m, n, the blocking or the thread count: results are bit-identical
// for any batch size and any number of threads. Epilogues:
//   plain      C = act(A·Wᵀ + b)
//   accumulate C = (C + A·Wᵀ) + b     (the residual stream: x = x + proj(o))
// Parallel work is split over fixed groups of column panels.
#pragma once

#include <admn/detail/assert.hpp>
#include <admn/kernels/activation.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/kernels/reduce.hpp>
#include <admn/kernels/simd.hpp>
#include <admn/tensor/tensor.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

namespace admn::kernels {

struct gemm_shape {
  std::size_t m, n, k;
  std::size_t lda, ldw, ldc;
};

struct gemm_epilogue {
  const float* bias = nullptr;  // n values, or nullptr
  activation_fn act{};          // applied after the bias (not with accumulate)
  bool accumulate = false;      // C = C + A·Wᵀ + b
};

// Register tile of the micro-kernel for an instruction set: `panel` columns (two
// registers) by `rows` rows, as many rows as the register file holds accumulators for.
template <class Arch>
struct gemm_tile {
  static constexpr std::size_t panel = 2 * lanes<Arch>;
  static constexpr std::size_t rows = lanes<Arch> >= 16 ? 12 : 6;
};

// Depth of one pass over k: a 256 × 32 panel slice (32 KiB) stays in L1 while
// every row tile of A streams past it.
inline constexpr std::size_t gemm_depth_block = 256;
// Column panels per parallel task.
inline constexpr std::size_t gemm_panels_per_task = 2;

// W (n×k, row stride ldw) re-laid out for the micro-kernel of `Arch`.
template <class Arch = default_arch>
class packed_weights {
 public:
  static constexpr std::size_t panel = gemm_tile<Arch>::panel;

  packed_weights() = default;
  packed_weights(const float* w, std::size_t n, std::size_t k, std::size_t ldw)
      : n_(n), k_(k), data_(shape{panels(n) * k * panel}) {
    for (std::size_t p = 0; p < panels(n); ++p)
      for (std::size_t kk = 0; kk < k; ++kk)
        for (std::size_t j = 0; j < panel; ++j) {
          const std::size_t col = p * panel + j;
          data_.data()[(p * k + kk) * panel + j] = col < n ? w[col * ldw + kk] : 0.0f;
        }
  }

  [[nodiscard]] std::size_t n() const noexcept { return n_; }
  [[nodiscard]] std::size_t k() const noexcept { return k_; }
  [[nodiscard]] std::size_t panel_count() const noexcept { return panels(n_); }
  // Panel p, starting at depth kk: `panel` floats per step of k.
  [[nodiscard]] const float* at(std::size_t p, std::size_t kk) const noexcept {
    return data_.data() + (p * k_ + kk) * panel;
  }
  // W[j][p] back from the panels (for inspection and model transforms).
  [[nodiscard]] float weight(std::size_t j, std::size_t p) const noexcept {
    return at(j / panel, p)[j % panel];
  }

 private:
  static constexpr std::size_t panels(std::size_t n) noexcept { return (n + panel - 1) / panel; }

  std::size_t n_ = 0, k_ = 0;
  tensor data_;
};

namespace detail {

// C tile (R rows × panel columns at c, row stride ldc) for k in [k0, k1).
// first: start from 0 (or C when accumulating); last: apply the epilogue.
template <class Arch, std::size_t R>
inline void gemm_micro(const float* a, std::size_t lda, const float* panel, float* c, std::size_t ldc,
                       std::size_t cols, std::size_t k0, std::size_t k1, bool first, bool last,
                       const gemm_epilogue& e, const float* bias) noexcept {
  using batch = float_batch<Arch>;
  constexpr std::size_t L = lanes<Arch>;
  std::array<batch, R> lo, hi;
  const bool full = cols == 2 * L;
  if (first && !e.accumulate) {
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) lo[r] = hi[r] = batch(0.0f);
  } else if (full) {
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) {
      lo[r] = batch::load_unaligned(c + r * ldc);
      hi[r] = batch::load_unaligned(c + r * ldc + L);
    }
  } else {
    for (std::size_t r = 0; r < R; ++r) {
      lo[r] = load_tail<Arch>(c + r * ldc, 0, std::min(cols, L), 0.0f);
      hi[r] = cols > L ? load_tail<Arch>(c + r * ldc + L, 0, cols - L, 0.0f) : batch(0.0f);
    }
  }
  const float* w = panel;
  for (std::size_t p = k0; p < k1; ++p, w += 2 * L) {
    const batch w0 = batch::load_aligned(w), w1 = batch::load_aligned(w + L);
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) {
      const batch x(a[r * lda + p]);
      lo[r] = xsimd::fma(x, w0, lo[r]);
      hi[r] = xsimd::fma(x, w1, hi[r]);
    }
  }
  if (last && (bias != nullptr || e.act.kind != activation::none)) {
    batch b0(0.0f), b1(0.0f);
    if (bias) {
      b0 = full ? batch::load_unaligned(bias) : load_tail<Arch>(bias, 0, std::min(cols, L), 0.0f);
      b1 = full ? batch::load_unaligned(bias + L)
                : (cols > L ? load_tail<Arch>(bias + L, 0, cols - L, 0.0f) : batch(0.0f));
    }
    for (std::size_t r = 0; r < R; ++r) {
      lo[r] = detail::apply<Arch>(e.act, lo[r] + b0);
      hi[r] = detail::apply<Arch>(e.act, hi[r] + b1);
    }
  }
  if (full) {
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) {
      lo[r].store_unaligned(c + r * ldc);
      hi[r].store_unaligned(c + r * ldc + L);
    }
  } else {
    for (std::size_t r = 0; r < R; ++r) {
      store_tail<Arch>(lo[r], c + r * ldc, 0, std::min(cols, L));
      if (cols > L) store_tail<Arch>(hi[r], c + r * ldc + L, 0, cols - L);
    }
  }
}

template <class Arch, std::size_t R = gemm_tile<Arch>::rows>
inline void gemm_rows(std::size_t rows, const float* a, std::size_t lda, const float* panel, float* c,
                      std::size_t ldc, std::size_t cols, std::size_t k0, std::size_t k1, bool first,
                      bool last, const gemm_epilogue& e, const float* bias) noexcept {
  if constexpr (R == 0) {
    (void)rows, (void)a, (void)lda, (void)panel, (void)c, (void)ldc, (void)cols, (void)k0, (void)k1,
        (void)first, (void)last, (void)e, (void)bias;
  } else {
    if (rows == R)
      gemm_micro<Arch, R>(a, lda, panel, c, ldc, cols, k0, k1, first, last, e, bias);
    else
      gemm_rows<Arch, R - 1>(rows, a, lda, panel, c, ldc, cols, k0, k1, first, last, e, bias);
  }
}

}  // namespace detail

// C (m × w.n(), row stride ldc) = epilogue(A (m × w.k(), row stride lda) · Wᵀ + b).
template <class Arch>
void gemm(Arch, std::size_t m, const float* a, std::size_t lda, const packed_weights<Arch>& w, float* c,
          std::size_t ldc, const gemm_epilogue& e) {
  ADMN_ASSERT(!(e.accumulate && e.act.kind != activation::none));
  constexpr std::size_t R = gemm_tile<Arch>::rows, P = gemm_tile<Arch>::panel;
  const std::size_t n = w.n(), k = w.k();
  if (m == 0 || n == 0) return;
  for_each_chunk(w.panel_count(), gemm_panels_per_task, [&](std::size_t p0, std::size_t p1) {
    // k = 0 still needs the epilogue pass (C = act(b) or C += b).
    const std::size_t blocks = k == 0 ? 1 : (k + gemm_depth_block - 1) / gemm_depth_block;
    for (std::size_t kb = 0; kb < blocks; ++kb) {
      const std::size_t k0 = kb * gemm_depth_block, k1 = std::min(k, k0 + gemm_depth_block);
      const bool first = kb == 0, last = kb + 1 == blocks;
      for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t col = p * P, cols = std::min(P, n - col);
        const float* bias = e.bias ? e.bias + col : nullptr;
        for (std::size_t i = 0; i < m; i += R)
          detail::gemm_rows<Arch>(std::min(R, m - i), a + i * lda, lda, w.at(p, k0), c + i * ldc + col, ldc,
                                  cols, k0, k1, first, last, e, bias);
      }
    }
  });
}

namespace reference {

// The scalar definition, in double precision.
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
