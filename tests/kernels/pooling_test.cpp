// max_pool2d kernel against the scalar reference, at widths around the SIMD width.
#include "common/detgen.hpp"

#include <admn/kernels/pooling.hpp>
#include <admn/kernels/reference_conv.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

using admn::kernels::pool2d_shape;

template <class Arch>
void check_pooling_against_reference(Arch arch, const pool2d_shape& s) {
  s.validate();
  const admn::tensor x = admn::test::detgen(5, admn::shape{s.input_size()});
  std::vector<float> expected(s.output_size());
  admn::kernels::reference::max_pool2d(s, x.data(), expected.data());
  std::vector<float> got(s.output_size(), std::numeric_limits<float>::quiet_NaN());
  std::vector<float> scratch(admn::kernels::max_pool2d_scratch_size(s),
                             std::numeric_limits<float>::quiet_NaN());
  admn::kernels::max_pool2d(arch, s, x.data(), got.data(), scratch.data());
  INFO(s.describe());
  CHECK(got == expected);  // a max is exact
}

template <class Arch>
void sweep_pooling(Arch arch) {
  // Output widths 1, 7, 16, 17, 33 for the (3,3) and (3,6) windows of docs/numerics.md §4.2, and
  // overlapping windows (stride below the kernel).
  for (const std::size_t out_w : {1, 7, 16, 17, 33}) {
    check_pooling_against_reference(
        arch, {.channels = 2, .in_h = 7, .in_w = out_w * 3 + 2, .kernel_h = 3, .kernel_w = 3});
    check_pooling_against_reference(
        arch, {.channels = 3, .in_h = 9, .in_w = out_w * 6, .kernel_h = 3, .kernel_w = 6});
    check_pooling_against_reference(arch, {.channels = 1,
                                           .in_h = 6,
                                           .in_w = out_w + 2,
                                           .kernel_h = 3,
                                           .kernel_w = 3,
                                           .stride_h = 1,
                                           .stride_w = 1});
    check_pooling_against_reference(arch, {.channels = 2,
                                           .in_h = 5,
                                           .in_w = 2 * out_w + 1,
                                           .kernel_h = 2,
                                           .kernel_w = 3,
                                           .stride_h = 2,
                                           .stride_w = 2});
    check_pooling_against_reference(arch,
                                    {.channels = 1, .in_h = 4, .in_w = out_w, .kernel_h = 1, .kernel_w = 1});
  }
}

}  // namespace

TEST_CASE("max_pool2d matches the reference at widths around the SIMD width (default arch)") {
  sweep_pooling(admn::kernels::default_arch{});
}

#if XSIMD_WITH_SSE2
TEST_CASE("max_pool2d matches the reference at widths around the SIMD width (sse2)") {
  sweep_pooling(xsimd::sse2{});
}
#endif

TEST_CASE("max_pool2d at the ADMN shapes") {
  const pool2d_shape image{.channels = 6, .in_h = 82, .in_w = 82, .kernel_h = 3, .kernel_w = 3};
  CHECK(image.out_h() == 27);  // floor mode drops the 82nd row and column
  CHECK(image.out_w() == 27);
  check_pooling_against_reference(admn::kernels::default_arch{}, image);
  const pool2d_shape audio{.channels = 6, .in_h = 110, .in_w = 494, .kernel_h = 3, .kernel_w = 6};
  CHECK(audio.out_h() == 36);
  CHECK(audio.out_w() == 82);
  check_pooling_against_reference(admn::kernels::default_arch{}, audio);
}

TEST_CASE("max_pool2d propagates NaN from any row of a window") {
  const pool2d_shape s{.channels = 1, .in_h = 3, .in_w = 48, .kernel_h = 3, .kernel_w = 3};
  for (const std::size_t row : {0, 1, 2})
    for (const std::size_t col : {0, 16, 47}) {
      std::vector<float> x(3 * 48, 1.0f);
      x[row * 48 + col] = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> y(16);
      std::vector<float> scratch(48);
      admn::kernels::max_pool2d(admn::kernels::default_arch{}, s, x.data(), y.data(), scratch.data());
      for (std::size_t j = 0; j < 16; ++j) CHECK(std::isnan(y[j]) == (j == col / 3));
    }
}

TEST_CASE("pool2d shape validation") {
  const auto id_of = [](const pool2d_shape& s) -> std::string {
    try {
      s.validate();
    } catch (const admn::shape_error& e) {
      return e.id();
    }
    return "no error";
  };
  CHECK(id_of({.channels = 1, .in_h = 2, .in_w = 8, .kernel_h = 3, .kernel_w = 3}) == "admn.pool2d.shape");
  CHECK(id_of({.channels = 0, .in_h = 8, .in_w = 8, .kernel_h = 3, .kernel_w = 3}) == "admn.pool2d.shape");
  CHECK(id_of({.channels = 1, .in_h = 8, .in_w = 8, .kernel_h = 0, .kernel_w = 3}) == "admn.pool2d.shape");
  CHECK(id_of({.channels = 1, .in_h = 3, .in_w = 3, .kernel_h = 3, .kernel_w = 3}) == "no error");
  const pool2d_shape s{.channels = 6, .in_h = 82, .in_w = 82, .kernel_h = 3, .kernel_w = 6, .stride_h = 2};
  CHECK(s.step_h() == 2);
  CHECK(s.step_w() == 6);
  CHECK(s.describe() == "6x82x82, kernel 3x6, stride 2x6");
}
