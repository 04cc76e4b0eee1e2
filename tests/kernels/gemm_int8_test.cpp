#include <admn/kernels/gemm_int8.hpp>
#include <admn/layers/linear.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace admn::kernels;
using arch = default_arch;

namespace {

using admn::test::same_bits;

// The kernel (on `Arch`) against the scalar statement of its arithmetic: bit for bit
// (but for GELU, whose vector erf is not std::erf to the last bit).
template <class Arch = arch>
void check_exact_int8(std::size_t m, std::size_t n, std::size_t k, const activation_fn& act, bool with_bias,
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
  gemm(Arch{}, m, a.data(), s.lda, packed_weights_int8(w.data(), n, k, s.ldw), got.data(), s.ldc, e);
  reference::gemm_int8(s, a.data(), w.data(), want.data(), e);
  if (act.kind == activation::gelu_erf)
    CHECK(admn::test::relative_error(got, want) <= 1e-6);
  else
    CHECK(same_bits(got, want));
}

}  // namespace

TEST_CASE("int8 quantisation: symmetric scale max|x|/127, nearest even, zero and non-finite rows") {
  std::int8_t q[6];
  const float x[6] = {1.0f, -2.0f, 127.0f, 0.5f, 1.5f, -127.0f};  // scale 1: halves tie to even
  CHECK(reference::quantize_int8(x, 6, q) == 1.0f);
  CHECK(q[0] == 1);
  CHECK(q[1] == -2);
  CHECK(q[2] == 127);
  CHECK(q[3] == 0);
  CHECK(q[4] == 2);
  CHECK(q[5] == -127);

  const float zeros[3] = {0.0f, -0.0f, 1e-35f};  // below int8_tiny: all zero, scale 0
  CHECK(reference::quantize_int8(zeros, 3, q) == 0.0f);
  CHECK((q[0] == 0 && q[1] == 0 && q[2] == 0));

  const float bad[3] = {1.0f, std::numeric_limits<float>::infinity(), 2.0f};
  CHECK(std::isnan(reference::quantize_int8(bad, 3, q)));
  CHECK((q[0] == 0 && q[1] == 0 && q[2] == 0));
}

TEST_CASE("int8 packing keeps each channel's quantised weights, scale and shift") {
  const std::vector<float> w{0.5f, -1.0f, 0.25f, 0.0f, 1.0f,  // row 0: scale 1/127
                             2.0f, 2.0f,  2.0f,  2.0f, 2.0f};
  const packed_weights_int8 packed(w.data(), 2, 5, 5);
  CHECK(packed.scales()[0] == 1.0f / 127.0f);
  CHECK(packed.quantized(0, 0) == 64);  // 63.5 ties to even
  CHECK(packed.quantized(0, 1) == -127);
  CHECK(packed.quantized(0, 2) == 32);  // 31.75
  CHECK(packed.quantized(0, 4) == 127);
  CHECK(packed.shifts()[0] == 128 * (64 - 127 + 32 + 0 + 127));
  CHECK(packed.quantized(1, 3) == 127);
  CHECK(packed.weight(1, 3) == 127.0f * (2.0f / 127.0f));
  CHECK(packed.scales()[2] == 0.0f);  // padding columns
  CHECK_THROWS_AS(packed_weights_int8(w.data(), 1, int8_max_k + 1, 5), admn::config_error);
}

TEST_CASE("int8 gemm is bit-identical to its scalar definition, odd sizes and tails included") {
  MESSAGE("AVX512-VNNI kernel: " << std::string(int8_vnni ? "yes" : "no (exact fallback)"));
  for (auto act : {activation::none, activation::relu, activation::leaky_relu, activation::gelu_erf})
    for (std::size_t n : {1u, 17u, 32u, 33u, 300u})
      check_exact_int8(13, n, 33, activation_fn{act}, true, false);
  for (std::size_t k : {0u, 1u, 2u, 3u, 4u, 5u, 7u, 31u, 64u, 65u, 257u, 769u})
    check_exact_int8(5, 40, k, activation_fn{}, false, false);
  for (std::size_t m : {1u, 2u, 11u, 12u, 13u, 25u, 97u, 197u})
    check_exact_int8(m, 64, 300, activation_fn{activation::gelu_erf}, true, false);
  check_exact_int8(14, 70, 700, activation_fn{}, true, true);   // residual epilogue
  check_exact_int8(3, 33, 5000, activation_fn{}, false, true);  // fewer rows per tile at large k
}

TEST_CASE("the exact int8 fallback (no VNNI, 8-lane epilogue) equals the scalar definition") {
#if defined(__AVX2__) && defined(__FMA__)
  using narrow = xsimd::fma3<xsimd::avx2>;
  for (std::size_t n : {1u, 17u, 33u, 100u})
    check_exact_int8<narrow>(13, n, 37, activation_fn{activation::relu}, true, false);
  check_exact_int8<narrow>(14, 70, 300, activation_fn{}, true, true);
#else
  MESSAGE("not compiled for AVX2+FMA: the default arch already runs the fallback");
#endif
}

TEST_CASE("int8 gemm propagates a non-finite activation row as NaN, like f32") {
  const std::size_t m = 3, n = 5, k = 20;
  auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 5);
  a[k + 7] = std::numeric_limits<float>::quiet_NaN();
  const auto w = admn::test::uniform(n * k, -1.0f, 1.0f, 6);
  std::vector<float> c(m * n);
  gemm(arch{}, m, a.data(), k, packed_weights_int8(w.data(), n, k, k), c.data(), n, {});
  for (std::size_t j = 0; j < n; ++j) {
    CHECK(std::isfinite(c[j]));
    CHECK(std::isnan(c[n + j]));
    CHECK(std::isfinite(c[2 * n + j]));
  }
}

TEST_CASE("int8 gemm results do not depend on the batch or the thread count") {
  const std::size_t m = 203, n = 200, k = 300;
  const auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 21);
  const auto w = admn::test::uniform(n * k, -0.1f, 0.1f, 22);
  const packed_weights_int8 packed(w.data(), n, k, k);
  std::vector<float> one(m * n), two(m * n), rows(m * n);
  with_threads(1, [&] { gemm(arch{}, m, a.data(), k, packed, one.data(), n, {}); });
  with_threads(2, [&] { gemm(arch{}, m, a.data(), k, packed, two.data(), n, {}); });
  for (std::size_t i = 0; i < m; ++i)
    gemm(arch{}, 1, a.data() + i * k, k, packed, rows.data() + i * n, n, {});
  CHECK(same_bits(one, two));
  CHECK(same_bits(one, rows));
}

TEST_CASE("int8 gemm stays within 3e-2 of the f32 product at a ViT-B shape") {
  const std::size_t m = 197, n = 768, k = 3072;
  const gemm_shape s{m, n, k, k, k, n};
  const auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 31);
  const auto w = admn::test::uniform(n * k, -0.02f, 0.02f, 32);
  std::vector<float> got(m * n), want(m * n);
  gemm(arch{}, m, a.data(), k, packed_weights_int8(w.data(), n, k, k), got.data(), n, {});
  reference::gemm(s, a.data(), w.data(), want.data(), {});
  const double err = admn::test::relative_error(got, want);
  MESSAGE("int8 relative error vs f32 at 197x768x3072: " << err);
  CHECK(err <= 3e-2);
  CHECK(err > 0.0);  // the quantisation is real
}

TEST_CASE("an int8 Linear reports its precision and multiplies with the int8 kernel") {
  admn::tensor weight(admn::shape{3, 5});
  const auto values = admn::test::uniform(15, -1.0f, 1.0f, 41);
  std::copy(values.begin(), values.end(), weight.values().begin());
  const admn::layers::linear int8(weight, std::nullopt, precision::int8);
  CHECK(int8.precision() == precision::int8);
  CHECK(int8.in_features() == 5);
  CHECK(int8.out_features() == 3);
  admn::tensor x(admn::shape{2, 5}), y(admn::shape{2, 3});
  const auto xs = admn::test::uniform(10, -1.0f, 1.0f, 42);
  std::copy(xs.begin(), xs.end(), x.values().begin());
  int8.forward(x.view(), y.view());
  std::vector<float> want(6);
  reference::gemm_int8({2, 3, 5, 5, 5, 3}, xs.data(), values.data(), want.data(), {});
  CHECK(same_bits(std::vector<float>(y.values().begin(), y.values().end()), want));
}

TEST_CASE("precision names parse both ways and an unknown one is a typed error naming it") {
  for (const precision p : {precision::fp32, precision::bf16, precision::int8})
    CHECK(parse_precision(to_string(p)) == p);
  CHECK_NOTHROW(require_available(precision::int8));
  try {
    (void)parse_precision("int4");
    FAIL("no error");
  } catch (const admn::argument_error& e) {
    CHECK(e.id() == "admn.precision.unknown");
    CHECK(std::string(e.what()).find("'int4'") != std::string::npos);
  }
}
