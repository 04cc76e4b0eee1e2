#include <admn/kernels/softmax.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

using namespace admn::kernels;

TEST_CASE("softmax matches the scalar reference, including large logits") {
  for (std::size_t n : {1u, 3u, 16u, 19u, 197u}) {
    CAPTURE(n);
    auto x = admn::test::uniform(4 * n, -80.0f, 80.0f, static_cast<unsigned>(n));
    auto want = x;
    softmax(default_arch{}, x.data(), 4, n, n);
    reference::softmax(want.data(), 4, n, n);
    CHECK(admn::test::relative_error(x, want) <= 1e-6);
    for (std::size_t r = 0; r < 4; ++r) {
      double sum = 0;
      for (std::size_t i = 0; i < n; ++i) sum += x[r * n + i];
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
    }
  }
}

TEST_CASE("softmax of huge values does not overflow") {
  float x[] = {1000.0f, 1000.0f, -1000.0f};
  softmax(default_arch{}, x, 1, 3, 3);
  CHECK(x[0] == doctest::Approx(0.5));
  CHECK(x[1] == doctest::Approx(0.5));
  CHECK(x[2] == 0.0f);
}
