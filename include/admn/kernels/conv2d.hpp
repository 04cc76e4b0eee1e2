// admn/kernels/conv2d.hpp — 2-D convolution of one NCHW image (PyTorch's Conv2d, groups = 1).
//
//   y[o, i, j] = b[o] + Σ_{c < C_in, r < kh, s < kw} w[o, c, r, s] · x̂[c, i·sh + r, j·sw + s]
//   x̂ = x zero-padded by pad_h rows and pad_w columns on each side,
//   out_h = ⌊(in_h + 2·pad_h − kh) / sh⌋ + 1,  out_w = ⌊(in_w + 2·pad_w − kw) / sw⌋ + 1.
// Layouts: x (C_in, in_h, in_w), w (C_out, C_in, kh, kw), b (C_out) or nullptr, y (C_out, out_h, out_w),
// all dense row-major. The caller loops over the images of a batch.
// docs/numerics.md §4.2: the controller's encoders are stride-1, unpadded convolutions with bias, each
// followed by ReLU (fused here) or by BatchNorm then ReLU.
//
// Two algorithms, one contract (float32, agreement with the double reference to ~1e-6 relative):
//  - direct: stride_w = 1 and out_w ≥ 16. Output rows are computed in registers, up to 6 output
//    channels × 4 vectors at a time; every (c, r, s) step loads each input vector once and reuses
//    it for all the channels of the block. No im2col buffer, so scratch is only a padded copy of x
//    when there is padding. This is the path of every ADMN shape and it never allocates.
//  - im2col: any stride and width. Columns for a tile of output rows (≤ 256 KiB of scratch, at
//    least one row), then one Eigen GEMM per tile. Eigen packs its operands in stack buffers for
//    these tile sizes but may heap-allocate them when C_out · C_in · kh · kw is very large.
#pragma once

#include <admn/detail/assert.hpp>
#include <admn/error.hpp>
#include <admn/kernels/simd.hpp>
#include <admn/tensor/eigen.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace admn::kernels {

// The geometry of one convolution. Build it with designated initialisers:
//   conv2d_shape{.in_channels = 3, .in_h = 100, .in_w = 100, .out_channels = 6,
//                .kernel_h = 10, .kernel_w = 10}
struct conv2d_shape {
  std::size_t in_channels = 0, in_h = 0, in_w = 0, out_channels = 0, kernel_h = 0, kernel_w = 0;
  std::size_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;

  // Valid only after validate() (a kernel larger than the padded input has no output).
  [[nodiscard]] constexpr std::size_t out_h() const noexcept {
    return (in_h + 2 * pad_h - kernel_h) / stride_h + 1;
  }
  [[nodiscard]] constexpr std::size_t out_w() const noexcept {
    return (in_w + 2 * pad_w - kernel_w) / stride_w + 1;
  }
  [[nodiscard]] constexpr std::size_t input_size() const noexcept { return in_channels * in_h * in_w; }
  [[nodiscard]] constexpr std::size_t output_size() const noexcept {
    return out_channels * out_h() * out_w();
  }
  [[nodiscard]] constexpr std::size_t weight_size() const noexcept {
    return out_channels * in_channels * kernel_h * kernel_w;
  }
  // Multiply-accumulates of one image (2 FLOP each).
  [[nodiscard]] constexpr std::size_t macs() const noexcept {
    return output_size() * in_channels * kernel_h * kernel_w;
  }

  // Throws shape_error [admn.conv2d.shape] for zero sizes or strides, a kernel larger than the
  // padded input, or sizes whose element counts overflow. Run once, when a layer is built.
  void validate() const {
    const auto fail = [this](const std::string& why) {
      throw shape_error("admn.conv2d.shape", "conv2d " + describe() + ": " + why);
    };
    if (in_channels == 0 || in_h == 0 || in_w == 0 || out_channels == 0 || kernel_h == 0 || kernel_w == 0)
      fail("every size must be at least 1");
    if (stride_h == 0 || stride_w == 0) fail("strides must be at least 1");
    // Bounds that keep every size, padded size and element count far from overflow.
    constexpr std::size_t max_dim = std::size_t{1} << 31;
    constexpr std::size_t max_count = std::size_t{1} << 40;
    for (const std::size_t v :
         {in_channels, in_h, in_w, out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w})
      if (v >= max_dim) fail("a size or stride reaches 2^31");
    if (kernel_h > in_h + 2 * pad_h || kernel_w > in_w + 2 * pad_w)
      fail("kernel " + std::to_string(kernel_h) + "x" + std::to_string(kernel_w) +
           " does not fit the padded input " + std::to_string(in_h + 2 * pad_h) + "x" +
           std::to_string(in_w + 2 * pad_w));
    const auto checked = [&](std::initializer_list<std::size_t> factors) {
      std::size_t p = 1;
      for (const std::size_t f : factors) {
        if (f != 0 && p > max_count / f) fail("an element count exceeds 2^40");
        p *= f;
      }
    };
    checked({in_channels, in_h + 2 * pad_h, in_w + 2 * pad_w});
    checked({out_channels, out_h(), out_w()});
    checked({out_channels, in_channels, kernel_h, kernel_w});
    checked({in_channels, kernel_h, kernel_w, out_h(), out_w()});
  }

  // "in 3x100x100, out 6, kernel 10x10, stride 1x1, pad 0x0".
  [[nodiscard]] std::string describe() const {
    const auto two = [](std::size_t a, std::size_t b) { return std::to_string(a) + "x" + std::to_string(b); };
    return "in " + std::to_string(in_channels) + "x" + two(in_h, in_w) + ", out " +
           std::to_string(out_channels) + ", kernel " + two(kernel_h, kernel_w) + ", stride " +
           two(stride_h, stride_w) + ", pad " + two(pad_h, pad_w);
  }

  friend constexpr bool operator==(const conv2d_shape&, const conv2d_shape&) = default;
};

enum class conv2d_epilogue : std::uint8_t { none, relu };
enum class conv2d_algorithm : std::uint8_t { automatic, direct, im2col };

struct conv2d_options {
  conv2d_epilogue epilogue = conv2d_epilogue::none;
  conv2d_algorithm algorithm = conv2d_algorithm::automatic;
};

// Output widths below this use im2col: the direct path needs one full vector of the widest
// instruction set (AVX-512) per row.
inline constexpr std::size_t conv2d_direct_min_width = 16;

// Whether `algorithm` can run `s`; automatic always can.
[[nodiscard]] constexpr bool conv2d_supports(const conv2d_shape& s, conv2d_algorithm algorithm) noexcept {
  if (algorithm != conv2d_algorithm::direct) return true;
  return s.stride_w == 1 && s.out_w() >= conv2d_direct_min_width;
}

// The algorithm that runs for `requested`: automatic picks one, and a direct request that
// cannot run `s` falls back to im2col. On one AVX-512 core direct runs at ~150 GFLOP/s for the
// ADMN shapes (bench/conv_bench.cpp: 4-12x im2col) and still wins at 96 output channels
// (58×58, k3: 150 vs 120 GFLOP/s); at 192 channels × 64 inputs Eigen's packed GEMM wins.
[[nodiscard]] constexpr conv2d_algorithm conv2d_resolve(const conv2d_shape& s,
                                                        conv2d_algorithm requested) noexcept {
  if (requested == conv2d_algorithm::im2col) return requested;
  if (requested == conv2d_algorithm::direct)
    return conv2d_supports(s, requested) ? requested : conv2d_algorithm::im2col;
  return conv2d_supports(s, conv2d_algorithm::direct) && s.out_channels <= 128 ? conv2d_algorithm::direct
                                                                               : conv2d_algorithm::im2col;
}

namespace detail {

inline constexpr std::size_t conv_im2col_budget = 64 * 1024;  // floats per column tile

// Output rows per im2col tile: as many as fit the budget, at least one.
[[nodiscard]] constexpr std::size_t conv_tile_rows(const conv2d_shape& s) noexcept {
  const std::size_t row = s.in_channels * s.kernel_h * s.kernel_w * s.out_w();
  return std::clamp<std::size_t>(conv_im2col_budget / row, 1, s.out_h());
}

}  // namespace detail

// Floats of scratch memory conv2d needs for `s` with `algorithm`.
[[nodiscard]] constexpr std::size_t conv2d_scratch_size(
    const conv2d_shape& s, conv2d_algorithm algorithm = conv2d_algorithm::automatic) noexcept {
  switch (conv2d_resolve(s, algorithm)) {
    case conv2d_algorithm::direct:
      return s.pad_h == 0 && s.pad_w == 0 ? 0
                                          : s.in_channels * (s.in_h + 2 * s.pad_h) * (s.in_w + 2 * s.pad_w);
    default:
      return s.in_channels * s.kernel_h * s.kernel_w * s.out_w() * detail::conv_tile_rows(s);
  }
}

namespace detail {

template <class Arch>
inline void conv_bias_relu_row(Arch, float* y, std::size_t n, float bias, bool relu) noexcept {
  using batch = float_batch<Arch>;
  const batch b(bias);
  const batch zero(0.0f);
  std::size_t i = 0;
  for (; i < simd_end<Arch>(n); i += lanes<Arch>) {
    batch v = batch::load_unaligned(y + i) + b;
    if (relu) v = xsimd::max(zero, v);  // operand order keeps NaN, as torch.relu does
    v.store_unaligned(y + i);
  }
  for (; i < n; ++i) {
    const float v = y[i] + bias;
    y[i] = relu && v < 0.0f ? 0.0f : v;
  }
}

// Geometry of the direct path over a (possibly padded copy of the) input.
struct conv_direct_geometry {
  const float* x;       // channel 0, row 0 of the (padded) input
  std::size_t x_plane;  // floats per input channel
  std::size_t x_row;    // floats per input row
  std::size_t in_channels, kernel_h, kernel_w;
  std::size_t w_per_out;  // in_channels · kh · kw
  std::size_t y_plane;    // floats per output channel
};

// OC output channels × NV vectors of one output row. `cols` holds the NV column offsets (the last
// ones may overlap their predecessors so that a row needs no masked tail: recomputing an output
// gives the same bits).
template <class Arch, std::size_t OC, std::size_t NV>
inline void conv_direct_block(Arch, const conv_direct_geometry& g, const float* x_row, const float* w,
                              const float* bias, float* y_row, const std::size_t* cols, bool relu) noexcept {
  using batch = float_batch<Arch>;
  std::array<std::array<batch, NV>, OC> acc;
#pragma GCC unroll 8
  for (std::size_t o = 0; o < OC; ++o)
#pragma GCC unroll 4
    for (std::size_t v = 0; v < NV; ++v) acc[o][v] = batch(bias ? bias[o] : 0.0f);

  for (std::size_t c = 0; c < g.in_channels; ++c) {
    for (std::size_t r = 0; r < g.kernel_h; ++r) {
      const float* xr = x_row + c * g.x_plane + r * g.x_row;
      const float* wr = w + (c * g.kernel_h + r) * g.kernel_w;
      for (std::size_t s = 0; s < g.kernel_w; ++s) {
        std::array<batch, NV> xv;
#pragma GCC unroll 4
        for (std::size_t v = 0; v < NV; ++v) xv[v] = batch::load_unaligned(xr + cols[v] + s);
#pragma GCC unroll 8
        for (std::size_t o = 0; o < OC; ++o) {
          const batch wv(wr[o * g.w_per_out + s]);
#pragma GCC unroll 4
          for (std::size_t v = 0; v < NV; ++v) acc[o][v] = fused_multiply_add<Arch>(wv, xv[v], acc[o][v]);
        }
      }
    }
  }
  const batch zero(0.0f);
#pragma GCC unroll 8
  for (std::size_t o = 0; o < OC; ++o)
#pragma GCC unroll 4
    for (std::size_t v = 0; v < NV; ++v) {
      batch out = acc[o][v];
      if (relu) out = xsimd::max(zero, out);
      out.store_unaligned(y_row + o * g.y_plane + cols[v]);
    }
}

template <class Arch, std::size_t OC>
inline void conv_direct_dispatch_nv(Arch arch, std::size_t nv, const conv_direct_geometry& g,
                                    const float* x_row, const float* w, const float* bias, float* y_row,
                                    const std::size_t* cols, bool relu) noexcept {
  switch (nv) {
    case 1:
      conv_direct_block<Arch, OC, 1>(arch, g, x_row, w, bias, y_row, cols, relu);
      break;
    case 2:
      conv_direct_block<Arch, OC, 2>(arch, g, x_row, w, bias, y_row, cols, relu);
      break;
    case 3:
      conv_direct_block<Arch, OC, 3>(arch, g, x_row, w, bias, y_row, cols, relu);
      break;
    default:
      conv_direct_block<Arch, OC, 4>(arch, g, x_row, w, bias, y_row, cols, relu);
      break;
  }
}

inline constexpr std::size_t conv_direct_max_oc = 6;
inline constexpr std::size_t conv_direct_max_nv = 4;

template <class Arch>
inline void conv2d_direct(Arch arch, const conv2d_shape& s, const float* x, const float* weight,
                          const float* bias, float* y, float* scratch, bool relu) noexcept {
  constexpr std::size_t L = lanes<Arch>;
  const std::size_t out_h = s.out_h();
  const std::size_t out_w = s.out_w();
  ADMN_ASSERT(s.stride_w == 1 && out_w >= L);

  conv_direct_geometry g{};
  if (s.pad_h != 0 || s.pad_w != 0) {
    // A zero-bordered copy keeps the inner loop free of bounds tests.
    const std::size_t ph = s.in_h + 2 * s.pad_h;
    const std::size_t pw = s.in_w + 2 * s.pad_w;
    std::fill_n(scratch, s.in_channels * ph * pw, 0.0f);
    for (std::size_t c = 0; c < s.in_channels; ++c)
      for (std::size_t r = 0; r < s.in_h; ++r)
        std::memcpy(scratch + (c * ph + r + s.pad_h) * pw + s.pad_w, x + (c * s.in_h + r) * s.in_w,
                    s.in_w * sizeof(float));
    g.x = scratch;
    g.x_plane = ph * pw;
    g.x_row = pw;
  } else {
    g.x = x;
    g.x_plane = s.in_h * s.in_w;
    g.x_row = s.in_w;
  }
  g.in_channels = s.in_channels;
  g.kernel_h = s.kernel_h;
  g.kernel_w = s.kernel_w;
  g.w_per_out = s.in_channels * s.kernel_h * s.kernel_w;
  g.y_plane = out_h * out_w;

  for (std::size_t i = 0; i < out_h; ++i) {
    const float* x_row = g.x + i * s.stride_h * g.x_row;
    for (std::size_t o0 = 0; o0 < s.out_channels; o0 += conv_direct_max_oc) {
      const std::size_t oc = std::min(conv_direct_max_oc, s.out_channels - o0);
      const float* w = weight + o0 * g.w_per_out;
      const float* b = bias ? bias + o0 : nullptr;
      float* y_row = y + o0 * g.y_plane + i * out_w;
      for (std::size_t j0 = 0; j0 < out_w; j0 += conv_direct_max_nv * L) {
        const std::size_t remaining = out_w - j0;
        const std::size_t nv = std::min(conv_direct_max_nv, (remaining + L - 1) / L);
        std::array<std::size_t, conv_direct_max_nv> cols{};
        for (std::size_t v = 0; v < nv; ++v) cols[v] = std::min(j0 + v * L, out_w - L);
        switch (oc) {
          case 1:
            conv_direct_dispatch_nv<Arch, 1>(arch, nv, g, x_row, w, b, y_row, cols.data(), relu);
            break;
          case 2:
            conv_direct_dispatch_nv<Arch, 2>(arch, nv, g, x_row, w, b, y_row, cols.data(), relu);
            break;
          case 3:
            conv_direct_dispatch_nv<Arch, 3>(arch, nv, g, x_row, w, b, y_row, cols.data(), relu);
            break;
          case 4:
            conv_direct_dispatch_nv<Arch, 4>(arch, nv, g, x_row, w, b, y_row, cols.data(), relu);
            break;
          case 5:
            conv_direct_dispatch_nv<Arch, 5>(arch, nv, g, x_row, w, b, y_row, cols.data(), relu);
            break;
          default:
            conv_direct_dispatch_nv<Arch, 6>(arch, nv, g, x_row, w, b, y_row, cols.data(), relu);
            break;
        }
      }
    }
  }
}

// Columns of output rows [row0, row1): cols[(c·kh + r)·kw + s][(i − row0)·out_w + j].
inline void conv_im2col(const conv2d_shape& s, const float* x, std::size_t row0, std::size_t row1,
                        float* cols) noexcept {
  const std::size_t out_w = s.out_w();
  const std::size_t n = (row1 - row0) * out_w;
  // Signed arithmetic: padding makes source coordinates negative.
  const auto in_h = static_cast<std::ptrdiff_t>(s.in_h);
  const auto in_w = static_cast<std::ptrdiff_t>(s.in_w);
  float* out = cols;
  for (std::size_t c = 0; c < s.in_channels; ++c)
    for (std::size_t r = 0; r < s.kernel_h; ++r)
      for (std::size_t q = 0; q < s.kernel_w; ++q, out += n) {
        float* dst = out;
        for (std::size_t i = row0; i < row1; ++i, dst += out_w) {
          const auto yy =
              static_cast<std::ptrdiff_t>(i * s.stride_h + r) - static_cast<std::ptrdiff_t>(s.pad_h);
          if (yy < 0 || yy >= in_h) {
            std::fill_n(dst, out_w, 0.0f);
            continue;
          }
          const float* src = x + (c * s.in_h + static_cast<std::size_t>(yy)) * s.in_w;
          for (std::size_t j = 0; j < out_w; ++j) {
            const auto xx =
                static_cast<std::ptrdiff_t>(j * s.stride_w + q) - static_cast<std::ptrdiff_t>(s.pad_w);
            dst[j] = xx < 0 || xx >= in_w ? 0.0f : src[xx];
          }
        }
      }
}

template <class Arch>
inline void conv2d_im2col(Arch arch, const conv2d_shape& s, const float* x, const float* weight,
                          const float* bias, float* y, float* scratch, bool relu) {
  const std::size_t out_h = s.out_h();
  const std::size_t out_w = s.out_w();
  const std::size_t plane = out_h * out_w;
  const std::size_t k = s.in_channels * s.kernel_h * s.kernel_w;
  const std::size_t tile = conv_tile_rows(s);
  const const_matrix_map w = as_matrix(weight, s.out_channels, k, k);
  for (std::size_t row0 = 0; row0 < out_h; row0 += tile) {
    const std::size_t row1 = std::min(out_h, row0 + tile);
    const std::size_t n = (row1 - row0) * out_w;
    conv_im2col(s, x, row0, row1, scratch);
    matrix_map out = as_matrix(y + row0 * out_w, s.out_channels, n, plane);
    out.noalias() = w * as_matrix(static_cast<const float*>(scratch), k, n, n);
    if (bias != nullptr || relu)
      for (std::size_t o = 0; o < s.out_channels; ++o)
        conv_bias_relu_row(arch, y + o * plane + row0 * out_w, n, bias ? bias[o] : 0.0f, relu);
  }
}

}  // namespace detail

// y = conv2d(x; weight, bias) for one image; see the file comment for layouts. `s` must have
// passed validate(); `scratch` holds conv2d_scratch_size(s, options.algorithm) floats (nullptr
// when that is 0). A direct request that cannot run `s` falls back to im2col (conv2d_resolve).
// x and y must not overlap.
template <class Arch>
inline void conv2d(Arch arch, const conv2d_shape& s, const float* x, const float* weight, const float* bias,
                   float* y, float* scratch, conv2d_options options = {}) {
  const bool relu = options.epilogue == conv2d_epilogue::relu;
  const conv2d_algorithm algorithm = conv2d_resolve(s, options.algorithm);
  static_assert(lanes<Arch> <= conv2d_direct_min_width);
  if (algorithm == conv2d_algorithm::direct)
    detail::conv2d_direct(arch, s, x, weight, bias, y, scratch, relu);
  else
    detail::conv2d_im2col(arch, s, x, weight, bias, y, scratch, relu);
}

}  // namespace admn::kernels
