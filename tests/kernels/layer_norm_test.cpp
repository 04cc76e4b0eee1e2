#include <admn/kernels/layer_norm.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

using namespace admn::kernels;

TEST_CASE("layer_norm matches the scalar reference at odd widths and strides") {
  for (std::size_t dim : {1u, 5u, 16u, 17u, 37u, 768u}) {
    CAPTURE(dim);
    const std::size_t rows = 3, stride = dim + 3;
    const auto x = admn::test::uniform(rows * stride, -4.0f, 6.0f, 1);
    const auto gamma = admn::test::uniform(dim, 0.5f, 1.5f, 2);
    const auto beta = admn::test::uniform(dim, -1.0f, 1.0f, 3);
    std::vector<float> got(rows * stride, 0.0f), want(rows * stride, 0.0f);
    const row_layout layout{rows, dim, stride, stride};
    layer_norm(default_arch{}, layout, x.data(), gamma.data(), beta.data(), 1e-5f, got.data());
    reference::layer_norm(layout, x.data(), gamma.data(), beta.data(), 1e-5f, want.data());
    CHECK(admn::test::relative_error(got, want) <= 1e-6);
  }
}

TEST_CASE("layer_norm works in place and normalises") {
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7};
  const std::vector<float> ones(7, 1.0f), zeros(7, 0.0f);
  layer_norm(default_arch{}, row_layout{1, 7, 7, 7}, x.data(), ones.data(), zeros.data(), 0.0f, x.data());
  double mean = 0, var = 0;
  for (float v : x) mean += v;
  for (float v : x) var += v * v;
  CHECK(mean / 7 == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(var / 7 == doctest::Approx(1.0).epsilon(1e-5));
}
