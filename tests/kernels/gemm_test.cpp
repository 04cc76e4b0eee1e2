#include <admn/kernels/gemm.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

using namespace admn::kernels;

namespace {

void check_gemm(std::size_t m, std::size_t n, std::size_t k, const activation_fn& act, bool with_bias,
                bool accumulate) {
  CAPTURE(m);
  CAPTURE(n);
  CAPTURE(k);
  const gemm_shape s{m, n, k, k + 1, k + 2, n + 3};
  const auto a = admn::test::uniform(m * s.lda, -1.0f, 1.0f, 1);
  const auto w = admn::test::uniform(n * s.ldw, -1.0f, 1.0f, 2);
  const auto bias = admn::test::uniform(n, -1.0f, 1.0f, 3);
  auto got = admn::test::uniform(m * s.ldc, -1.0f, 1.0f, 4);
  auto want = got;
  const gemm_epilogue e{with_bias ? bias.data() : nullptr, act, accumulate};
  gemm(default_arch{}, s, a.data(), w.data(), got.data(), e);
  reference::gemm(s, a.data(), w.data(), want.data(), e);
  CHECK(admn::test::relative_error(got, want) <= 1e-6);
}

}  // namespace

TEST_CASE("gemm with bias and activation epilogues matches the reference") {
  for (auto act : {activation::none, activation::relu, activation::gelu_erf, activation::leaky_relu})
    for (std::size_t n : {1u, 17u, 300u}) check_gemm(13, n, 33, activation_fn{act}, true, false);
  check_gemm(1, 1, 1, activation_fn{}, false, false);
  check_gemm(5, 19, 7, activation_fn{}, false, false);
}

TEST_CASE("gemm accumulate adds to the output (residual epilogue)") {
  for (std::size_t n : {16u, 31u, 513u}) check_gemm(9, n, 40, activation_fn{}, true, true);
}

TEST_CASE("gemm results do not depend on the thread count") {
  const gemm_shape s{197, 2304, 768, 768, 768, 2304};
  const auto a = admn::test::uniform(s.m * s.k, -1.0f, 1.0f, 5);
  const auto w = admn::test::uniform(s.n * s.k, -0.05f, 0.05f, 6);
  const auto bias = admn::test::uniform(s.n, -1.0f, 1.0f, 7);
  std::vector<float> one(s.m * s.n), two(s.m * s.n);
  const gemm_epilogue e{bias.data(), {activation::gelu_erf}};
  with_threads(1, [&] { gemm(default_arch{}, s, a.data(), w.data(), one.data(), e); });
  with_threads(2, [&] { gemm(default_arch{}, s, a.data(), w.data(), two.data(), e); });
  CHECK(one == two);
}
