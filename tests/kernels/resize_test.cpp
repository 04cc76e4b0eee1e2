// Bilinear resize plans (with and without antialias) against the scalar reference, at sizes
// around the SIMD width, plus hand-computed weights.
#include "common/detgen.hpp"

#include <admn/kernels/reference_conv.hpp>
#include <admn/kernels/resize.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace {

using admn::kernels::resize_plan;

struct resize_case {
  std::size_t in_h, in_w, out_h, out_w;
};

template <class Arch>
void check_resize_against_reference(Arch arch, const resize_case& c, bool antialias,
                                    std::size_t channels = 2) {
  const resize_plan plan(c.in_h, c.in_w, c.out_h, c.out_w, antialias);
  const admn::tensor x = admn::test::detgen(11, admn::shape{channels, c.in_h, c.in_w});
  std::vector<float> expected(channels * c.out_h * c.out_w);
  admn::kernels::reference::resize_bilinear(x.data(), channels, c.in_h, c.in_w, c.out_h, c.out_w, antialias,
                                            expected.data());
  std::vector<float> got(expected.size(), std::numeric_limits<float>::quiet_NaN());
  std::vector<float> scratch(plan.scratch_size(channels) + 1, std::numeric_limits<float>::quiet_NaN());
  plan.run(arch, x.data(), channels, got.data(), scratch.data());
  double max_err = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i)
    max_err = std::max(max_err, std::abs(static_cast<double>(got[i]) - expected[i]));
  INFO(c.in_h, "x", c.in_w, " -> ", c.out_h, "x", c.out_w, " antialias ", antialias);
  // Same float32 weights, same tap order; only fused vs separate multiply-add may differ.
  CHECK(max_err <= 1e-6);
}

template <class Arch>
void sweep_resize(Arch arch) {
  // Output widths 1, 7, 16, 17, 33 straddle the vector widths and the 16-output bands; inputs
  // shrink, grow and keep their size (an identity axis is skipped).
  for (const bool antialias : {true, false})
    for (const std::size_t out : {1, 7, 16, 17, 33})
      for (const std::size_t in : {1, 3, 7, 16, 17, 33, 50})
        for (const std::size_t h : {5, 9}) {
          check_resize_against_reference(arch, {h, in, h + 4, out}, antialias);
          check_resize_against_reference(arch, {in, h, out, h}, antialias);
        }
}

}  // namespace

TEST_CASE("resize plan matches the reference at sizes around the SIMD width (default arch)") {
  sweep_resize(admn::kernels::default_arch{});
}

#if XSIMD_WITH_SSE2
TEST_CASE("resize plan matches the reference at sizes around the SIMD width (sse2)") {
  sweep_resize(xsimd::sse2{});
}
#endif

TEST_CASE("resize plan matches the reference at the ADMN sizes") {
  const admn::kernels::default_arch arch;
  for (const bool antialias : {true, false}) {
    check_resize_against_reference(arch, {224, 224, 100, 100}, antialias,
                                   3);  // controller, docs/numerics.md §4.2
    check_resize_against_reference(arch, {128, 1024, 128, 512}, antialias, 1);  // AVE audio
    check_resize_against_reference(arch, {100, 100, 224, 224}, antialias, 1);   // upsampling
    check_resize_against_reference(arch, {1000, 13, 9, 1000}, antialias, 1);    // extreme ratios
  }
}

TEST_CASE("resize weights: hand-computed values and invariants") {
  // 4 → 2 without antialias: sources 0.5 and 2.5, i.e. the mean of each pair.
  const resize_plan plain(1, 4, 1, 2, false);
  const float row[4] = {1.0f, 3.0f, 10.0f, 30.0f};
  // Room for one AVX-512 register although 2 columns are written: GCC 12 cannot see that the SIMD
  // body is dead for 2 columns and warns (-Warray-bounds) about a store past a smaller buffer.
  std::vector<float> out(16);
  plain.run(row, 1, out.data(), nullptr);
  CHECK(out[0] == 2.0f);
  CHECK(out[1] == 20.0f);

  // 4 → 2 with antialias (scale 2): output 0 has center 1, support 2, taps 0..2 with raw weights
  // 0.75, 0.75, 0.25 → 3/7, 3/7, 1/7.
  const resize_plan aa(1, 4, 1, 2, true);
  CHECK(aa.cols().count[0] == 3);
  CHECK(aa.cols().weight[0] == doctest::Approx(3.0 / 7.0).epsilon(1e-7));
  CHECK(aa.cols().weight[aa.cols().out] == doctest::Approx(3.0 / 7.0).epsilon(1e-7));
  CHECK(aa.cols().weight[2 * aa.cols().out] == doctest::Approx(1.0 / 7.0).epsilon(1e-7));
  aa.run(row, 1, out.data(), nullptr);
  CHECK(out[0] == doctest::Approx((3.0 * 1 + 3.0 * 3 + 10.0) / 7.0).epsilon(1e-6));

  // Antialiased weights of every output sum to 1; a constant image stays constant.
  const resize_plan down(224, 224, 100, 100, true);
  for (std::size_t i = 0; i < down.rows().out; ++i) {
    double sum = 0.0;
    for (std::size_t k = 0; k < down.rows().taps; ++k) sum += down.rows().weight[k * down.rows().out + i];
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
  }
  std::vector<float> ones(224 * 224, 1.0f);
  std::vector<float> y(100 * 100);
  std::vector<float> scratch(down.scratch_size(1));
  down.run(ones.data(), 1, y.data(), scratch.data());
  for (const float v : y) REQUIRE(v == doctest::Approx(1.0f).epsilon(1e-6));
}

TEST_CASE("resize plan: identity axes, scratch sizes, errors") {
  const resize_plan same(5, 7, 5, 7, true);
  CHECK(same.scratch_size(3) == 0);
  const admn::tensor x = admn::test::detgen(3, admn::shape{3, 5, 7});
  std::vector<float> y(3 * 5 * 7);
  same.run(x.data(), 3, y.data(), nullptr);
  for (std::size_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == x.data()[i]);

  // Only the width changes (the AVE spectrogram): no scratch, rows pass straight through.
  const resize_plan audio(128, 1024, 128, 512, true);
  CHECK(audio.scratch_size(1) == 0);
  CHECK(resize_plan(224, 224, 100, 100, true).scratch_size(3) == 224 * 100);
  CHECK(resize_plan(224, 224, 100, 100, false).antialias() == false);

  for (const auto& bad : {resize_case{0, 4, 2, 2}, resize_case{4, 4, 2, 0}}) {
    try {
      resize_plan(bad.in_h, bad.in_w, bad.out_h, bad.out_w, true);
      FAIL("expected a shape_error");
    } catch (const admn::shape_error& e) {
      CHECK(e.id() == "admn.resize.shape");
    }
  }
}
