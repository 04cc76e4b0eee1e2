// A ViT-B block with its four Linears in int8 (kernels/gemm_int8.hpp) against the same
// block in f32: random weights ~N(0, 1/fan_in), one 197-token sequence.
#include <admn/kernels/parallel.hpp>
#include <admn/layers/encoder_block.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>

namespace {

using admn::shape;
using admn::tensor;
using admn::kernels::precision;

tensor normal(const shape& s, float mean, float stddev, unsigned seed) {
  tensor t(s);
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(mean, stddev);
  for (float& v : t.values()) v = dist(gen);
  return t;
}

admn::layers::linear linear(std::size_t in, std::size_t out, unsigned seed, precision p) {
  return admn::layers::linear(normal(shape{out, in}, 0.0f, 1.0f / std::sqrt(float(in)), seed),
                              normal(shape{out}, 0.0f, 0.02f, seed + 1), p);
}

admn::layers::encoder_block vit_b_block(precision p) {
  const std::size_t d = 768;
  return admn::layers::encoder_block(
      admn::layers::layer_norm(normal(shape{d}, 1.0f, 0.1f, 1), normal(shape{d}, 0.0f, 0.1f, 2)),
      admn::layers::multi_head_attention(linear(d, 3 * d, 3, p), linear(d, d, 5, p), {.heads = 12}),
      admn::layers::layer_norm(normal(shape{d}, 1.0f, 0.1f, 7), normal(shape{d}, 0.0f, 0.1f, 8)),
      admn::layers::mlp(linear(d, 4 * d, 9, p), linear(4 * d, d, 11, p),
                        {admn::kernels::activation::gelu_erf}));
}

std::vector<float> run(const admn::layers::encoder_block& block, const tensor& input, std::size_t batch,
                       int threads) {
  tensor x = input.clone();
  admn::workspace ws;
  admn::kernels::with_threads(threads, [&] { block.forward(x.view(), batch, 197, ws); });
  return {x.values().begin(), x.values().end()};
}

}  // namespace

TEST_CASE("a ViT-B block with int8 Linears stays within 3e-2 of f32, independent of threads and batch") {
  const auto fp32 = vit_b_block(precision::fp32), int8 = vit_b_block(precision::int8);
  const tensor input = normal(shape{2 * 197, 768}, 0.0f, 1.0f, 13);
  const tensor first = [&] {
    tensor t(shape{197, 768});
    std::memcpy(t.data(), input.data(), t.size() * sizeof(float));
    return t;
  }();

  const auto want = run(fp32, first, 1, 1), got = run(int8, first, 1, 1);
  std::vector<float> update_want(want.size()), update_got(got.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    update_want[i] = want[i] - first.data()[i];
    update_got[i] = got[i] - first.data()[i];
  }
  const double out_err = admn::test::relative_error(got, want);
  const double update_err = admn::test::relative_error(update_got, update_want);
  MESSAGE("int8 ViT-B block vs f32: output " << out_err << ", update (out - in) " << update_err);
  CHECK(out_err <= 3e-2);
  CHECK(update_err <= 3e-2);  // the part the Linears compute, not diluted by the residual
  CHECK(update_err > 0.0);

  // Bit-identical on 2 threads, and as the first sequence of a batch of two.
  CHECK(run(int8, first, 1, 2) == got);
  const auto batch = run(int8, input, 2, 2);
  CHECK(std::equal(got.begin(), got.end(), batch.begin()));
}
