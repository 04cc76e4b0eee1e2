// LayerCollapse building blocks: the PReLU kernels, PReLU MLPs and their collapse
// into one Linear, and the errors of both.
#include <admn/kernels/activation.hpp>
#include <admn/layers/mlp.hpp>

#include "common/compare.hpp"
#include "common/error_id.hpp"
#include "common/fixture.hpp"
#include "related/related_common.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using admn::tensor;
using namespace admn::kernels;

using admn::test::error_id;

namespace {

tensor values(std::vector<float> v, const admn::shape& s) {
  tensor t(s);
  REQUIRE(v.size() == t.size());
  std::copy(v.begin(), v.end(), t.data());
  return t;
}

admn::layers::linear random_linear(std::size_t in, std::size_t out, unsigned seed, bool bias = true) {
  tensor w = values(admn::test::uniform(in * out, -0.5f, 0.5f, seed), admn::shape{out, in});
  std::optional<tensor> b;
  if (bias) b = values(admn::test::uniform(out, -0.2f, 0.2f, seed + 1), admn::shape{out});
  return admn::layers::linear(w, std::move(b));
}

// y = mlp(x) for rows × in inputs.
tensor apply(const admn::layers::mlp& m, const tensor& x) {
  tensor y(admn::shape{x.shape()[0], m.out_features()});
  admn::workspace ws;
  m.forward(x.view(), y.view(), ws);
  return y;
}

}  // namespace

TEST_CASE("PReLU with one slope matches the scalar reference at odd lengths") {
  for (const float slope : {0.25f, 1.0f, -0.5f})
    for (std::size_t n : {1u, 7u, 16u, 17u, 33u}) {
      CAPTURE(n);
      auto x = admn::test::uniform(n, -4.0f, 4.0f, static_cast<unsigned>(n));
      auto expected = x;
      const activation_fn f{activation::prelu, slope};
      reference::activate(f, expected.data(), n);
      activate(default_arch{}, f, x.data(), n);
      CHECK(admn::test::max_abs_error(x, expected) == 0.0);
    }
}

TEST_CASE("per-channel PReLU applies slope j to column j, with row strides and odd widths") {
  for (std::size_t cols : {1u, 5u, 16u, 23u}) {
    CAPTURE(cols);
    const std::size_t rows = 3, ld = cols + 4;
    auto x = admn::test::uniform(rows * ld, -2.0f, 2.0f, static_cast<unsigned>(cols));
    const auto slopes = admn::test::uniform(cols, 0.0f, 1.0f, 99);
    auto expected = x;
    reference::prelu_channels(expected.data(), rows, cols, ld, slopes.data());
    prelu_channels(default_arch{}, x.data(), rows, cols, ld, slopes.data());
    CHECK(admn::test::max_abs_error(x, expected) == 0.0);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = cols; j < ld; ++j)
        CHECK(x[r * ld + j] == expected[r * ld + j]);  // padding untouched
  }
}

TEST_CASE("an MLP with PReLU slope 1 collapses into one Linear with the same outputs") {
  const tensor x = values(admn::test::uniform(7 * 12, -1.0f, 1.0f, 5), admn::shape{7, 12});
  for (const bool per_channel : {false, true}) {
    CAPTURE(per_channel);
    auto make = [&](float slope) {
      if (per_channel) {
        tensor s(admn::shape{40});
        s.fill(slope);
        return admn::layers::mlp(random_linear(12, 40, 1), random_linear(40, 9, 3), std::move(s));
      }
      return admn::layers::mlp(random_linear(12, 40, 1), random_linear(40, 9, 3), {activation::prelu, slope});
    };
    const auto linear_mlp = make(1.0f);
    CHECK(linear_mlp.is_linear(0.0f));
    const auto collapsed = linear_mlp.collapse(0.0f);
    REQUIRE(collapsed.has_value());
    CHECK(collapsed->collapsed());
    CHECK(collapsed->hidden_features() == 0);
    CHECK(collapsed->in_features() == 12);
    CHECK(collapsed->out_features() == 9);
    CHECK(collapsed->macs(1) == 12 * 9);
    CHECK(linear_mlp.macs(1) - collapsed->macs(1) == 12 * 40 + 40 * 9 - 12 * 9);
    CHECK(admn::test::relative_error(apply(*collapsed, x).values(), apply(linear_mlp, x).values()) < 1e-6);
    CHECK(!collapsed->collapse(0.0f).has_value());  // already one Linear

    const auto bent = make(0.25f);
    CHECK(!bent.is_linear(0.5f));
    CHECK(!bent.collapse(0.5f).has_value());
    CHECK(make(1.0f + 1e-4f).is_linear(2e-4f));
    CHECK(!make(1.0f + 1e-4f).is_linear(5e-5f));
  }
}

TEST_CASE("collapse weights are W2·W1 and W2·b1 + b2, also without biases") {
  // W1 = [[1, 2], [3, 4], [5, 6]] (3×2), b1 = [1, 0, -1]; W2 = [[1, 0, 2]], b2 = [0.5].
  tensor w1 = values({1, 2, 3, 4, 5, 6}, admn::shape{3, 2}), b1 = values({1, 0, -1}, admn::shape{3});
  tensor w2 = values({1, 0, 2}, admn::shape{1, 3}), b2 = values({0.5f}, admn::shape{1});
  const admn::layers::mlp m(admn::layers::linear(w1, std::move(b1)), admn::layers::linear(w2, std::move(b2)),
                            {activation::none});
  const auto c = m.collapse(0.0f);
  REQUIRE(c.has_value());
  CHECK(c->fc1().weight(0, 0) == 11.0f);       // 1·1 + 2·5
  CHECK(c->fc1().weight(0, 1) == 14.0f);       // 1·2 + 2·6
  CHECK(c->fc1().bias()->data()[0] == -0.5f);  // 1·1 + 2·(−1) + 0.5
  const admn::layers::mlp no_bias(random_linear(4, 6, 7, false), random_linear(6, 3, 8, false),
                                  {activation::none});
  const auto nc = no_bias.collapse(0.0f);
  REQUIRE(nc.has_value());
  CHECK(!nc->fc1().has_bias());
  // GELU and ReLU MLPs are never linear.
  for (const auto kind : {activation::gelu_erf, activation::relu}) {
    const admn::layers::mlp g(random_linear(4, 6, 7), random_linear(6, 3, 8), {kind});
    CHECK(!g.is_linear(1.0f));
  }
}

TEST_CASE("PReLU slopes load from the key after fc1, in timm and nn.Sequential naming") {
  const tensor fc1_w = values(admn::test::uniform(8 * 4, -1, 1, 1), admn::shape{8, 4});
  const tensor fc1_b = values(admn::test::uniform(8, -1, 1, 2), admn::shape{8});
  const tensor fc2_w = values(admn::test::uniform(4 * 8, -1, 1, 3), admn::shape{4, 8});
  const tensor fc2_b = values(admn::test::uniform(4, -1, 1, 4), admn::shape{4});
  const tensor one = values({0.5f}, admn::shape{1});
  const tensor eight = values(admn::test::uniform(8, 0, 1, 5), admn::shape{8});
  const tensor seven = values(admn::test::uniform(7, 0, 1, 6), admn::shape{7});
  // The writer refuses aliased entries: the nn.Sequential copy gets its own tensors.
  const tensor fc1_w2 = fc1_w.clone(), fc1_b2 = fc1_b.clone(), fc2_w2 = fc2_w.clone(), fc2_b2 = fc2_b.clone();
  const admn::test::temp_weights file("prelu", {{"mlp.fc1.weight", &fc1_w},
                                                {"mlp.fc1.bias", &fc1_b},
                                                {"mlp.fc2.weight", &fc2_w},
                                                {"mlp.fc2.bias", &fc2_b},
                                                {"mlp.act.weight", &one},
                                                {"net.1.weight", &fc1_w2},
                                                {"net.1.bias", &fc1_b2},
                                                {"net.4.weight", &fc2_w2},
                                                {"net.4.bias", &fc2_b2},
                                                {"net.2.weight", &eight},
                                                {"bad.act.weight", &seven}});
  const admn::io::weight_source w(
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(file.path())));
  const activation_fn prelu{activation::prelu};
  const auto timm = admn::layers::mlp::load(w, {"mlp.fc1.", "mlp.fc2."}, prelu);
  CHECK(timm.activation().slope == 0.5f);
  CHECK(timm.prelu_slopes().empty());
  const auto sequential = admn::layers::mlp::load(w, {"net.1.", "net.4."}, prelu);
  CHECK(sequential.prelu_slopes().size() == 8);
  const auto explicit_key = admn::layers::mlp::load(w, {"net.1.", "net.4.", "net.2."}, prelu);
  CHECK(explicit_key.prelu_slopes()[3] == eight.data()[3]);
  CHECK(error_id([&] {
          (void)admn::layers::mlp::load(w, {"net.1.", "net.4.", "bad.act."}, prelu);
        }) == "admn.load.shape");
  CHECK(error_id([&] {
          (void)admn::layers::mlp::load(w.sub("mlp."), {"fc1.", "fc2.", "missing."}, prelu);
        }) == "admn.load.missing");
  const admn::test::temp_weights odd(
      "prelu_odd",
      {{"first.weight", &fc1_w}, {"first.bias", &fc1_b}, {"second.weight", &fc2_w}, {"second.bias", &fc2_b}});
  const admn::io::weight_source wo(
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(odd.path())));
  CHECK(error_id([&] {
          (void)admn::layers::mlp::load(wo, {"first.", "second."}, prelu);
        }) == "admn.mlp.prelu_key");
  // The per-channel constructor checks the slope count.
  CHECK(error_id([&] {
          (void)admn::layers::mlp(random_linear(4, 8, 1), random_linear(8, 4, 2),
                                  values({1, 1, 1}, admn::shape{3}));
        }) == "admn.mlp.prelu");
  // A GELU MLP loads without looking for slopes.
  CHECK(admn::layers::mlp::load(wo, {"first.", "second."}, {activation::gelu_erf}).hidden_features() == 8);
}
