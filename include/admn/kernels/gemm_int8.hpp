// admn/kernels/gemm_int8.hpp — the opt-in int8 product: C = epilogue(A · Wᵀ + b) with
// W and A quantised to int8, multiplied exactly in int32 (AVX512-VNNI's VPDPBUSD).
//
// Quantisation (`quantize_int8`, one definition for weights and activations): a row x
// of length k (a row of W, one output channel, at load; a row of A, one token, as the
// product runs) gets the symmetric scale s = max|x|/127 and the values
//   q_i = clamp(rne(x_i · (127/max|x|)), −127, 127)
// where 127/max|x| and x_i·(127/max|x|) are f32 operations (one rounding each) and rne
// rounds to nearest, ties to even (what VCVTPS2DQ does under the default MXCSR). A row
// whose max|x| is below 2⁻¹⁰⁰ quantises to zeros with s = 0 (127/max|x| would
// overflow); a row holding an inf or a NaN quantises to zeros with s = NaN, so its
// outputs are NaN, as in f32. max|x| is taken on the bit patterns (|x| as an unsigned
// integer), which orders every finite value, inf and NaN.
//
// Product. For row i of A and column j of W the kernel computes the exact integer
//   acc = Σ_p qa_i[p] · qw_j[p]                (int32; no overflow for k ≤ 49152)
// VPDPBUSD multiplies unsigned by signed bytes, so A is stored as u = qa + 128 and the
// packed weights keep 128·Σ_p qw_j[p] per column: acc = Σ u·qw − 128·Σ qw, exactly.
// Since every sum is exact, the order of the terms is irrelevant: results are
// bit-identical for any blocking, batch size and thread count.
//
// Epilogue (f32, the f32 GEMM's tile code from kernels/gemm.hpp):
//   y   = fma(f32(acc), s_a·s_w[j], c0)   f32(acc) rounds to nearest even; s_a·s_w[j] is one
//                                         f32 multiply; fma rounds once. c0 = C when the
//                                         epilogue accumulates (residual), else +0
//   out = act(y + b[j])                   plain (the add happens when there is a bias or an
//                                         activation, as in the f32 GEMM)
//   out = y + b[j]                        accumulate (C = (C + A·Wᵀ) + b)
// `reference::gemm_int8` states all of this in scalar code; the kernel equals it bit
// for bit (but for GELU, whose vector erf differs from std::erf in the last bit).
//
// Where the quantised activations live: each task quantises its own row tile (≤ 12
// rows × k bytes, ≤ 48 KiB) into a buffer on its stack, right before multiplying it
// by its group of column panels, while the tile is hot in L1. No allocation, no
// workspace to thread through the layers; the price is that a row tile is quantised
// once per panel group (≤ 16 panels, 512 columns): ~12 % of the int8 GEMM's time on a
// ViT-B block (perf, Zen 5), against ~75 % in the VPDPBUSD loop.
//
// Instruction sets: with AVX512-VNNI (compiled for it, -march=native) the micro-kernel
// keeps a 12 × 32 int32 tile in 24 registers and adds 4 products per lane per
// VPDPBUSD. Without it an exact scalar int32 loop computes the same acc (slower but
// bit-identical; in builds without FMA the epilogue's fma is std::fma per lane), so
// precision::int8 runs on every CPU.
//
// Accuracy: the per-channel / per-token scales keep ~7 bits per operand; a ViT-B block
// lands within ~1e-2 relative of f32 (tests/kernels/gemm_int8_test.cpp). Only the
// backbones' Linears use it: LayerNorm, softmax and the attention products keep f32
// because their inputs have no per-row scale that survives the nonlinearity (a
// LayerNorm's variance or a softmax's exponent amplifies the quantisation step), and
// the controller stays f32 so layer masks do not change with the precision.
#pragma once

#include <admn/error.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/precision.hpp>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
#define ADMN_INT8_AVX512_QUANTIZE 1
#else
#define ADMN_INT8_AVX512_QUANTIZE 0
#endif
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
#define ADMN_HAS_AVX512_VNNI 1
#else
#define ADMN_HAS_AVX512_VNNI 0
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace admn::kernels {

// Whether the int8 product runs on AVX512-VNNI in this build (else the exact fallback).
inline constexpr bool int8_vnni = ADMN_HAS_AVX512_VNNI != 0;

// Rows whose largest magnitude is below this quantise to zero.
inline constexpr float int8_tiny = 0x1p-100f;
// Bytes of one task's quantised row tile (on its stack); k ≤ this.
inline constexpr std::size_t int8_tile_bytes = 48 * 1024;
// Longest row the int8 product takes: one quantised row fills the tile, and
// 255·127·k stays below 2³¹.
inline constexpr std::size_t int8_max_k = int8_tile_bytes;

namespace reference {

// The quantisation of a row (see the header comment): q[i] for i < n, returns the scale.
inline float quantize_int8(const float* x, std::size_t n, std::int8_t* q) noexcept {
  std::uint32_t top = 0;
  for (std::size_t i = 0; i < n; ++i) top = std::max(top, std::bit_cast<std::uint32_t>(x[i]) & 0x7FFFFFFFu);
  const float max = std::bit_cast<float>(top);
  if (top >= 0x7F800000u || max < int8_tiny) {
    std::fill(q, q + n, std::int8_t{0});
    return top >= 0x7F800000u ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
  }
  const float inv = 127.0f / max;
  for (std::size_t i = 0; i < n; ++i)
    q[i] = static_cast<std::int8_t>(std::clamp(std::nearbyint(x[i] * inv), -127.0f, 127.0f));
  return max / 127.0f;
}

}  // namespace reference

// W (n×k, row stride ldw) quantised per output channel, in 32-column panels of
// k-quads: one 32-bit word per column holds qw[j][4t..4t+3] (k zero-padded to a
// multiple of 4), with each column's scale and 128·Σ qw[j].
class packed_weights_int8 {
 public:
  static constexpr std::size_t panel = 32;

  packed_weights_int8() = default;
  // Throws config_error [admn.config.precision] for k > int8_max_k.
  packed_weights_int8(const float* w, std::size_t n, std::size_t k, std::size_t ldw)
      : n_(n), k_(k), scales_(panels(n) * panel, 0.0f), shifts_(panels(n) * panel, 0) {
    if (k > int8_max_k)
      throw config_error("admn.config.precision", "precision int8 takes rows of at most " +
                                                      std::to_string(int8_max_k) + " inputs, got " +
                                                      std::to_string(k));
    words_ = allocate(panels(n) * quads(k) * panel);
    std::vector<std::int8_t> q(quads(k) * 4, 0);
    for (std::size_t j = 0; j < n; ++j) {
      scales_[j] = reference::quantize_int8(w + j * ldw, k, q.data());
      std::int32_t sum = 0;
      for (std::size_t p = 0; p < k; ++p) sum += q[p];
      shifts_[j] = 128 * sum;
      for (std::size_t t = 0; t < quads(k); ++t)
        std::memcpy(words_.get() + (j / panel * quads(k) + t) * panel + j % panel, q.data() + 4 * t, 4);
    }
    for (std::size_t j = n; j < panels(n) * panel; ++j)
      for (std::size_t t = 0; t < quads(k); ++t)
        words_.get()[(j / panel * quads(k) + t) * panel + j % panel] = 0;
  }

  [[nodiscard]] std::size_t n() const noexcept { return n_; }
  [[nodiscard]] std::size_t k() const noexcept { return k_; }
  [[nodiscard]] std::size_t panel_count() const noexcept { return panels(n_); }
  // Panel p: `panel` words per k-quad, quads(k) quads.
  [[nodiscard]] const std::uint32_t* at(std::size_t p) const noexcept {
    return words_.get() + p * quads(k_) * panel;
  }
  // Per column (zero past n, to whole panels): the scale s_w and 128·Σ qw.
  [[nodiscard]] const float* scales() const noexcept { return scales_.data(); }
  [[nodiscard]] const std::int32_t* shifts() const noexcept { return shifts_.data(); }
  // qw[j][p] as stored.
  [[nodiscard]] std::int8_t quantized(std::size_t j, std::size_t p) const noexcept {
    std::int8_t b[4];
    std::memcpy(b, at(j / panel) + p / 4 * panel + j % panel, 4);
    return b[p % 4];
  }
  // W[j][p] as the product sees it: qw[j][p]·s_w[j].
  [[nodiscard]] float weight(std::size_t j, std::size_t p) const noexcept {
    return static_cast<float>(quantized(j, p)) * scales_[j];
  }

  static constexpr std::size_t quads(std::size_t k) noexcept { return (k + 3) / 4; }

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
  std::vector<float> scales_;
  std::vector<std::int32_t> shifts_;
};

// Rows per task (whole row tiles) and the largest column-panel group per task: a
// group's panels (≤ 512 KiB of weights) stay in L2 while the task's row tiles pass.
inline constexpr std::size_t gemm_int8_row_block = 96;
inline constexpr std::size_t gemm_int8_group_bytes = 512 * 1024;
inline constexpr std::size_t gemm_int8_max_group = 16;

namespace detail {

#if ADMN_HAS_AVX512_VNNI
// acc += Σ₄ u8·s8 per 32-bit lane (VPDPBUSD). Inline assembly because GCC 12 copies the
// tied accumulator of the intrinsic on every iteration and spills a 24-register tile.
inline __m512i dpbusd(__m512i acc, __m512i u8, __m512i s8) noexcept {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
  return acc;
}
#endif

// Bytes per quantised row in a tile: k rounded up to whole cache lines.
constexpr std::size_t int8_stride(std::size_t k) noexcept {
  return (packed_weights_int8::quads(k) * 4 + 63) / 64 * 64;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// GCC 12 reports the intrinsics' own `_mm512_undefined_*` operands as (maybe-)uninitialized
// once they are inlined here (as kernels/simd.hpp notes for xsimd).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
// Rows [0, rows) of A (row stride lda, k columns) → u8 = q + 128 at out + r·stride
// (padding to whole quads: 128, i.e. q = 0), scales[r] = s_a. A template on Arch although
// its code depends on the build's flags only: each level's kernels get their own copy.
template <class Arch>
inline void quantize_rows_u8(const float* a, std::size_t lda, std::size_t rows, std::size_t k,
                             std::uint8_t* out, std::size_t stride, float* scales) noexcept {
  const std::size_t padded = packed_weights_int8::quads(k) * 4;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* x = a + r * lda;
    std::uint8_t* u = out + r * stride;
#if ADMN_INT8_AVX512_QUANTIZE
    const __m512i magnitude = _mm512_set1_epi32(0x7FFFFFFF);
    __m512i top = _mm512_setzero_si512();
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16)
      top = _mm512_max_epu32(top, _mm512_and_si512(_mm512_loadu_si512(x + i), magnitude));
    const auto tail = static_cast<__mmask16>((1u << (k - i)) - 1u);
    top = _mm512_max_epu32(top, _mm512_and_si512(_mm512_maskz_loadu_epi32(tail, x + i), magnitude));
    const std::uint32_t bits = _mm512_reduce_max_epu32(top);
    const float max = std::bit_cast<float>(bits);
    if (bits >= 0x7F800000u || max < int8_tiny) {
      std::fill(u, u + padded, std::uint8_t{128});
      scales[r] = bits >= 0x7F800000u ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
      continue;
    }
    const __m512 inv = _mm512_set1_ps(127.0f / max);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), bias = _mm512_set1_epi32(128);
    const auto quantize = [&](__m512 v) {
      const __m512i q = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, inv)), lo), hi);
      return _mm512_cvtepi32_epi8(_mm512_add_epi32(q, bias));
    };
    for (i = 0; i + 16 <= k; i += 16)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(u + i), quantize(_mm512_loadu_ps(x + i)));
    for (; i < padded; i += 16) {  // zeros past k quantise to 128
      const auto load = static_cast<__mmask16>(i < k ? (1u << (k - i)) - 1u : 0u);
      const auto store = static_cast<__mmask16>((1u << std::min<std::size_t>(16, padded - i)) - 1u);
      _mm_mask_storeu_epi8(u + i, store, quantize(_mm512_maskz_loadu_ps(load, x + i)));
    }
    scales[r] = max / 127.0f;
#else
    auto* q = reinterpret_cast<std::int8_t*>(u);
    scales[r] = reference::quantize_int8(x, k, q);
    for (std::size_t i = 0; i < k; ++i) u[i] = static_cast<std::uint8_t>(q[i] + 128);
    std::fill(u + k, u + padded, std::uint8_t{128});
#endif
  }
}

// a·b + c rounded once, lane by lane, on every build: VFMADD where the build has FMA,
// std::fma per lane where it does not (the reference's epilogue is one rounding).
template <class Arch>
inline float_batch<Arch> exact_multiply_add(float_batch<Arch> a, float_batch<Arch> b,
                                            float_batch<Arch> c) noexcept {
#if defined(__FMA__)
  return fused_multiply_add<Arch>(a, b, c);
#else
  alignas(64) float x[lanes<Arch>], y[lanes<Arch>], z[lanes<Arch>];
  a.store_aligned(x), b.store_aligned(y), c.store_aligned(z);
  for (std::size_t i = 0; i < lanes<Arch>; ++i) z[i] = std::fma(x[i], y[i], z[i]);
  return float_batch<Arch>::load_aligned(z);
#endif
}

// acc (R rows × 32 int32, row-major) → C tile: y = fma(f32(acc), s_a[r]·s_w[j], c0), then the
// f32 GEMM's bias/activation/residual epilogue, in sub-tiles of the f32 micro-kernel's width.
template <class Arch, std::size_t R>
inline void int8_tile_end(const std::int32_t* acc, const float* row_scales, const float* col_scales, float* c,
                          std::size_t ldc, std::size_t cols, const gemm_epilogue& e,
                          const float* bias) noexcept {
  using batch = float_batch<Arch>;
  using ibatch = xsimd::batch<std::int32_t, Arch>;
  constexpr std::size_t L = lanes<Arch>, P = packed_weights_int8::panel;
  static_assert(P % (2 * L) == 0);
  for (std::size_t s = 0; s < P && s < cols; s += 2 * L) {
    const std::size_t sub = std::min(2 * L, cols - s);
    std::array<batch, R> lo, hi;
    tile_begin<Arch, R>(lo, hi, c + s, ldc, sub, e.accumulate);
    const batch w0 = batch::load_unaligned(col_scales + s), w1 = batch::load_unaligned(col_scales + s + L);
    for (std::size_t r = 0; r < R; ++r) {
      const batch sa(row_scales[r]);
      const batch x0 = xsimd::batch_cast<float>(ibatch::load_unaligned(acc + r * P + s));
      const batch x1 = xsimd::batch_cast<float>(ibatch::load_unaligned(acc + r * P + s + L));
      lo[r] = exact_multiply_add<Arch>(x0, sa * w0, lo[r]);
      hi[r] = exact_multiply_add<Arch>(x1, sa * w1, hi[r]);
    }
    tile_end<Arch, R>(lo, hi, c + s, ldc, sub, true, e, bias ? bias + s : nullptr);
  }
}

// acc[r][j] = Σ_t Σ_b u[r][4t+b]·qw[j][4t+b] − shift[j] for an R × 32 tile, all k.
template <class Arch, std::size_t R>
inline void int8_dot_tile(const std::uint8_t* a, std::size_t stride, const std::uint32_t* panel,
                          std::size_t quads, const std::int32_t* shifts, std::int32_t* acc) noexcept {
  constexpr std::size_t P = packed_weights_int8::panel;
#if ADMN_HAS_AVX512_VNNI
  if constexpr (lanes<Arch> == 16) {
    __m512i lo[R], hi[R];
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) lo[r] = hi[r] = _mm512_setzero_si512();
    const std::uint32_t* w = panel;
    for (std::size_t t = 0; t < quads; ++t, w += P) {
      const __m512i w0 = _mm512_load_si512(w), w1 = _mm512_load_si512(w + 16);
#pragma GCC unroll 12
      for (std::size_t r = 0; r < R; ++r) {
        std::int32_t word;
        std::memcpy(&word, a + r * stride + 4 * t, 4);
        const __m512i x = _mm512_set1_epi32(word);
        lo[r] = dpbusd(lo[r], x, w0);
        hi[r] = dpbusd(hi[r], x, w1);
      }
    }
    const __m512i s0 = _mm512_loadu_si512(shifts), s1 = _mm512_loadu_si512(shifts + 16);
    for (std::size_t r = 0; r < R; ++r) {
      _mm512_storeu_si512(acc + r * P, _mm512_sub_epi32(lo[r], s0));
      _mm512_storeu_si512(acc + r * P + 16, _mm512_sub_epi32(hi[r], s1));
    }
    return;
  }
#endif
  // Exact fallback: the same integer sums, one column at a time.
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t j = 0; j < P; ++j) acc[r * P + j] = -shifts[j];
  for (std::size_t t = 0; t < quads; ++t)
    for (std::size_t r = 0; r < R; ++r) {
      const std::uint8_t* u = a + r * stride + 4 * t;
      for (std::size_t j = 0; j < P; ++j) {
        std::int8_t q[4];
        std::memcpy(q, panel + t * P + j, 4);
        acc[r * P + j] += u[0] * q[0] + u[1] * q[1] + u[2] * q[2] + u[3] * q[3];
      }
    }
}

template <class Arch, std::size_t R>
inline void int8_rows(std::size_t rows, const std::uint8_t* a, std::size_t stride, const float* row_scales,
                      const packed_weights_int8& w, std::size_t p, float* c, std::size_t ldc,
                      const gemm_epilogue& e) noexcept {
  if constexpr (R == 0) {
    (void)rows, (void)a, (void)stride, (void)row_scales, (void)w, (void)p, (void)c, (void)ldc, (void)e;
  } else if (rows != R) {
    int8_rows<Arch, R - 1>(rows, a, stride, row_scales, w, p, c, ldc, e);
  } else {
    constexpr std::size_t P = packed_weights_int8::panel;
    const std::size_t col = p * P, cols = std::min(P, w.n() - col);
    alignas(64) std::array<std::int32_t, R * P> acc;
    int8_dot_tile<Arch, R>(a, stride, w.at(p), packed_weights_int8::quads(w.k()), w.shifts() + col,
                           acc.data());
    int8_tile_end<Arch, R>(acc.data(), row_scales, w.scales() + col, c + col, ldc, cols, e,
                           e.bias ? e.bias + col : nullptr);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// How an int8 product is cut into tasks: (row block, panel group) pairs; each row
// tile of a row block is quantised once per task. (A template on Arch only so that each
// level's kernels get their own copy: kernels/isa/table.ipp.)
template <class Arch>
struct gemm_int8_blocking {
  std::size_t tile_rows, row_block, row_blocks, group, groups;

  gemm_int8_blocking(std::size_t m, std::size_t k, std::size_t panels) noexcept {
    tile_rows = k == 0 ? 12 : std::clamp<std::size_t>(int8_tile_bytes / int8_stride(k), 1, 12);
    const std::size_t per_block = std::max(tile_rows, gemm_int8_row_block / tile_rows * tile_rows);
    row_blocks = std::max<std::size_t>(1, (m + per_block - 1) / per_block);
    row_block = ((m + row_blocks - 1) / row_blocks + tile_rows - 1) / tile_rows * tile_rows;
    const std::size_t max_group = std::clamp<std::size_t>(
        gemm_int8_group_bytes /
            (packed_weights_int8::panel * 4 * packed_weights_int8::quads(std::max<std::size_t>(k, 1))),
        1, gemm_int8_max_group);
    groups = std::max<std::size_t>(1, (panels + max_group - 1) / max_group);
    group = (panels + groups - 1) / groups;
    groups = (panels + group - 1) / group;
  }
};

}  // namespace detail

// C (m × w.n(), row stride ldc) = epilogue(A · Wᵀ + b) with A (m × w.k(), row stride
// lda) quantised per row and W per column (see the header comment for the exact
// arithmetic), the (row block, panel group) tasks spread over the threads.
template <class Arch>
void gemm(Arch, std::size_t m, const float* a, std::size_t lda, const packed_weights_int8& w, float* c,
          std::size_t ldc, const gemm_epilogue& e) {
  ADMN_ASSERT(!(e.accumulate && e.act.kind != activation::none));
  if (m == 0 || w.n() == 0) return;
  const detail::gemm_int8_blocking<Arch> b(m, w.k(), w.panel_count());
  const std::size_t stride = detail::int8_stride(w.k());
  for_each_chunk(b.row_blocks * b.groups, 1, [&](std::size_t t0, std::size_t t1) {
    alignas(64) std::array<std::uint8_t, int8_tile_bytes> tile;
    std::array<float, 12> scales;
    for (std::size_t t = t0; t < t1; ++t) {
      const std::size_t r0 = t / b.groups * b.row_block, r1 = std::min(m, r0 + b.row_block);
      const std::size_t p0 = t % b.groups * b.group, p1 = std::min(w.panel_count(), p0 + b.group);
      for (std::size_t i = r0; i < r1; i += b.tile_rows) {
        const std::size_t rows = std::min(b.tile_rows, r1 - i);
        detail::quantize_rows_u8<Arch>(a + i * lda, lda, rows, w.k(), tile.data(), stride, scales.data());
        for (std::size_t p = p0; p < p1; ++p)
          detail::int8_rows<Arch, 12>(rows, tile.data(), stride, scales.data(), w, p, c + i * ldc, ldc, e);
      }
    }
  });
}

namespace reference {

// The int8 GEMM's arithmetic in scalar code (see the header comment): W quantised per
// row of W, A per row of A, exact integer sums, then the f32 epilogue.
inline void gemm_int8(const gemm_shape& s, const float* a, const float* w, float* c, const gemm_epilogue& e) {
  std::vector<std::int8_t> qw(s.n * s.k), qa(s.k);
  std::vector<float> sw(s.n);
  for (std::size_t j = 0; j < s.n; ++j) sw[j] = quantize_int8(w + j * s.ldw, s.k, qw.data() + j * s.k);
  for (std::size_t i = 0; i < s.m; ++i) {
    const float sa = quantize_int8(a + i * s.lda, s.k, qa.data());
    for (std::size_t j = 0; j < s.n; ++j) {
      std::int32_t acc = 0;
      for (std::size_t p = 0; p < s.k; ++p) acc += std::int32_t{qa[p]} * qw[j * s.k + p];
      float& out = c[i * s.ldc + j];
      float y = std::fma(static_cast<float>(acc), sa * sw[j], e.accumulate ? out : 0.0f);
      if (e.bias || e.act.kind != activation::none) y = y + (e.bias ? e.bias[j] : 0.0f);
      out = e.accumulate ? y : apply(e.act, y);
    }
  }
}

}  // namespace reference
}  // namespace admn::kernels
