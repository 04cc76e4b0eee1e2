#include <admn/kernels/activation.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

using namespace admn::kernels;

TEST_CASE("activations match the scalar reference at odd lengths") {
  const activation_fn functions[] = {{activation::relu},
                                     {activation::leaky_relu, 0.01f},
                                     {activation::leaky_relu, 0.25f},
                                     {activation::gelu_erf},
                                     {activation::gelu_tanh}};
  for (const auto& f : functions)
    for (std::size_t n : {1u, 7u, 16u, 17u, 33u, 1001u}) {
      CAPTURE(static_cast<int>(f.kind));
      CAPTURE(n);
      auto x = admn::test::uniform(n, -8.0f, 8.0f, static_cast<unsigned>(n));
      auto expected = x;
      reference::activate(f, expected.data(), n);
      activate(default_arch{}, f, x.data(), n);
      CHECK(admn::test::max_abs_error(x, expected) <= 2e-6);
    }
}

TEST_CASE("GELU exact form values") {
  // erf GELU at a few points (values from the definition, double precision).
  float x[] = {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f};
  const double want[] = {-0.0040496965, -0.15865525, 0.0, 0.34573123, 1.9544997};
  activate(default_arch{}, activation_fn{activation::gelu_erf}, x, 5);
  for (int i = 0; i < 5; ++i) CHECK(x[i] == doctest::Approx(want[i]).epsilon(1e-6));
}

TEST_CASE("tail elements get the same rounding as the SIMD body") {
  // The same value at every position must give the same bits.
  std::vector<float> x(37, 0.7310586f);
  activate(default_arch{}, activation_fn{activation::gelu_erf}, x.data(), x.size());
  for (float v : x) CHECK(v == x[0]);
}
