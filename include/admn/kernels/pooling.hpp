// admn/kernels/pooling.hpp — 2-D max pooling of one NCHW image (PyTorch's MaxPool2d).
//
//   y[c, i, j] = max_{r < kh, s < kw} x[c, i·sh + r, j·sw + s]
//   out_h = ⌊(in_h − kh) / sh⌋ + 1, out_w = ⌊(in_w − kw) / sw⌋ + 1
// No padding, no dilation, floor mode (PyTorch's defaults); a NaN in a window gives NaN, as in
// PyTorch. docs/numerics.md §4.2: MaxPool2d(3) (3×3, stride 3) in every controller encoder and (3, 6)
// with stride (3, 6) on the AVE audio branch.
//
// Implementation: the kh input rows of a window row are first reduced to one row with SIMD
// (contiguous), then each output takes the max of kw neighbours of that row (strided, scalar).
#pragma once

#include <admn/error.hpp>
#include <admn/kernels/simd.hpp>

#include <cstddef>
#include <limits>
#include <string>

namespace admn::kernels {

// The geometry of one max pooling. A stride of 0 means "equal to the kernel", PyTorch's default:
//   pool2d_shape{.channels = 6, .in_h = 82, .in_w = 82, .kernel_h = 3, .kernel_w = 3}
struct pool2d_shape {
  std::size_t channels = 0, in_h = 0, in_w = 0, kernel_h = 0, kernel_w = 0;
  std::size_t stride_h = 0, stride_w = 0;

  [[nodiscard]] constexpr std::size_t step_h() const noexcept { return stride_h ? stride_h : kernel_h; }
  [[nodiscard]] constexpr std::size_t step_w() const noexcept { return stride_w ? stride_w : kernel_w; }
  // Valid only after validate().
  [[nodiscard]] constexpr std::size_t out_h() const noexcept { return (in_h - kernel_h) / step_h() + 1; }
  [[nodiscard]] constexpr std::size_t out_w() const noexcept { return (in_w - kernel_w) / step_w() + 1; }
  [[nodiscard]] constexpr std::size_t input_size() const noexcept { return channels * in_h * in_w; }
  [[nodiscard]] constexpr std::size_t output_size() const noexcept { return channels * out_h() * out_w(); }

  // Throws shape_error [admn.pool2d.shape] for zero sizes, a window larger than the input, or an
  // element count of 2^40 or more. Run once, when a layer is built.
  void validate() const {
    const auto fail = [this](const std::string& why) {
      throw shape_error("admn.pool2d.shape", "max_pool2d " + describe() + ": " + why);
    };
    if (channels == 0 || in_h == 0 || in_w == 0 || kernel_h == 0 || kernel_w == 0)
      fail("every size must be at least 1");
    constexpr std::size_t max_dim = std::size_t{1} << 31;
    for (const std::size_t v : {channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w})
      if (v >= max_dim) fail("a size or stride reaches 2^31");
    if (kernel_h > in_h || kernel_w > in_w) fail("the window does not fit the input");
    if (channels * in_h > (std::size_t{1} << 40) / in_w) fail("the element count exceeds 2^40");
  }

  // "6x82x82, kernel 3x3, stride 3x3".
  [[nodiscard]] std::string describe() const {
    const auto two = [](std::size_t a, std::size_t b) { return std::to_string(a) + "x" + std::to_string(b); };
    return std::to_string(channels) + "x" + two(in_h, in_w) + ", kernel " + two(kernel_h, kernel_w) +
           ", stride " + two(step_h(), step_w());
  }

  friend constexpr bool operator==(const pool2d_shape&, const pool2d_shape&) = default;
};

// Floats of scratch max_pool2d needs: one input row.
[[nodiscard]] constexpr std::size_t max_pool2d_scratch_size(const pool2d_shape& s) noexcept { return s.in_w; }

namespace detail {

// The max of n floats, NaN if any is NaN (torch's max pooling propagates NaN). Branch-free: the
// comparison is one maxss and the NaN test a flag, since window maxima of real data are
// unpredictable.
inline float pool_max(const float* v, std::size_t n, std::size_t step) noexcept {
  float m = v[0];
  bool nan = m != m;
  for (std::size_t q = 1; q < n; ++q) {
    const float x = v[q * step];
    m = x > m ? x : m;
    nan |= x != x;
  }
  return nan ? std::numeric_limits<float>::quiet_NaN() : m;
}

}  // namespace detail

// y = max_pool2d(x) for one image of layout (channels, in_h, in_w) into (channels, out_h, out_w).
// `s` must have passed validate(); `scratch` holds max_pool2d_scratch_size(s) floats.
template <class Arch>
inline void max_pool2d(Arch, const pool2d_shape& s, const float* x, float* y, float* scratch) noexcept {
  using batch = float_batch<Arch>;
  const std::size_t out_h = s.out_h();
  const std::size_t out_w = s.out_w();
  const std::size_t sh = s.step_h();
  const std::size_t sw = s.step_w();
  // Only the columns some window reads.
  const std::size_t used_w = (out_w - 1) * sw + s.kernel_w;
  for (std::size_t c = 0; c < s.channels; ++c) {
    const float* plane = x + c * s.in_h * s.in_w;
    for (std::size_t i = 0; i < out_h; ++i) {
      const float* top = plane + i * sh * s.in_w;
      const float* row = top;
      if (s.kernel_h > 1) {
        std::size_t j = 0;
        for (; j < simd_end<Arch>(used_w); j += lanes<Arch>) {
          batch m = batch::load_unaligned(top + j);
          for (std::size_t r = 1; r < s.kernel_h; ++r) {
            const batch v = batch::load_unaligned(top + r * s.in_w + j);
            // select rather than max: NaN must win, whichever row holds it.
            m = xsimd::select((v > m) || xsimd::isnan(v), v, m);
          }
          m.store_unaligned(scratch + j);
        }
        for (; j < used_w; ++j) scratch[j] = detail::pool_max(top + j, s.kernel_h, s.in_w);
        row = scratch;
      }
      float* out = y + (c * out_h + i) * out_w;
      for (std::size_t j = 0; j < out_w; ++j) out[j] = detail::pool_max(row + j * sw, s.kernel_w, 1);
    }
  }
}

}  // namespace admn::kernels
