// admn/kernels/reference_conv.hpp — plain scalar references for the convolution-side kernels
// (conv2d, max_pool2d, batch_norm, bilinear resize, sinusoidal positional encoding).
//
// Each is the textbook loop of its formula, written for clarity, not speed; the optimised
// kernels are tested against them (tests/kernels/*_test.cpp). Sums and normalisations that are
// the same mathematics in any order run in double, so the references are the "true" values of
// the float inputs. Resize is the exception: PyTorch's float32 weights are part of its definition
// (docs/numerics.md §4.1), so the reference recomputes them in float32 per output pixel, sums taps in
// order, and does so without the plan's tables, gathers or padding.
// These functions may allocate; they are never on a hot path.
#pragma once

#include <admn/kernels/conv2d.hpp>
#include <admn/kernels/pooling.hpp>
#include <admn/kernels/unfused.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace admn::kernels::reference {

// y = conv2d(x; w, b) (+ ReLU), one NCHW image, sums in double. docs/numerics.md §4.2.
inline void conv2d(const conv2d_shape& s, const float* x, const float* w, const float* b, float* y,
                   bool relu = false) {
  const std::size_t oh = s.out_h();
  const std::size_t ow = s.out_w();
  for (std::size_t o = 0; o < s.out_channels; ++o)
    for (std::size_t i = 0; i < oh; ++i)
      for (std::size_t j = 0; j < ow; ++j) {
        double acc = b ? b[o] : 0.0;
        for (std::size_t c = 0; c < s.in_channels; ++c)
          for (std::size_t r = 0; r < s.kernel_h; ++r)
            for (std::size_t q = 0; q < s.kernel_w; ++q) {
              const auto yy =
                  static_cast<std::ptrdiff_t>(i * s.stride_h + r) - static_cast<std::ptrdiff_t>(s.pad_h);
              const auto xx =
                  static_cast<std::ptrdiff_t>(j * s.stride_w + q) - static_cast<std::ptrdiff_t>(s.pad_w);
              if (yy < 0 || xx < 0 || yy >= static_cast<std::ptrdiff_t>(s.in_h) ||
                  xx >= static_cast<std::ptrdiff_t>(s.in_w))
                continue;
              acc += static_cast<double>(w[((o * s.in_channels + c) * s.kernel_h + r) * s.kernel_w + q]) *
                     x[(c * s.in_h + static_cast<std::size_t>(yy)) * s.in_w + static_cast<std::size_t>(xx)];
            }
        const auto v = static_cast<float>(acc);
        y[(o * oh + i) * ow + j] = relu && v < 0.0f ? 0.0f : v;
      }
}

// y = max_pool2d(x), one NCHW image; NaN wins.
inline void max_pool2d(const pool2d_shape& s, const float* x, float* y) {
  const std::size_t oh = s.out_h();
  const std::size_t ow = s.out_w();
  for (std::size_t c = 0; c < s.channels; ++c)
    for (std::size_t i = 0; i < oh; ++i)
      for (std::size_t j = 0; j < ow; ++j) {
        float m = -INFINITY;
        for (std::size_t r = 0; r < s.kernel_h; ++r)
          for (std::size_t q = 0; q < s.kernel_w; ++q) {
            const float v = x[(c * s.in_h + i * s.step_h() + r) * s.in_w + j * s.step_w() + q];
            if (v > m || std::isnan(v)) m = v;
          }
        y[(c * oh + i) * ow + j] = m;
      }
}

// y = (x − mean)/√(var + eps)·γ + β (+ ReLU) per channel of a (channels, spatial) block, in
// double. docs/numerics.md §10.7.
inline void batch_norm(const float* x, std::size_t channels, std::size_t spatial, const float* weight,
                       const float* bias, const float* mean, const float* var, double eps, float* y,
                       bool relu = false) {
  for (std::size_t c = 0; c < channels; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
    for (std::size_t p = 0; p < spatial; ++p) {
      const double v = (x[c * spatial + p] - static_cast<double>(mean[c])) * invstd * weight[c] + bias[c];
      const auto f = static_cast<float>(v);
      y[c * spatial + p] = relu && f < 0.0f ? 0.0f : f;
    }
  }
}

// One output's source taps along one axis: (index, float32 weight) in summation order.
using resize_taps = std::vector<std::pair<std::size_t, float>>;

// docs/numerics.md §4.1 antialiased weights for output i, float32 as ATen computes them.
inline resize_taps resize_taps_antialias(std::size_t in, std::size_t out, std::size_t i) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const float support = std::max(scale, 1.0f);
  const float invscale = scale >= 1.0f ? static_cast<float>(1.0 / scale) : 1.0f;
  const auto center = static_cast<float>(scale * (static_cast<double>(i) + 0.5));
  const auto lo = static_cast<std::int64_t>(static_cast<double>(center - support) + 0.5);
  const auto hi = static_cast<std::int64_t>(static_cast<double>(center + support) + 0.5);
  const std::size_t xmin = static_cast<std::size_t>(std::max<std::int64_t>(lo, 0));
  const std::size_t xmax = std::min(static_cast<std::size_t>(std::max<std::int64_t>(hi, 0)), in);
  resize_taps taps;
  float total = 0.0f;
  for (std::size_t j = xmin; j < xmax; ++j) {
    const auto t = static_cast<float>((static_cast<double>(static_cast<float>(j) - center) + 0.5) * invscale);
    const float a = std::abs(t);
    const float w = a < 1.0f ? 1.0f - a : 0.0f;
    taps.emplace_back(j, w);
    total += w;
  }
  if (total != 0.0f)
    for (auto& tap : taps) tap.second /= total;
  return taps;
}

// docs/numerics.md §4.1 plain bilinear weights for output i (two taps, possibly the same index).
inline resize_taps resize_taps_linear(std::size_t in, std::size_t out, std::size_t i) {
  if (in == out) return {{i, 1.0f}, {i, 0.0f}};
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const float s = std::max(unfused_product(scale, static_cast<float>(i) + 0.5f) - 0.5f, 0.0f);
  const std::size_t i0 = std::min(static_cast<std::size_t>(std::floor(s)), in - 1);
  const std::size_t i1 = i0 + 1 < in ? i0 + 1 : i0;
  const float lambda = std::clamp(s - static_cast<float>(i0), 0.0f, 1.0f);
  return {{i0, 1.0f - lambda}, {i1, lambda}};
}

// Bilinear resize (align_corners = False) of (channels, in_h, in_w) to (channels, out_h, out_w):
// horizontal pass into a float32 buffer, then vertical, each output summed tap by tap.
inline void resize_bilinear(const float* x, std::size_t channels, std::size_t in_h, std::size_t in_w,
                            std::size_t out_h, std::size_t out_w, bool antialias, float* y) {
  const auto taps = [antialias](std::size_t in, std::size_t out, std::size_t i) {
    return antialias ? resize_taps_antialias(in, out, i) : resize_taps_linear(in, out, i);
  };
  std::vector<float> wide(in_h * out_w);
  for (std::size_t c = 0; c < channels; ++c) {
    const float* xc = x + c * in_h * in_w;
    for (std::size_t r = 0; r < in_h; ++r)
      for (std::size_t j = 0; j < out_w; ++j) {
        if (in_w == out_w) {
          wide[r * out_w + j] = xc[r * in_w + j];
          continue;
        }
        float acc = 0.0f;
        for (const auto& [k, w] : taps(in_w, out_w, j)) acc += xc[r * in_w + k] * w;
        wide[r * out_w + j] = acc;
      }
    for (std::size_t i = 0; i < out_h; ++i)
      for (std::size_t j = 0; j < out_w; ++j) {
        float acc = 0.0f;
        if (in_h == out_h)
          acc = wide[i * out_w + j];
        else
          for (const auto& [k, w] : taps(in_h, out_h, i)) acc += wide[k * out_w + j] * w;
        y[(c * out_h + i) * out_w + j] = acc;
      }
  }
}

// docs/numerics.md §4.4 in double: the mathematical values the float32 encoding approximates.
inline void sinusoidal_positional_encoding(double* out, std::size_t length, std::size_t d_model) {
  for (std::size_t p = 0; p < length; ++p)
    for (std::size_t i = 0; i < d_model / 2; ++i) {
      const double angle = static_cast<double>(p) * std::exp(-static_cast<double>(2 * i) * std::log(10000.0) /
                                                             static_cast<double>(d_model));
      out[p * d_model + 2 * i] = std::sin(angle);
      out[p * d_model + 2 * i + 1] = std::cos(angle);
    }
}

}  // namespace admn::kernels::reference
