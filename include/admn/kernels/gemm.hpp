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
// Parallel work is split into fixed tasks: groups of column panels × row blocks.
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
// Rows of A per task: a ≤ 256 × 256 slice of A (256 KiB) stays in L2 while the
// task's panel slices stream through L1. m is cut into ⌈m / 256⌉ near-equal blocks
// of whole row tiles; tasks are (row block, group of column panels) pairs.
inline constexpr std::size_t gemm_row_block = 256;
// Column panels per task: two when A fits one row block (a ViT sequence: enough
// tasks to keep the cores busy), eight when it does not (a batch: each A slice read
// from L3 serves 256 columns instead of 64; there are row blocks × groups tasks).
inline constexpr std::size_t gemm_panels_per_task = 2;
inline constexpr std::size_t gemm_panels_per_task_blocked = 8;

// Panels of `Arch`'s micro-kernel in someone's memory (64-byte aligned): W (n×k)
// as ⌈n/panel⌉ panels of `panel` columns, k-major, zero-padded to whole panels.
template <class Arch = default_arch>
struct packed_panels {
  static constexpr std::size_t panel = gemm_tile<Arch>::panel;

  const float* data = nullptr;
  std::size_t n = 0, k = 0;

  [[nodiscard]] static constexpr std::size_t count(std::size_t n) noexcept { return (n + panel - 1) / panel; }
  // Floats the panels of an n×k matrix take.
  [[nodiscard]] static constexpr std::size_t floats(std::size_t n, std::size_t k) noexcept {
    return count(n) * k * panel;
  }
  [[nodiscard]] std::size_t panel_count() const noexcept { return count(n); }
  // Panel p, starting at depth kk: `panel` floats per step of k.
  [[nodiscard]] const float* at(std::size_t p, std::size_t kk) const noexcept {
    return data + (p * k + kk) * panel;
  }
};

// Packs W[j][p] = w[j·ldw + p] (W n×k, row-major, as nn.Linear stores it) into `out`
// (packed_panels<Arch>::floats(n, k) floats, 64-byte aligned). (packed_weights packs the
// same layout for a panel width known at run time.)
template <class Arch>
void pack_rows(const float* w, std::size_t n, std::size_t k, std::size_t ldw, float* out) noexcept {
  constexpr std::size_t P = gemm_tile<Arch>::panel;
  for (std::size_t p = 0; p < packed_panels<Arch>::count(n); ++p)
    for (std::size_t kk = 0; kk < k; ++kk)
      for (std::size_t j = 0; j < P; ++j) {
        const std::size_t col = p * P + j;
        out[(p * k + kk) * P + j] = col < n ? w[col * ldw + kk] : 0.0f;
      }
}

// Packs W[j][p] = v[p·ldv + j] (W given as its transpose V, k×n row-major) into `out`.
template <class Arch>
void pack_columns(const float* v, std::size_t n, std::size_t k, std::size_t ldv, float* out) noexcept {
  constexpr std::size_t P = gemm_tile<Arch>::panel;
  for (std::size_t p = 0; p < packed_panels<Arch>::count(n); ++p) {
    const std::size_t col = p * P, cols = std::min(P, n - col);
    for (std::size_t kk = 0; kk < k; ++kk) {
      float* dst = out + (p * k + kk) * P;
      std::copy(v + kk * ldv + col, v + kk * ldv + col + cols, dst);
      std::fill(dst + cols, dst + P, 0.0f);
    }
  }
}

// Column panels one task packs at load time (a 3072 × 768 weight: 24 tasks).
inline constexpr std::size_t pack_panels_per_task = 4;

// W (n×k, row stride ldw) re-laid out once, owned: ⌈n/panel⌉ panels of `panel` columns,
// k-major, zero-padded. The panel width is the micro-kernel's (gemm_tile<Arch>::panel: 32
// on AVX-512, 16 on AVX2, 8 on SSE2), fixed at pack time: the layers pack for the kernel
// table they multiply with (kernels::active().gemm_panel), the templates check it.
class packed_weights {
 public:
  packed_weights() = default;
  // Packs for panels of `panel` columns, in parallel, `pack_panels_per_task` panels per task
  // (pure data movement: the result does not depend on the thread count).
  packed_weights(std::size_t panel, const float* w, std::size_t n, std::size_t k, std::size_t ldw)
      : panel_(panel), n_(n), k_(k), data_(shape{(n + panel - 1) / panel * k * panel}) {
    ADMN_ASSERT(panel > 0);
    for_each_chunk(panel_count(), pack_panels_per_task, [&](std::size_t p0, std::size_t p1) {
      for (std::size_t p = p0; p < p1; ++p)
        for (std::size_t kk = 0; kk < k; ++kk)
          for (std::size_t j = 0; j < panel; ++j) {
            const std::size_t col = p * panel + j;
            data_.data()[(p * k + kk) * panel + j] = col < n ? w[col * ldw + kk] : 0.0f;
          }
    });
  }
  // Packs for the micro-kernel of `Arch`.
  template <class Arch>
  packed_weights(Arch, const float* w, std::size_t n, std::size_t k, std::size_t ldw)
      : packed_weights(gemm_tile<Arch>::panel, w, n, k, ldw) {}

  [[nodiscard]] std::size_t panel() const noexcept { return panel_; }
  [[nodiscard]] std::size_t n() const noexcept { return n_; }
  [[nodiscard]] std::size_t k() const noexcept { return k_; }
  [[nodiscard]] std::size_t panel_count() const noexcept {
    return panel_ == 0 ? 0 : (n_ + panel_ - 1) / panel_;
  }
  // The panels as the micro-kernel of `Arch` reads them; the weights must be packed for it.
  template <class Arch>
  [[nodiscard]] packed_panels<Arch> panels() const noexcept {
    ADMN_ASSERT(panel_ == packed_panels<Arch>::panel);
    return {data_.data(), n_, k_};
  }
  // W[j][p] back from the panels (for inspection and model transforms).
  [[nodiscard]] float weight(std::size_t j, std::size_t p) const noexcept {
    return data_.data()[(j / panel_ * k_ + p) * panel_ + j % panel_];
  }

 private:
  std::size_t panel_ = 0, n_ = 0, k_ = 0;
  tensor data_;
};

namespace detail {

// The accumulator tile (R rows × `cols` ≤ 2·lanes columns, lo/hi register halves):
// zeros, or C's current values when a depth pass continues or the epilogue accumulates.
template <class Arch, std::size_t R>
inline void tile_begin(std::array<float_batch<Arch>, R>& lo, std::array<float_batch<Arch>, R>& hi,
                       const float* c, std::size_t ldc, std::size_t cols, bool from_c) noexcept {
  using batch = float_batch<Arch>;
  constexpr std::size_t L = lanes<Arch>;
  if (!from_c) {
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) lo[r] = hi[r] = batch(0.0f);
  } else if (cols == 2 * L) {
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
}

// Stores the tile; after the last depth pass, adds the bias and applies the activation.
template <class Arch, std::size_t R>
inline void tile_end(std::array<float_batch<Arch>, R>& lo, std::array<float_batch<Arch>, R>& hi, float* c,
                     std::size_t ldc, std::size_t cols, bool last, const gemm_epilogue& e,
                     const float* bias) noexcept {
  using batch = float_batch<Arch>;
  constexpr std::size_t L = lanes<Arch>;
  const bool full = cols == 2 * L;
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

// C tile (R rows × panel columns at c, row stride ldc) for k in [k0, k1).
// first: start from 0 (or C when accumulating); last: apply the epilogue.
template <class Arch, std::size_t R>
inline void gemm_micro(const float* a, std::size_t lda, const float* panel, float* c, std::size_t ldc,
                       std::size_t cols, std::size_t k0, std::size_t k1, bool first, bool last,
                       const gemm_epilogue& e, const float* bias) noexcept {
  using batch = float_batch<Arch>;
  constexpr std::size_t L = lanes<Arch>;
  std::array<batch, R> lo, hi;
  tile_begin<Arch, R>(lo, hi, c, ldc, cols, !first || e.accumulate);
  const float* w = panel;
  for (std::size_t p = k0; p < k1; ++p, w += 2 * L) {
    const batch w0 = batch::load_aligned(w), w1 = batch::load_aligned(w + L);
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) {
      const batch x(a[r * lda + p]);
      lo[r] = fused_multiply_add<Arch>(x, w0, lo[r]);
      hi[r] = fused_multiply_add<Arch>(x, w1, hi[r]);
    }
  }
  tile_end<Arch, R>(lo, hi, c, ldc, cols, last, e, bias);
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

namespace detail {

// How a product is cut into tasks (see gemm_row_block, gemm_panels_per_task).
template <class Arch>
struct gemm_blocking {
  std::size_t row_block, row_blocks, group, groups;

  gemm_blocking(std::size_t m, std::size_t panels) noexcept {
    constexpr std::size_t R = gemm_tile<Arch>::rows;
    row_blocks = std::max<std::size_t>(1, (m + gemm_row_block - 1) / gemm_row_block);
    row_block = ((m + row_blocks - 1) / row_blocks + R - 1) / R * R;
    group = row_blocks > 1 ? gemm_panels_per_task_blocked : gemm_panels_per_task;
    groups = (panels + group - 1) / group;
  }
};

// Rows [r0, r1) × column panels [p0, p1) of C = epilogue(A·Wᵀ + b), on the calling thread.
template <class Arch>
void gemm_block(const float* a, std::size_t lda, const packed_panels<Arch>& w, float* c, std::size_t ldc,
                const gemm_epilogue& e, std::size_t r0, std::size_t r1, std::size_t p0,
                std::size_t p1) noexcept {
  constexpr std::size_t R = gemm_tile<Arch>::rows, P = gemm_tile<Arch>::panel;
  const std::size_t n = w.n, k = w.k;
  // k = 0 still needs the epilogue pass (C = act(b) or C += b).
  const std::size_t blocks = k == 0 ? 1 : (k + gemm_depth_block - 1) / gemm_depth_block;
  for (std::size_t kb = 0; kb < blocks; ++kb) {
    const std::size_t k0 = kb * gemm_depth_block, k1 = std::min(k, k0 + gemm_depth_block);
    const bool first = kb == 0, last = kb + 1 == blocks;
    for (std::size_t p = p0; p < p1; ++p) {
      const std::size_t col = p * P, cols = std::min(P, n - col);
      const float* bias = e.bias ? e.bias + col : nullptr;
      for (std::size_t i = r0; i < r1; i += R)
        gemm_rows<Arch>(std::min(R, r1 - i), a + i * lda, lda, w.at(p, k0), c + i * ldc + col, ldc, cols, k0,
                        k1, first, last, e, bias);
    }
  }
}

// Task t of the blocking b.
template <class Arch>
void gemm_task(std::size_t m, const float* a, std::size_t lda, const packed_panels<Arch>& w, float* c,
               std::size_t ldc, const gemm_epilogue& e, const gemm_blocking<Arch>& b,
               std::size_t t) noexcept {
  const std::size_t rb = t / b.groups, g = t % b.groups;
  const std::size_t r0 = rb * b.row_block, p0 = g * b.group;
  gemm_block<Arch>(a, lda, w, c, ldc, e, r0, std::min(m, r0 + b.row_block), p0,
                   std::min(w.panel_count(), p0 + b.group));
}

}  // namespace detail

// C (m × w.n(), row stride ldc) = epilogue(A (m × w.k(), row stride lda) · Wᵀ + b),
// the (row block, panel group) tasks spread over the threads.
template <class Arch>
void gemm(Arch, std::size_t m, const float* a, std::size_t lda, const packed_weights& w, float* c,
          std::size_t ldc, const gemm_epilogue& e) {
  ADMN_ASSERT(!(e.accumulate && e.act.kind != activation::none));
  if (m == 0 || w.n() == 0) return;
  const packed_panels<Arch> panels = w.panels<Arch>();
  const detail::gemm_blocking<Arch> b(m, panels.panel_count());
  for_each_chunk(b.row_blocks * b.groups, 1, [&](std::size_t t0, std::size_t t1) {
    for (std::size_t t = t0; t < t1; ++t) detail::gemm_task<Arch>(m, a, lda, panels, c, ldc, e, b, t);
  });
}

// The same product on the calling thread (for callers that are already one task of
// a parallel loop, e.g. one attention head), with panels packed into scratch.
template <class Arch>
void gemm_serial(Arch, std::size_t m, const float* a, std::size_t lda, const packed_panels<Arch>& w, float* c,
                 std::size_t ldc, const gemm_epilogue& e) noexcept {
  ADMN_ASSERT(!(e.accumulate && e.act.kind != activation::none));
  if (m == 0 || w.n == 0) return;
  const detail::gemm_blocking<Arch> b(m, w.panel_count());
  for (std::size_t t = 0; t < b.row_blocks * b.groups; ++t)
    detail::gemm_task<Arch>(m, a, lda, w, c, ldc, e, b, t);
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
