// BatchNorm2d (eval) kernel against the double-precision reference, at spatial sizes around the
// SIMD width.
#include "common/detgen.hpp"

#include <admn/kernels/batch_norm.hpp>
#include <admn/kernels/reference_conv.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {

struct bn_params {
  admn::tensor weight, bias, mean, var;
  std::vector<float> scale, shift;
};

bn_params make_params(std::size_t channels, double eps) {
  bn_params p{admn::test::detgen(21, admn::shape{channels}, 2.0),
              admn::test::detgen(22, admn::shape{channels}),
              admn::test::detgen(23, admn::shape{channels}),
              admn::test::detgen(24, admn::shape{channels}),
              std::vector<float>(channels),
              std::vector<float>(channels)};
  for (std::size_t c = 0; c < channels; ++c) p.var.data()[c] = std::abs(p.var.data()[c]) + 0.01f * c;
  admn::kernels::batch_norm_fold(p.weight.data(), p.bias.data(), p.mean.data(), p.var.data(), eps, channels,
                                 p.scale.data(), p.shift.data());
  return p;
}

template <class Arch>
void check_batch_norm_against_reference(Arch arch, std::size_t channels, std::size_t spatial, bool relu,
                                        bool in_place) {
  const double eps = 1e-5;
  const bn_params p = make_params(channels, eps);
  const admn::tensor x = admn::test::detgen(25, admn::shape{channels * spatial}, 4.0);
  std::vector<float> expected(channels * spatial);
  admn::kernels::reference::batch_norm(x.data(), channels, spatial, p.weight.data(), p.bias.data(),
                                       p.mean.data(), p.var.data(), eps, expected.data(), relu);
  std::vector<float> got(x.data(), x.data() + x.size());
  if (!in_place) got.assign(got.size(), std::numeric_limits<float>::quiet_NaN());
  admn::kernels::batch_norm(arch, in_place ? got.data() : x.data(), channels, spatial, p.scale.data(),
                            p.shift.data(), got.data(), relu);
  double max_rel = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i)
    max_rel = std::max(max_rel, std::abs(static_cast<double>(got[i]) - expected[i]) /
                                    std::max(1.0, std::abs(static_cast<double>(expected[i]))));
  INFO("channels ", channels, " spatial ", spatial, " relu ", relu);
  // float32 folding (invstd, scale, shift) against exact double: a few ulp.
  CHECK(max_rel <= 2e-6);
}

template <class Arch>
void sweep_batch_norm(Arch arch) {
  for (const std::size_t spatial : {1, 7, 16, 17, 33, 91 * 91})
    for (const bool relu : {false, true}) {
      check_batch_norm_against_reference(arch, 3, spatial, relu, false);
      check_batch_norm_against_reference(arch, 6, spatial, relu, true);
    }
}

}  // namespace

TEST_CASE("batch_norm matches the reference at sizes around the SIMD width (default arch)") {
  sweep_batch_norm(admn::kernels::default_arch{});
}

#if XSIMD_WITH_SSE2
TEST_CASE("batch_norm matches the reference at sizes around the SIMD width (sse2)") {
  sweep_batch_norm(xsimd::sse2{});
}
#endif

TEST_CASE("batch_norm_fold follows PyTorch's float32 folding") {
  const float weight = 1.5f;
  const float bias = -0.25f;
  const float mean = 0.75f;
  const float var = 3.0f;
  float scale = 0.0f;
  float shift = 0.0f;
  admn::kernels::batch_norm_fold(&weight, &bias, &mean, &var, 1e-5, 1, &scale, &shift);
  const float invstd = 1.0f / std::sqrt(3.0f + 1e-5f);
  CHECK(scale == invstd * 1.5f);
  CHECK(shift == doctest::Approx(-0.25f - 0.75f * scale).epsilon(1e-7));
  // affine=False: weight 1, bias 0.
  admn::kernels::batch_norm_fold(nullptr, nullptr, &mean, &var, 1e-5, 1, &scale, &shift);
  CHECK(scale == invstd);
  CHECK(shift == doctest::Approx(-0.75f * invstd).epsilon(1e-7));
}

TEST_CASE("batch_norm ReLU keeps NaN") {
  const float scale = 1.0f;
  const float shift = 0.0f;
  std::vector<float> x(20, -1.0f);
  x[2] = std::numeric_limits<float>::quiet_NaN();
  x[18] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> y(20);
  admn::kernels::batch_norm(admn::kernels::default_arch{}, x.data(), 1, 20, &scale, &shift, y.data(), true);
  CHECK(std::isnan(y[2]));
  CHECK(std::isnan(y[18]));
  CHECK(y[0] == 0.0f);
  CHECK(y[19] == 0.0f);
}
