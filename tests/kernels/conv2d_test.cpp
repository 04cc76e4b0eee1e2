// conv2d kernel: both algorithms against the scalar reference, at widths around the SIMD width.
#include "common/detgen.hpp"

#include <admn/kernels/conv2d.hpp>
#include <admn/kernels/reference_conv.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

using admn::kernels::conv2d_algorithm;
using admn::kernels::conv2d_epilogue;
using admn::kernels::conv2d_shape;

// ‖a − b‖ / ‖b‖ (0 when both are 0).
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0.0;
  double den = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    den += static_cast<double>(b[i]) * b[i];
  }
  return den == 0.0 ? std::sqrt(num) : std::sqrt(num / den);
}

double max_abs_error(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

std::vector<float> values(std::uint64_t seed, std::size_t n, double scale) {
  const admn::tensor t = admn::test::detgen(seed, admn::shape{n}, scale);
  return {t.data(), t.data() + n};
}

// Runs the kernel with `algorithm` and compares it with the reference.
template <class Arch>
void check_conv2d_against_reference(Arch arch, const conv2d_shape& s, conv2d_algorithm algorithm, bool bias,
                                    bool relu) {
  s.validate();
  const auto x = values(1, s.input_size(), 1.0);
  const auto w = values(2, s.weight_size(), 0.25);
  const auto b = values(3, s.out_channels, 0.5);
  std::vector<float> expected(s.output_size());
  admn::kernels::reference::conv2d(s, x.data(), w.data(), bias ? b.data() : nullptr, expected.data(), relu);

  // Poisoned output and scratch: every element must be written, scratch contents must not matter.
  std::vector<float> got(s.output_size(), std::numeric_limits<float>::quiet_NaN());
  std::vector<float> scratch(admn::kernels::conv2d_scratch_size(s, algorithm) + 1,
                             std::numeric_limits<float>::quiet_NaN());
  admn::kernels::conv2d(
      arch, s, x.data(), w.data(), bias ? b.data() : nullptr, got.data(), scratch.data(),
      {.epilogue = relu ? conv2d_epilogue::relu : conv2d_epilogue::none, .algorithm = algorithm});
  INFO(s.describe(), " algorithm ", static_cast<int>(algorithm), " bias ", bias, " relu ", relu);
  CHECK(relative_error(got, expected) <= 2e-6);
  CHECK(max_abs_error(got, expected) <= 2e-5);
  CHECK(std::none_of(got.begin(), got.end(), [](float v) { return std::isnan(v); }));
  if (relu) CHECK(std::all_of(got.begin(), got.end(), [](float v) { return v >= 0.0f; }));
}

template <class Arch>
void sweep_conv2d(Arch arch) {
  // Output widths 1, 7, 16, 17, 33 and 91 straddle the 4/8/16-float vector widths; channel
  // counts cover every output-channel block of the direct path (1..6 and a remainder after 6).
  for (const std::size_t out_w : {1, 7, 16, 17, 33, 91})
    for (const std::size_t out_c : {1, 3, 6, 7, 13})
      for (const conv2d_algorithm algorithm :
           {conv2d_algorithm::automatic, conv2d_algorithm::direct, conv2d_algorithm::im2col}) {
        const conv2d_shape s{.in_channels = 2,
                             .in_h = 6,
                             .in_w = out_w + 2,
                             .out_channels = out_c,
                             .kernel_h = 3,
                             .kernel_w = 3};
        check_conv2d_against_reference(arch, s, algorithm, out_c % 2 == 1, out_c > 3);
      }
}

}  // namespace

TEST_CASE("conv2d shape: output size, counts, validation") {
  const conv2d_shape s{
      .in_channels = 3, .in_h = 100, .in_w = 100, .out_channels = 6, .kernel_h = 10, .kernel_w = 10};
  CHECK(s.out_h() == 91);
  CHECK(s.out_w() == 91);
  CHECK(s.weight_size() == 6 * 3 * 100);
  CHECK(s.macs() == 6u * 91 * 91 * 300);
  CHECK_NOTHROW(s.validate());

  const conv2d_shape strided{.in_channels = 1,
                             .in_h = 7,
                             .in_w = 8,
                             .out_channels = 1,
                             .kernel_h = 3,
                             .kernel_w = 2,
                             .stride_h = 2,
                             .stride_w = 3,
                             .pad_h = 1,
                             .pad_w = 2};
  CHECK(strided.out_h() == 4);  // (7 + 2 − 3)/2 + 1
  CHECK(strided.out_w() == 4);  // (8 + 4 − 2)/3 + 1

  const auto id_of = [](const conv2d_shape& bad) -> std::string {
    try {
      bad.validate();
    } catch (const admn::shape_error& e) {
      return e.id();
    }
    return "no error";
  };
  CHECK(
      id_of({.in_channels = 3, .in_h = 9, .in_w = 100, .out_channels = 6, .kernel_h = 10, .kernel_w = 10}) ==
      "admn.conv2d.shape");
  CHECK(id_of({.in_channels = 3,
               .in_h = 7,
               .in_w = 8,
               .out_channels = 6,
               .kernel_h = 10,
               .kernel_w = 10,
               .pad_h = 1,
               .pad_w = 1}) == "admn.conv2d.shape");
  CHECK(id_of({.in_channels = 0, .in_h = 8, .in_w = 8, .out_channels = 6, .kernel_h = 3, .kernel_w = 3}) ==
        "admn.conv2d.shape");
  CHECK(id_of({.in_channels = 1,
               .in_h = 8,
               .in_w = 8,
               .out_channels = 6,
               .kernel_h = 3,
               .kernel_w = 3,
               .stride_h = 0}) == "admn.conv2d.shape");
  CHECK(id_of({.in_channels = std::size_t{1} << 30,
               .in_h = std::size_t{1} << 30,
               .in_w = 8,
               .out_channels = 1,
               .kernel_h = 1,
               .kernel_w = 1}) == "admn.conv2d.shape");
  // Padding lets a kernel exceed the raw input.
  CHECK(id_of({.in_channels = 1,
               .in_h = 8,
               .in_w = 8,
               .out_channels = 1,
               .kernel_h = 10,
               .kernel_w = 10,
               .pad_h = 1,
               .pad_w = 1}) == "no error");
  try {
    conv2d_shape{.in_channels = 3, .in_h = 9, .in_w = 100, .out_channels = 6, .kernel_h = 10, .kernel_w = 10}
        .validate();
  } catch (const admn::shape_error& e) {
    CHECK(std::string(e.what()).find("kernel 10x10 does not fit the padded input 9x100") !=
          std::string::npos);
  }
}

TEST_CASE("conv2d algorithm choice and scratch sizes") {
  const conv2d_shape wide{
      .in_channels = 3, .in_h = 100, .in_w = 100, .out_channels = 6, .kernel_h = 10, .kernel_w = 10};
  CHECK(admn::kernels::conv2d_resolve(wide, conv2d_algorithm::automatic) == conv2d_algorithm::direct);
  CHECK(admn::kernels::conv2d_scratch_size(wide) == 0);
  const conv2d_shape narrow{
      .in_channels = 3, .in_h = 10, .in_w = 10, .out_channels = 6, .kernel_h = 5, .kernel_w = 5};
  CHECK(admn::kernels::conv2d_resolve(narrow, conv2d_algorithm::direct) == conv2d_algorithm::im2col);
  CHECK(admn::kernels::conv2d_scratch_size(narrow, conv2d_algorithm::direct) == 3 * 25 * 6 * 6);
  const conv2d_shape strided{.in_channels = 3,
                             .in_h = 100,
                             .in_w = 100,
                             .out_channels = 6,
                             .kernel_h = 2,
                             .kernel_w = 2,
                             .stride_w = 2};
  CHECK(admn::kernels::conv2d_resolve(strided, conv2d_algorithm::automatic) == conv2d_algorithm::im2col);
  const conv2d_shape padded{.in_channels = 2,
                            .in_h = 20,
                            .in_w = 20,
                            .out_channels = 4,
                            .kernel_h = 3,
                            .kernel_w = 3,
                            .pad_h = 1,
                            .pad_w = 2};
  CHECK(admn::kernels::conv2d_scratch_size(padded, conv2d_algorithm::direct) == 2 * 22 * 24);
}

TEST_CASE("conv2d matches the reference at widths around the SIMD width (default arch)") {
  sweep_conv2d(admn::kernels::default_arch{});
}

#if XSIMD_WITH_SSE2
TEST_CASE("conv2d matches the reference at widths around the SIMD width (sse2)") {
  sweep_conv2d(xsimd::sse2{});
}
#endif

TEST_CASE("conv2d with stride, padding and tiled im2col matches the reference") {
  const admn::kernels::default_arch arch;
  for (const conv2d_algorithm algorithm : {conv2d_algorithm::direct, conv2d_algorithm::im2col}) {
    // Padding on both axes; stride only on rows keeps the direct path eligible.
    check_conv2d_against_reference(arch,
                                   {.in_channels = 3,
                                    .in_h = 11,
                                    .in_w = 37,
                                    .out_channels = 5,
                                    .kernel_h = 4,
                                    .kernel_w = 5,
                                    .stride_h = 2,
                                    .pad_h = 2,
                                    .pad_w = 1},
                                   algorithm, true, false);
    check_conv2d_against_reference(arch,
                                   {.in_channels = 2,
                                    .in_h = 9,
                                    .in_w = 19,
                                    .out_channels = 7,
                                    .kernel_h = 3,
                                    .kernel_w = 3,
                                    .stride_h = 3,
                                    .stride_w = 2,
                                    .pad_h = 1,
                                    .pad_w = 1},
                                   algorithm, true, true);
  }
  // K · out_w above the tile budget: one output row per GEMM tile.
  check_conv2d_against_reference(
      arch, {.in_channels = 16, .in_h = 9, .in_w = 208, .out_channels = 3, .kernel_h = 5, .kernel_w = 5},
      conv2d_algorithm::im2col, true, true);
  // 1×1 convolution, a kernel as large as the input, and a single-pixel image.
  check_conv2d_against_reference(
      arch, {.in_channels = 5, .in_h = 3, .in_w = 33, .out_channels = 8, .kernel_h = 1, .kernel_w = 1},
      conv2d_algorithm::automatic, true, false);
  check_conv2d_against_reference(
      arch, {.in_channels = 2, .in_h = 4, .in_w = 7, .out_channels = 3, .kernel_h = 4, .kernel_w = 7},
      conv2d_algorithm::automatic, true, false);
  check_conv2d_against_reference(
      arch, {.in_channels = 1, .in_h = 1, .in_w = 1, .out_channels = 1, .kernel_h = 1, .kernel_w = 1},
      conv2d_algorithm::automatic, false, false);
}

TEST_CASE("conv2d at the ADMN controller shapes matches the reference") {
  const admn::kernels::default_arch arch;
  // docs/numerics.md §4.2: the three convs of an image encoder and the first of the audio encoder.
  for (const conv2d_algorithm algorithm : {conv2d_algorithm::direct, conv2d_algorithm::im2col}) {
    check_conv2d_against_reference(
        arch, {.in_channels = 3, .in_h = 100, .in_w = 100, .out_channels = 6, .kernel_h = 10, .kernel_w = 10},
        algorithm, true, true);
    check_conv2d_against_reference(
        arch, {.in_channels = 6, .in_h = 91, .in_w = 91, .out_channels = 6, .kernel_h = 10, .kernel_w = 10},
        algorithm, true, true);
    check_conv2d_against_reference(
        arch, {.in_channels = 6, .in_h = 27, .in_w = 27, .out_channels = 3, .kernel_h = 5, .kernel_w = 5},
        algorithm, true, true);
  }
  check_conv2d_against_reference(
      arch, {.in_channels = 1, .in_h = 128, .in_w = 512, .out_channels = 6, .kernel_h = 10, .kernel_w = 10},
      conv2d_algorithm::automatic, true, false);
}

TEST_CASE("conv2d ReLU epilogue keeps NaN and zeroes negatives") {
  const conv2d_shape s{
      .in_channels = 1, .in_h = 1, .in_w = 20, .out_channels = 1, .kernel_h = 1, .kernel_w = 1};
  std::vector<float> x(20, -1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[19] = 2.0f;
  const float w = 1.0f;
  for (const conv2d_algorithm algorithm : {conv2d_algorithm::direct, conv2d_algorithm::im2col}) {
    std::vector<float> y(20, 5.0f);
    std::vector<float> scratch(admn::kernels::conv2d_scratch_size(s, algorithm) + 1);
    admn::kernels::conv2d(admn::kernels::default_arch{}, s, x.data(), &w, nullptr, y.data(), scratch.data(),
                          {.epilogue = conv2d_epilogue::relu, .algorithm = algorithm});
    CHECK(y[0] == 0.0f);
    CHECK(std::isnan(y[3]));
    CHECK(y[19] == 2.0f);
  }
}
