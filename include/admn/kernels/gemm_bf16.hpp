// admn/kernels/gemm_bf16.hpp — the opt-in bf16 product: C = epilogue(A · Wᵀ + b)
// with W stored as bf16 and computed by AVX512-BF16's VDPBF16PS.
//
// W is rounded to bf16 once, at load (round to nearest even), and laid out in
// panels of 32 columns by k-pairs: one 32-bit word per column holds W[j][2q]
// (low half) and W[j][2q+1] (high half), so one instruction multiplies a pair of
// A values into 16 columns. A is rounded to bf16 tile by tile as the product runs
// (VCVTNE2PS2BF16, nearest even, input denormals read as zero). The products of two
// bf16 numbers are exact in f32; VDPBF16PS adds them to the f32 accumulator one at
// a time, the odd element first (Intel SDM, VDPBF16PS), with denormals flushed:
//   c ← c + a[2q+1]·w[2q+1];  c ← c + a[2q]·w[2q]        for q = 0, 1, …
// That is the whole chain of every C element, whatever m, the blocking or the
// thread count (bit-identical results for any batch size and thread count, as for
// the f32 GEMM); `reference::gemm_bf16` computes the same chain in scalar code.
// The epilogues (bias, activation, residual accumulate) are the f32 GEMM's.
//
// Accuracy: each operand keeps 8 significant bits (relative rounding ≤ 2⁻⁹), so a
// dot product of length k has a relative error of order 2⁻⁹·√k/… in practice
// ~1e-3 for a ViT-B block (measured in tests/kernels/gemm_bf16_test.cpp and
// bench/transformer_bench.cpp); f32 (`precision::fp32`) stays the default.
#pragma once

#include <admn/error.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/precision.hpp>
#include <admn/tensor/half.hpp>

#if ADMN_HAS_AVX512_BF16
#include <immintrin.h>
#endif

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <new>

namespace admn::kernels {

// W (n×k, row stride ldw) rounded to bf16, in 32-column panels of k-pairs.
class packed_weights_bf16 {
 public:
  static constexpr std::size_t panel = 32;

  packed_weights_bf16() = default;
  packed_weights_bf16(const float* w, std::size_t n, std::size_t k, std::size_t ldw)
      : n_(n), k_(k), words_(allocate(panels(n) * pairs(k) * panel)) {
    // In parallel, panel by panel (pure data movement: independent of the thread count).
    for_each_chunk(panels(n), pack_panels_per_task, [&](std::size_t p0, std::size_t p1) {
      for (std::size_t p = p0; p < p1; ++p)
        for (std::size_t q = 0; q < pairs(k); ++q)
          for (std::size_t j = 0; j < panel; ++j) {
            const std::size_t col = p * panel + j, k0 = 2 * q, k1 = 2 * q + 1;
            const std::uint32_t lo = col < n ? f32_to_bf16(w[col * ldw + k0]) : 0;
            const std::uint32_t hi = col < n && k1 < k ? f32_to_bf16(w[col * ldw + k1]) : 0;
            words_.get()[(p * pairs(k) + q) * panel + j] = lo | (hi << 16);
          }
    });
  }

  [[nodiscard]] std::size_t n() const noexcept { return n_; }
  [[nodiscard]] std::size_t k() const noexcept { return k_; }
  [[nodiscard]] std::size_t panel_count() const noexcept { return panels(n_); }
  // Panel p from k-pair q on: `panel` words per pair.
  [[nodiscard]] const std::uint32_t* at(std::size_t p, std::size_t q) const noexcept {
    return words_.get() + (p * pairs(k_) + q) * panel;
  }
  // W[j][p] as stored (rounded to bf16).
  [[nodiscard]] float weight(std::size_t j, std::size_t p) const noexcept {
    const std::uint32_t word = at(j / panel, p / 2)[j % panel];
    return bf16_to_f32(static_cast<std::uint16_t>(p % 2 == 0 ? word & 0xFFFFu : word >> 16));
  }

  static constexpr std::size_t pairs(std::size_t k) noexcept { return (k + 1) / 2; }

 private:
  struct aligned_delete {
    void operator()(std::uint32_t* p) const noexcept { ::operator delete[](p, std::align_val_t{64}); }
  };
  using storage = std::unique_ptr<std::uint32_t[], aligned_delete>;
  static storage allocate(std::size_t words) {
    return storage(static_cast<std::uint32_t*>(
        ::operator new[](std::max<std::size_t>(words, 1) * sizeof(std::uint32_t), std::align_val_t{64})));
  }
  static constexpr std::size_t panels(std::size_t n) noexcept { return (n + panel - 1) / panel; }

  std::size_t n_ = 0, k_ = 0;
  storage words_{};
};

// Depth of one pass, in k-pairs: a 128-pair × 32-column panel slice (16 KiB) and a
// 12-row A tile (6 KiB) stay in L1.
inline constexpr std::size_t gemm_bf16_depth_pairs = 128;

#if ADMN_HAS_AVX512_BF16
namespace detail {

// A rows [0, rows) × k in [k0, k1) → bf16 pairs, `stride` words per row, the odd
// tail's high half zero. (A template on Arch: each level's kernels get their own copy.)
template <class Arch>
inline void to_bf16_pairs(const float* a, std::size_t lda, std::size_t rows, std::size_t k0, std::size_t k1,
                          std::uint32_t* out, std::size_t stride) noexcept {
  const std::size_t n = k1 - k0;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* x = a + r * lda + k0;
    std::uint32_t* y = out + r * stride;
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32)  // cvtne2ps: low half from the second operand
      _mm512_storeu_si512(y + i / 2,
                          (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i)));
    if (i < n) {
      // n − i < 32 values; the zeros loaded past them fill an odd tail's high half.
      const std::size_t rest = n - i, even = (rest + 1) & ~std::size_t{1};
      const auto m = static_cast<__mmask32>((1ull << rest) - 1u);
      const auto m_even = static_cast<__mmask32>((1ull << even) - 1u);
      const __m512 lo = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m), x + i);
      const __m512 hi = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m >> 16), x + i + 16);
      _mm512_mask_storeu_epi16(y + i / 2, m_even, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
  }
}

// C tile of R rows × `cols` ≤ 32 for the k-pairs [q0, q1) of a (pairs of row r at
// a + r·stride).
template <class Arch, std::size_t R>
inline void gemm_bf16_micro(const std::uint32_t* a, std::size_t stride, const std::uint32_t* panel, float* c,
                            std::size_t ldc, std::size_t cols, std::size_t pairs, bool first, bool last,
                            const gemm_epilogue& e, const float* bias) noexcept {
  static_assert(lanes<Arch> == 16, "the bf16 micro-kernel is AVX-512 only");
  std::array<float_batch<Arch>, R> lo, hi;
  tile_begin<Arch, R>(lo, hi, c, ldc, cols, !first || e.accumulate);
  const std::uint32_t* w = panel;
  for (std::size_t q = 0; q < pairs; ++q, w += 32) {
    const auto w0 = (__m512bh)_mm512_load_si512(w), w1 = (__m512bh)_mm512_load_si512(w + 16);
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) {
      const auto x = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[r * stride + q]));
      lo[r] = _mm512_dpbf16_ps(lo[r], x, w0);
      hi[r] = _mm512_dpbf16_ps(hi[r], x, w1);
    }
  }
  tile_end<Arch, R>(lo, hi, c, ldc, cols, last, e, bias);
}

template <class Arch, std::size_t R>
inline void gemm_bf16_rows(std::size_t rows, const std::uint32_t* a, std::size_t stride,
                           const std::uint32_t* panel, float* c, std::size_t ldc, std::size_t cols,
                           std::size_t pairs, bool first, bool last, const gemm_epilogue& e,
                           const float* bias) noexcept {
  if constexpr (R == 0) {
    (void)rows, (void)a, (void)stride, (void)panel, (void)c, (void)ldc, (void)cols, (void)pairs, (void)first,
        (void)last, (void)e, (void)bias;
  } else {
    if (rows == R)
      gemm_bf16_micro<Arch, R>(a, stride, panel, c, ldc, cols, pairs, first, last, e, bias);
    else
      gemm_bf16_rows<Arch, R - 1>(rows, a, stride, panel, c, ldc, cols, pairs, first, last, e, bias);
  }
}

}  // namespace detail
#endif

// C (m × w.n(), row stride ldc) = epilogue(bf16(A) · bf16(W)ᵀ + b), A m × w.k() with row
// stride lda. Throws config_error [admn.config.precision] when bf16 is not available.
template <class Arch>
void gemm(Arch, std::size_t m, const float* a, std::size_t lda, const packed_weights_bf16& w, float* c,
          std::size_t ldc, const gemm_epilogue& e) {
  require_available(precision::bf16);
#if ADMN_HAS_AVX512_BF16
  ADMN_ASSERT(!(e.accumulate && e.act.kind != activation::none));
  constexpr std::size_t R = 12, P = packed_weights_bf16::panel, D = gemm_bf16_depth_pairs;
  const std::size_t n = w.n(), k = w.k(), pairs = packed_weights_bf16::pairs(k);
  if (m == 0 || n == 0) return;
  for_each_chunk(w.panel_count(), gemm_panels_per_task, [&](std::size_t p0, std::size_t p1) {
    alignas(64) std::array<std::uint32_t, R * D> tile;
    const std::size_t blocks = pairs == 0 ? 1 : (pairs + D - 1) / D;
    for (std::size_t kb = 0; kb < blocks; ++kb) {
      const std::size_t q0 = kb * D, q1 = std::min(pairs, q0 + D);
      const bool first = kb == 0, last = kb + 1 == blocks;
      for (std::size_t i = 0; i < m; i += R) {
        const std::size_t rows = std::min(R, m - i);
        detail::to_bf16_pairs<Arch>(a + i * lda, lda, rows, 2 * q0, std::min(k, 2 * q1), tile.data(), D);
        for (std::size_t p = p0; p < p1; ++p) {
          const std::size_t col = p * P, cols = std::min(P, n - col);
          detail::gemm_bf16_rows<Arch, R>(rows, tile.data(), D, w.at(p, q0), c + i * ldc + col, ldc, cols,
                                          q1 - q0, first, last, e, e.bias ? e.bias + col : nullptr);
        }
      }
    }
  });
#else
  (void)m, (void)a, (void)lda, (void)w, (void)c, (void)ldc, (void)e;
#endif
}

namespace reference {

// The bf16 GEMM's arithmetic in scalar code: operands rounded to bf16 (denormal
// activations read as zero), each pair added odd element first.
inline void gemm_bf16(const gemm_shape& s, const float* a, const float* w, float* c, const gemm_epilogue& e) {
  const auto round = [](float v) {
    if (std::fpclassify(v) == FP_SUBNORMAL) v = std::copysign(0.0f, v);
    return bf16_to_f32(f32_to_bf16(v));
  };
  for (std::size_t i = 0; i < s.m; ++i)
    for (std::size_t j = 0; j < s.n; ++j) {
      float& out = c[i * s.ldc + j];
      float acc = e.accumulate ? out : 0.0f;
      for (std::size_t p = 0; p < s.k; p += 2) {
        if (p + 1 < s.k) acc = std::fma(round(a[i * s.lda + p + 1]), round(w[j * s.ldw + p + 1]), acc);
        acc = std::fma(round(a[i * s.lda + p]), round(w[j * s.ldw + p]), acc);
      }
      if (e.bias) acc += e.bias[j];
      out = e.accumulate ? acc : apply(e.act, acc);
    }
}

}  // namespace reference
}  // namespace admn::kernels
