#include <admn/kernels/gemm_bf16.hpp>
#include <admn/layers/linear.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <cstring>

using namespace admn::kernels;
using arch = default_arch;

namespace {

using admn::test::same_bits;

// The kernel against the scalar statement of its arithmetic: bit for bit (but for GELU).
void check_exact_bf16(std::size_t m, std::size_t n, std::size_t k, const activation_fn& act, bool with_bias,
                      bool accumulate) {
  CAPTURE(m);
  CAPTURE(n);
  CAPTURE(k);
  const gemm_shape s{m, n, k, k + 1, k + 2, n + 3};
  const auto a = admn::test::uniform(m * s.lda, -1.0f, 1.0f, 11);
  const auto w = admn::test::uniform(n * s.ldw, -1.0f, 1.0f, 12);
  const auto bias = admn::test::uniform(n, -1.0f, 1.0f, 13);
  auto got = admn::test::uniform(m * s.ldc, -1.0f, 1.0f, 14);
  auto want = got;
  const gemm_epilogue e{with_bias ? bias.data() : nullptr, act, accumulate};
  gemm(arch{}, m, a.data(), s.lda, packed_weights_bf16(w.data(), n, k, s.ldw), got.data(), s.ldc, e);
  reference::gemm_bf16(s, a.data(), w.data(), want.data(), e);
  if (act.kind == activation::gelu_erf)  // the vector erf is not the scalar one to the last bit
    CHECK(admn::test::relative_error(got, want) <= 1e-6);
  else
    CHECK(same_bits(got, want));
}

}  // namespace

TEST_CASE("bf16 packing rounds each weight to nearest even and reads it back") {
  const std::vector<float> w{1.0f, 1.00390625f, 1.01171875f, -3.0f, 0.1f};  // 1 + 2⁻⁸ ties to 1
  const packed_weights_bf16 packed(w.data(), 1, w.size(), w.size());
  CHECK(packed.weight(0, 0) == 1.0f);
  CHECK(packed.weight(0, 1) == 1.0f);
  CHECK(packed.weight(0, 2) == 1.015625f);  // 1 + 3·2⁻⁸ ties to the even 1 + 4·2⁻⁸
  CHECK(packed.weight(0, 3) == -3.0f);
  CHECK(packed.weight(0, 4) == admn::bf16_to_f32(admn::f32_to_bf16(0.1f)));
}

TEST_CASE("bf16 gemm is bit-identical to its scalar definition") {
  if constexpr (!bf16_available) {
    MESSAGE("not compiled for AVX512-BF16: the kernel template is not tested here");
    return;
  }
  for (auto act : {activation::none, activation::relu, activation::gelu_erf})
    for (std::size_t n : {1u, 17u, 32u, 33u, 300u})
      check_exact_bf16(13, n, 33, activation_fn{act}, true, false);
  for (std::size_t k : {1u, 2u, 7u, 31u, 32u, 33u, 255u, 256u, 257u, 600u})
    check_exact_bf16(5, 40, k, activation_fn{}, false, false);
  for (std::size_t m : {1u, 2u, 11u, 12u, 13u, 25u})
    check_exact_bf16(m, 64, 300, activation_fn{activation::gelu_erf}, true, false);
  check_exact_bf16(14, 70, 700, activation_fn{}, true, true);  // residual epilogue over several depth passes
}

TEST_CASE("bf16 gemm results do not depend on the batch or the thread count") {
  if constexpr (!bf16_available) return;
  const std::size_t m = 37, n = 200, k = 300;
  const auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 21);
  const auto w = admn::test::uniform(n * k, -0.1f, 0.1f, 22);
  const packed_weights_bf16 packed(w.data(), n, k, k);
  std::vector<float> one(m * n), two(m * n), rows(m * n);
  with_threads(1, [&] { gemm(arch{}, m, a.data(), k, packed, one.data(), n, {}); });
  with_threads(2, [&] { gemm(arch{}, m, a.data(), k, packed, two.data(), n, {}); });
  for (std::size_t i = 0; i < m; ++i)
    gemm(arch{}, 1, a.data() + i * k, k, packed, rows.data() + i * n, n, {});
  CHECK(same_bits(one, two));
  CHECK(same_bits(one, rows));
}

TEST_CASE("bf16 gemm stays within 1e-2 of the f32 product at a ViT-B shape") {
  if constexpr (!bf16_available) return;
  const std::size_t m = 197, n = 768, k = 3072;
  const gemm_shape s{m, n, k, k, k, n};
  const auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 31);
  const auto w = admn::test::uniform(n * k, -0.02f, 0.02f, 32);
  std::vector<float> got(m * n), want(m * n);
  gemm(arch{}, m, a.data(), k, packed_weights_bf16(w.data(), n, k, k), got.data(), n, {});
  reference::gemm(s, a.data(), w.data(), want.data(), {});
  const double err = admn::test::relative_error(got, want);
  MESSAGE("bf16 relative error vs f32 at 197x768x3072: " << err);
  CHECK(err <= 1e-2);
  CHECK(err > 0.0);  // the rounding is real: bf16 is not silently f32
}

TEST_CASE("a bf16 Linear reports its precision and multiplies with the bf16 kernel") {
  // A Linear multiplies with the kernel table in use (kernels::active(): ADMN_ISA may pick a
  // level without AVX512-BF16), which refuses bf16 weights when it cannot run them.
  if (!admn::kernels::active().bf16) {
    MESSAGE("the kernels in use have no AVX512-BF16: only the error path is tested");
    CHECK_THROWS_AS(admn::layers::linear(admn::tensor(admn::shape{2, 2}), std::nullopt, precision::bf16),
                    admn::config_error);
    return;
  }
  admn::tensor weight(admn::shape{3, 5});
  const auto values = admn::test::uniform(15, -1.0f, 1.0f, 41);
  std::copy(values.begin(), values.end(), weight.values().begin());
  const admn::layers::linear fp32(weight, std::nullopt);
  const admn::layers::linear bf16(weight, std::nullopt, precision::bf16);
  CHECK(fp32.precision() == precision::fp32);
  CHECK(bf16.precision() == precision::bf16);
  CHECK(bf16.in_features() == 5);
  CHECK(bf16.out_features() == 3);
  CHECK(bf16.weight(2, 4) == admn::bf16_to_f32(admn::f32_to_bf16(values[14])));
  admn::tensor x(admn::shape{2, 5}), y(admn::shape{2, 3});
  const auto xs = admn::test::uniform(10, -1.0f, 1.0f, 42);
  std::copy(xs.begin(), xs.end(), x.values().begin());
  bf16.forward(x.view(), y.view());
  std::vector<float> want(6);
  reference::gemm_bf16({2, 3, 5, 5, 5, 3}, xs.data(), values.data(), want.data(), {});
  CHECK(same_bits(std::vector<float>(y.values().begin(), y.values().end()), want));
}
