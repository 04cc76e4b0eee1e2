// admn/kernels/resize.hpp — bilinear resize, align_corners = False, with or without antialias.
//
// PyTorch's F.interpolate(x, size, mode="bilinear", align_corners=False, antialias=…) on float32
// NCHW, which torchvision's Resize calls (antialias=True since torchvision 0.17). docs/numerics.md §4.1,
// §0 and §9.1: the controller resizes 224×224 → 100×100 and the AVE spectrogram 128×1024 → 128×512.
//
// Both modes are separable: a horizontal pass (every input row → out_w columns) into a float32
// buffer, then a vertical pass (out_h rows, each a weighted sum of input rows of that buffer).
// An axis whose size does not change is skipped (PyTorch's weights are then exactly [1, 0]).
// Per axis, with scale = (float)in / out, output index i:
//   antialias (ATen _compute_indices_min_size_weights_aa, float32 with its double promotions):
//     center = scale·(i + 0.5);  support = max(scale, 1);  invscale = scale ≥ 1 ? 1/scale : 1
//     xmin = max(int(center − support + 0.5), 0);  xmax = min(int(center + support + 0.5), in)
//     w_j = max(0, 1 − |(j − center + 0.5)·invscale|) for j ∈ [xmin, xmax), then w_j /= Σ w
//   plain (ATen compute_source_index_and_lambda), s and λ in float32 as torch ≥ 2.0 (torch 1.13
//   used double: up to ~2e-5 absolute apart at 224 → 100, see resize_reference_test.cpp):
//     s = max(scale·(i + 0.5) − 0.5, 0);  i0 = min(⌊s⌋, in − 1);  i1 = i0 + (i0 < in − 1)
//     λ = clamp(s − i0, 0, 1);  weights (1 − λ, λ) at (i0, i1)
//   out = Σ_k w_k · in[idx_k]
// Both passes accumulate in tap order, first tap first, as ATen's loops, with fused multiply-adds
// (ATen's rounding depends on whether its compiler contracted `out += t·w`: ~1 ulp either way).
// The index/weight tables are built once in a resize_plan (model load); run() allocates nothing.
#pragma once

#include <admn/error.hpp>
#include <admn/kernels/kernel_table.hpp>
#include <admn/kernels/simd.hpp>
#include <admn/kernels/unfused.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace admn::kernels {

// The weights of one axis, in two layouts.
//  - Per tap ([tap][output]), for the vertical pass: output i sums count[i] rows index[k][i] with
//    weights weight[k][i], k in order.
//  - Per band, for the horizontal pass: outputs are taken in blocks of 16 (the last block shifted
//    left to end at `out`, or one partial block when out < 16). Block b reads the contiguous inputs
//    [band_start[b], band_start[b] + band_width[b]) and holds a band_width × 16 weight matrix
//    (zero where an input is not a tap of an output), so the pass is a short banded matrix
//    product: one broadcast and one FMA per input per row, no gathers (slow on current x86).
//    Taps enter each sum in increasing input order, as in ATen; the zeros add exact zeros (for
//    finite inputs: an inf or NaN pixel also spoils the other outputs of its band).
struct resize_axis {
  static constexpr std::size_t block = 16;  // outputs per band: the widest register (AVX-512)

  std::size_t in = 0, out = 0;
  std::size_t taps = 0;             // the most taps any output uses
  std::vector<std::int32_t> index;  // taps × out source indices (unused taps repeat a valid one)
  std::vector<float> weight;        // taps × out weights (unused taps are 0)
  std::vector<std::int32_t> count;  // out: taps actually used

  std::vector<std::int32_t> band_first;  // blocks: first output of the block
  std::vector<std::int32_t> band_start;  // blocks: first input read
  std::vector<std::int32_t> band_width;  // blocks: inputs read
  std::vector<std::size_t> band_offset;  // blocks: offset of the block's matrix in band_weight
  std::vector<float> band_weight;        // Σ band_width × block, row u = input band_start + u

  [[nodiscard]] bool identity() const noexcept { return in == out; }
};

namespace detail {

// ATen's aa filter for bilinear ("triangle"), evaluated in float as ATen's float instantiation.
inline float resize_triangle(float x) noexcept {
  x = std::abs(x);
  return x < 1.0f ? static_cast<float>(1.0 - static_cast<double>(x)) : 0.0f;
}

// Fills the band layout from the per-tap one (see resize_axis).
inline void resize_build_bands(resize_axis& a) {
  constexpr std::size_t block = resize_axis::block;
  const std::size_t blocks = (a.out + block - 1) / block;
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t first = a.out >= block ? std::min(b * block, a.out - block) : 0;
    const std::size_t n = std::min(block, a.out - first);
    // The band spans every tap of the block's outputs.
    std::size_t lo = static_cast<std::size_t>(a.index[first]);
    std::size_t hi = lo;
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t k = 0; k < static_cast<std::size_t>(a.count[first + t]); ++k) {
        const auto at = static_cast<std::size_t>(a.index[k * a.out + first + t]);
        lo = std::min(lo, at);
        hi = std::max(hi, at);
      }
    const std::size_t width = hi - lo + 1;
    const std::size_t offset = a.band_weight.size();
    a.band_first.push_back(static_cast<std::int32_t>(first));
    a.band_start.push_back(static_cast<std::int32_t>(lo));
    a.band_width.push_back(static_cast<std::int32_t>(width));
    a.band_offset.push_back(offset);
    a.band_weight.resize(offset + width * block, 0.0f);
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t k = 0; k < static_cast<std::size_t>(a.count[first + t]); ++k) {
        const auto u = static_cast<std::size_t>(a.index[k * a.out + first + t]) - lo;
        // Plain bilinear names one index twice at the last input: its two weights add up.
        a.band_weight[offset + u * block + t] += a.weight[k * a.out + first + t];
      }
  }
}

inline resize_axis resize_axis_antialias(std::size_t in, std::size_t out) {
  resize_axis a;
  a.in = in;
  a.out = out;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const float support = scale >= 1.0f ? scale : 1.0f;
  const float invscale = scale >= 1.0f ? static_cast<float>(1.0 / static_cast<double>(scale)) : 1.0f;
  const auto max_taps = static_cast<std::int64_t>(std::ceil(support)) * 2 + 1;
  const auto in_i = static_cast<std::int64_t>(in);

  std::vector<std::int64_t> first(out), size(out);
  std::vector<float> w(out * static_cast<std::size_t>(max_taps), 0.0f);
  std::int64_t widest = 1;
  for (std::size_t i = 0; i < out; ++i) {
    // The casts reproduce ATen's promotions: center is float(double product), the bounds add 0.5
    // in double and truncate, the filter argument is float((float(j + xmin − center) + 0.5)·inv).
    const auto center = static_cast<float>(static_cast<double>(scale) * (static_cast<double>(i) + 0.5));
    const std::int64_t xmin =
        std::max(static_cast<std::int64_t>(static_cast<double>(center - support) + 0.5), std::int64_t{0});
    const std::int64_t xsize = std::clamp(
        std::min(static_cast<std::int64_t>(static_cast<double>(center + support) + 0.5), in_i) - xmin,
        std::int64_t{0}, max_taps);
    float* wi = w.data() + i * static_cast<std::size_t>(max_taps);
    float total = 0.0f;
    for (std::int64_t j = 0; j < xsize; ++j) {
      const float offset = static_cast<float>(j + xmin) - center;
      const auto arg =
          static_cast<float>((static_cast<double>(offset) + 0.5) * static_cast<double>(invscale));
      wi[j] = resize_triangle(arg);
      total += wi[j];
    }
    if (total != 0.0f)
      for (std::int64_t j = 0; j < xsize; ++j) wi[j] /= total;
    first[i] = xmin;
    size[i] = xsize;
    widest = std::max(widest, xsize);
  }

  a.taps = static_cast<std::size_t>(widest);
  a.index.assign(a.taps * out, 0);
  a.weight.assign(a.taps * out, 0.0f);
  a.count.assign(out, 0);
  for (std::size_t i = 0; i < out; ++i) {
    // An output with no tap (impossible for sizes ≥ 1, kept safe) reads index 0 with weight 0.
    const std::int64_t last = size[i] > 0 ? first[i] + size[i] - 1 : 0;
    for (std::size_t k = 0; k < a.taps; ++k) {
      const auto kk = static_cast<std::int64_t>(k);
      a.index[k * out + i] = static_cast<std::int32_t>(std::min(first[i] + kk, last));
      a.weight[k * out + i] = kk < size[i] ? w[i * static_cast<std::size_t>(max_taps) + k] : 0.0f;
    }
    a.count[i] = static_cast<std::int32_t>(std::max<std::int64_t>(size[i], 1));
  }
  resize_build_bands(a);
  return a;
}

inline resize_axis resize_axis_linear(std::size_t in, std::size_t out) {
  resize_axis a;
  a.in = in;
  a.out = out;
  a.taps = 2;
  a.index.assign(2 * out, 0);
  a.weight.assign(2 * out, 0.0f);
  a.count.assign(out, 2);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const auto last = static_cast<std::int64_t>(in) - 1;
  for (std::size_t i = 0; i < out; ++i) {
    std::int64_t i0 = static_cast<std::int64_t>(i);
    std::int64_t i1 = i0;
    float l0 = 1.0f;
    float l1 = 0.0f;
    if (in != out) {
      float src = unfused_product(scale, static_cast<float>(i) + 0.5f) - 0.5f;
      if (src < 0.0f) src = 0.0f;
      i0 = std::min(static_cast<std::int64_t>(std::floor(src)), last);
      l1 = std::min(std::max(src - static_cast<float>(i0), 0.0f), 1.0f);
      i1 = i0 + (i0 < last ? 1 : 0);
      l0 = 1.0f - l1;
    }
    a.index[i] = static_cast<std::int32_t>(i0);
    a.index[out + i] = static_cast<std::int32_t>(i1);
    a.weight[i] = l0;
    a.weight[out + i] = l1;
  }
  resize_build_bands(a);
  return a;
}

// The horizontal pass over R rows of `in_w` floats (src) into R rows of a.out floats (dst): per
// band, acc[r] = Σ_u src[r][start + u] · band[u] with one FMA per input, in increasing u.
template <class Arch, std::size_t R>
inline void resize_rows(Arch, const resize_axis& a, const float* src, std::size_t in_w, float* dst,
                        std::size_t out_w) noexcept {
  using batch = float_batch<Arch>;
  constexpr std::size_t L = lanes<Arch>;
  constexpr std::size_t block = resize_axis::block;
  constexpr std::size_t V = block / L;
  static_assert(block % L == 0, "a band must be a whole number of registers");
  for (std::size_t b = 0; b < a.band_start.size(); ++b) {
    const float* x = src + a.band_start[b];
    const float* w = a.band_weight.data() + a.band_offset[b];
    const auto width = static_cast<std::size_t>(a.band_width[b]);
    std::array<std::array<batch, V>, R> acc;
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) acc[r][v] = batch(0.0f);
    for (std::size_t u = 0; u < width; ++u, w += block) {
      std::array<batch, V> wu;
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) wu[v] = batch::load_unaligned(w + v * L);
#pragma GCC unroll 8
      for (std::size_t r = 0; r < R; ++r) {
        const batch xr(x[r * in_w + u]);
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) acc[r][v] = fused_multiply_add<Arch>(xr, wu[v], acc[r][v]);
      }
    }
    const auto first = static_cast<std::size_t>(a.band_first[b]);
    const std::size_t n = std::min(block, a.out - first);
    for (std::size_t r = 0; r < R; ++r) {
      float* out = dst + r * out_w + first;
      if (n == block) {
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) acc[r][v].store_unaligned(out + v * L);
      } else {
        alignas(64) std::array<float, block> part;
        for (std::size_t v = 0; v < V; ++v) acc[r][v].store_aligned(part.data() + v * L);
        std::copy_n(part.data(), n, out);
      }
    }
  }
}

// The horizontal pass over `rows` rows.
template <class Arch>
inline void resize_horizontal(Arch arch, const resize_axis& a, const float* src, std::size_t rows,
                              float* dst) noexcept {
  // Rows per sweep: each band weight load feeds R FMAs; 8 accumulators whatever the width.
  constexpr std::size_t R = 8 * lanes<Arch> / resize_axis::block;
  std::size_t r = 0;
  for (; r + R <= rows; r += R) resize_rows<Arch, R>(arch, a, src + r * a.in, a.in, dst + r * a.out, a.out);
  for (; r < rows; ++r) resize_rows<Arch, 1>(arch, a, src + r * a.in, a.in, dst + r * a.out, a.out);
}

// Up to NV vectors of one output row of the vertical pass, at column offsets `cols`.
template <class Arch, std::size_t NV>
inline void resize_column_block(Arch, const resize_axis& a, std::size_t i, const float* src,
                                std::size_t width, float* out, const std::size_t* cols) noexcept {
  using batch = float_batch<Arch>;
  std::array<batch, NV> acc;
#pragma GCC unroll 4
  for (std::size_t v = 0; v < NV; ++v) acc[v] = batch(0.0f);
  const auto taps = static_cast<std::size_t>(a.count[i]);
  for (std::size_t k = 0; k < taps; ++k) {
    const float* row = src + static_cast<std::size_t>(a.index[k * a.out + i]) * width;
    const batch w(a.weight[k * a.out + i]);
#pragma GCC unroll 4
    for (std::size_t v = 0; v < NV; ++v)
      acc[v] = fused_multiply_add<Arch>(batch::load_unaligned(row + cols[v]), w, acc[v]);
  }
#pragma GCC unroll 4
  for (std::size_t v = 0; v < NV; ++v) acc[v].store_unaligned(out + cols[v]);
}

// dst[i][:] = Σ_k w[k][i]·src[index[k][i]][:] for i < out, rows of `width` floats. Columns go in
// register blocks of up to 4 vectors; a row's last block is shifted left to end at `width`
// (recomputing a column gives the same bits), so only rows narrower than a vector run scalar.
template <class Arch>
inline void resize_columns(Arch arch, const resize_axis& a, const float* src, std::size_t width,
                           float* dst) noexcept {
  constexpr std::size_t L = lanes<Arch>;
  constexpr std::size_t max_nv = 4;
  for (std::size_t i = 0; i < a.out; ++i) {
    float* out = dst + i * width;
    if (width < L) {
      for (std::size_t j = 0; j < width; ++j) {
        float acc = 0.0f;
        for (std::size_t k = 0; k < static_cast<std::size_t>(a.count[i]); ++k)
          acc = std::fma(src[static_cast<std::size_t>(a.index[k * a.out + i]) * width + j],
                         a.weight[k * a.out + i], acc);
        out[j] = acc;
      }
      continue;
    }
    for (std::size_t j0 = 0; j0 < width; j0 += max_nv * L) {
      const std::size_t nv = std::min(max_nv, (width - j0 + L - 1) / L);
      std::array<std::size_t, max_nv> cols{};
      for (std::size_t v = 0; v < nv; ++v) cols[v] = std::min(j0 + v * L, width - L);
      switch (nv) {
        case 1:
          resize_column_block<Arch, 1>(arch, a, i, src, width, out, cols.data());
          break;
        case 2:
          resize_column_block<Arch, 2>(arch, a, i, src, width, out, cols.data());
          break;
        case 3:
          resize_column_block<Arch, 3>(arch, a, i, src, width, out, cols.data());
          break;
        default:
          resize_column_block<Arch, 4>(arch, a, i, src, width, out, cols.data());
          break;
      }
    }
  }
}

}  // namespace detail

// Bilinear resize of (channels, in_h, in_w) images to (channels, out_h, out_w); see the file
// comment. Immutable once built, so one plan may serve many threads (each with its own scratch).
class resize_plan {
 public:
  // Throws shape_error [admn.resize.shape] when a size is 0 or reaches 2^31.
  resize_plan(std::size_t in_h, std::size_t in_w, std::size_t out_h, std::size_t out_w, bool antialias)
      : antialias_(antialias) {
    constexpr std::size_t max_dim = std::size_t{1} << 31;
    for (const std::size_t v : {in_h, in_w, out_h, out_w})
      if (v == 0 || v >= max_dim)
        throw shape_error("admn.resize.shape", "resize " + std::to_string(in_h) + "x" + std::to_string(in_w) +
                                                   " -> " + std::to_string(out_h) + "x" +
                                                   std::to_string(out_w) +
                                                   ": every size must be in [1, 2^31)");
    rows_ = antialias ? detail::resize_axis_antialias(in_h, out_h) : detail::resize_axis_linear(in_h, out_h);
    cols_ = antialias ? detail::resize_axis_antialias(in_w, out_w) : detail::resize_axis_linear(in_w, out_w);
  }

  [[nodiscard]] std::size_t in_h() const noexcept { return rows_.in; }
  [[nodiscard]] std::size_t in_w() const noexcept { return cols_.in; }
  [[nodiscard]] std::size_t out_h() const noexcept { return rows_.out; }
  [[nodiscard]] std::size_t out_w() const noexcept { return cols_.out; }
  [[nodiscard]] bool antialias() const noexcept { return antialias_; }
  // The vertical (rows) and horizontal (columns) weight tables.
  [[nodiscard]] const resize_axis& rows() const noexcept { return rows_; }
  [[nodiscard]] const resize_axis& cols() const noexcept { return cols_; }

  // Floats of scratch run() needs: one horizontally resized image plane, reused per channel.
  [[nodiscard]] std::size_t scratch_size(std::size_t /*channels*/) const noexcept {
    return rows_.identity() || cols_.identity() ? 0 : rows_.in * cols_.out;
  }

  // y = resize(x); x and y must not overlap; scratch holds scratch_size(channels) floats.
  template <class Arch>
  void run(Arch arch, const float* x, std::size_t channels, float* y, float* scratch) const noexcept {
    const std::size_t in_plane = rows_.in * cols_.in;
    const std::size_t out_plane = rows_.out * cols_.out;
    if (rows_.identity() && cols_.identity()) {
      std::memcpy(y, x, channels * in_plane * sizeof(float));
      return;
    }
    for (std::size_t c = 0; c < channels; ++c) {
      const float* xc = x + c * in_plane;
      float* yc = y + c * out_plane;
      if (cols_.identity()) {
        detail::resize_columns(arch, rows_, xc, cols_.in, yc);
        continue;
      }
      // Horizontal first, as ATen: straight into y when there is no vertical pass.
      float* wide = rows_.identity() ? yc : scratch;
      detail::resize_horizontal(arch, cols_, xc, rows_.in, wide);
      if (!rows_.identity()) detail::resize_columns(arch, rows_, wide, cols_.out, yc);
    }
  }
  // The same through the kernel table (kernels::active(): the run-time chosen level under
  // ADMN_DISPATCH). Throws as active() when ADMN_ISA is bad.
  void run(const float* x, std::size_t channels, float* y, float* scratch) const {
    active().resize(*this, x, channels, y, scratch);
  }

 private:
  bool antialias_ = true;
  resize_axis rows_;
  resize_axis cols_;
};

}  // namespace admn::kernels

// active()'s definition (it includes this header first).
#include <admn/kernels/dispatch.hpp>
