#include <admn/kernels/gemm.hpp>
#include <admn/tensor/eigen.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

using namespace admn::kernels;
using arch = default_arch;

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
  const packed_weights packed(arch{}, w.data(), n, k, s.ldw);
  gemm(arch{}, m, a.data(), s.lda, packed, got.data(), s.ldc, e);
  reference::gemm(s, a.data(), w.data(), want.data(), e);
  CHECK(admn::test::relative_error(got, want) <= 1e-6);
}

}  // namespace

TEST_CASE("packed gemm with bias and activation epilogues matches the reference") {
  for (auto act : {activation::none, activation::relu, activation::gelu_erf, activation::leaky_relu})
    for (std::size_t n : {1u, 17u, 32u, 33u, 300u}) check_gemm(13, n, 33, activation_fn{act}, true, false);
  check_gemm(1, 1, 1, activation_fn{}, false, false);
  check_gemm(5, 19, 7, activation_fn{}, false, false);
  for (std::size_t m : {1u, 2u, 11u, 12u, 25u})
    check_gemm(m, 40, 600, activation_fn{activation::gelu_erf}, true, false);
}

TEST_CASE("packed gemm accumulate adds to the output (residual epilogue)") {
  for (std::size_t n : {16u, 31u, 513u}) check_gemm(9, n, 40, activation_fn{}, true, true);
  check_gemm(14, 70, 700, activation_fn{}, true, true);  // several depth blocks
}

TEST_CASE("k = 0 gives the bias alone") {
  const std::vector<float> bias{1.0f, -2.0f, 3.0f};
  std::vector<float> c(6, 9.0f);
  const packed_weights packed(arch{}, nullptr, 3, 0, 0);
  gemm(arch{}, 2, nullptr, 0, packed, c.data(), 3, {bias.data(), {activation::relu}});
  CHECK(c == std::vector<float>{1, 0, 3, 1, 0, 3});
}

TEST_CASE("packed gemm agrees with Eigen's product at a ViT shape") {
  const std::size_t m = 197, n = 2304, k = 768;
  const auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 8);
  const auto w = admn::test::uniform(n * k, -0.05f, 0.05f, 9);
  std::vector<float> got(m * n), eigen(m * n);
  gemm(arch{}, m, a.data(), k, packed_weights(arch{}, w.data(), n, k, k), got.data(), n, {});
  admn::as_matrix(eigen.data(), m, n, n).noalias() =
      admn::as_matrix(a.data(), m, k, k) * admn::as_matrix(w.data(), n, k, k).transpose();
  CHECK(admn::test::relative_error(got, eigen) <= 1e-6);
}

TEST_CASE("a row's result does not depend on the batch it is in or on the thread count") {
  const std::size_t m = 197, n = 2304, k = 768;
  const auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 5);
  const auto w = admn::test::uniform(n * k, -0.05f, 0.05f, 6);
  const auto bias = admn::test::uniform(n, -1.0f, 1.0f, 7);
  const packed_weights packed(arch{}, w.data(), n, k, k);
  const gemm_epilogue e{bias.data(), {activation::gelu_erf}};
  std::vector<float> one(m * n), two(m * n), alone(n);
  with_threads(1, [&] { gemm(arch{}, m, a.data(), k, packed, one.data(), n, e); });
  with_threads(2, [&] { gemm(arch{}, m, a.data(), k, packed, two.data(), n, e); });
  CHECK(one == two);
  for (std::size_t row : {0u, 13u, 196u}) {
    gemm(arch{}, 1, a.data() + row * k, k, packed, alone.data(), n, e);
    CHECK(std::equal(alone.begin(), alone.end(), one.begin() + static_cast<std::ptrdiff_t>(row * n)));
  }
}

TEST_CASE("packed weights read back exactly") {
  const auto w = admn::test::uniform(37 * 5, -1.0f, 1.0f, 10);
  const packed_weights packed(arch{}, w.data(), 37, 5, 5);
  for (std::size_t j = 0; j < 37; ++j)
    for (std::size_t p = 0; p < 5; ++p) CHECK(packed.weight(j, p) == w[j * 5 + p]);
}
