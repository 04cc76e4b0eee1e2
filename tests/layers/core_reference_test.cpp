// Layers against PyTorch golden files (tests/reference/make_core_fixtures.py).
#include <admn/layers/attention.hpp>
#include <admn/layers/encoder_block.hpp>
#include <admn/layers/layer_norm.hpp>
#include <admn/layers/linear.hpp>
#include <admn/model/transformer_encoder.hpp>

#include "common/detgen.hpp"
#include "common/fixture.hpp"

#include <doctest/doctest.h>

using admn::tensor;
using admn::test::check_close;
using admn::test::fixture;

namespace {

// (b, n, d) → (b·n, d) view of a tensor.
admn::mutable_view rows_of(tensor& t) {
  return t.view().reshape(
      admn::shape{t.size() / t.shape()[t.shape().rank() - 1], t.shape()[t.shape().rank() - 1]});
}

}  // namespace

TEST_CASE("layer_norm equals torch (widths 37 and 768)") {
  const fixture f("core/layer_norm.safetensors");
  for (const std::string suffix : {"", "768"}) {
    const auto norm = admn::layers::layer_norm(f.get("weight" + suffix), f.get("bias" + suffix), 1e-5f);
    tensor x = f.get("x" + suffix);
    tensor y(x.shape());
    norm.forward(x.view(), y.view());
    check_close(y, f.get("y" + suffix));
  }
}

TEST_CASE("softmax and activations equal torch") {
  const fixture s("core/softmax.safetensors");
  for (const std::string suffix : {"", "2"}) {
    tensor x = s.get("x" + suffix);
    admn::kernels::softmax(admn::kernels::default_arch{}, x.data(), x.shape()[0], x.shape()[1], x.shape()[1]);
    check_close(x, s.get("y" + suffix));
  }
  const fixture g("core/gelu.safetensors");
  using admn::kernels::activation;
  const std::pair<const char*, admn::kernels::activation_fn> cases[] = {
      {"erf", {activation::gelu_erf}},
      {"tanh", {activation::gelu_tanh}},
      {"relu", {activation::relu}},
      {"leaky_relu", {activation::leaky_relu, 0.01f}}};
  for (const auto& [name, fn] : cases) {
    const auto& name_ = name;  // clang 14: no structured binding in a lambda
    CAPTURE(name_);
    tensor x = g.get("x");
    admn::kernels::activate(admn::kernels::default_arch{}, fn, x.data(), x.size());
    check_close(x, g.get(name), 1e-6);
  }
}

TEST_CASE("linear equals torch") {
  const fixture f("core/linear.safetensors");
  const auto layer = admn::layers::linear::load(f.weights(), {.in = 33, .out = 19});
  tensor x = f.get("x");
  tensor y(admn::shape{7, 19});
  layer.forward(x.view(), y.view());
  check_close(y, f.get("y"));
}

TEST_CASE("attention equals torch in the timm and vit_dev flavours") {
  const fixture f("core/attention.safetensors");
  admn::workspace ws(1 << 20);
  {
    const auto attn = admn::layers::multi_head_attention::load(f.weights(), {"qkv.", "proj."},
                                                               {.heads = 3, .qkv_bias = true}, 48);
    CHECK(attn.scale() == 0.25f);
    tensor x = f.get("x");
    tensor y(x.shape());
    attn.forward(rows_of(x), 2, 11, rows_of(y), ws);
    check_close(y, f.get("y"));
  }
  {
    const auto attn = admn::layers::multi_head_attention::load(
        f.weights().sub("vd."), {"to_qkv.", "to_out.0."}, {.heads = 4, .qkv_bias = false}, 32);
    tensor x = f.get("vd.x");
    tensor y(x.shape());
    attn.forward(rows_of(x), 2, 7, rows_of(y), ws);
    check_close(y, f.get("vd.y"));
  }
  CHECK(ws.used() == 0);
}

TEST_CASE("timm block (small) equals torch") {
  const fixture f("core/timm_block_small.safetensors");
  const auto block = admn::layers::encoder_block::load(f.weights(), {.heads = 3});
  tensor x = f.get("x");
  admn::workspace ws;
  block.forward(rows_of(x), 2, 17, ws);
  check_close(x, f.get("y"));
}

TEST_CASE("one real-size ViT-B block (768, 12 heads, 197 tokens) equals torch") {
  const fixture f("core/timm_block_vitb.safetensors");
  using admn::shape;
  using admn::test::detgen;
  auto plus_one = [](tensor t) {
    for (float& v : t.values()) v = 1.0f + v;
    return t;
  };
  const admn::layers::encoder_block block(
      admn::layers::layer_norm(plus_one(detgen(101, shape{768}, 0.125)), detgen(102, shape{768}, 0.125)),
      admn::layers::multi_head_attention(
          admn::layers::linear(detgen(103, shape{2304, 768}, 0.0625), detgen(104, shape{2304}, 0.0625)),
          admn::layers::linear(detgen(105, shape{768, 768}, 0.03125), detgen(106, shape{768}, 0.03125)),
          {.heads = 12}),
      admn::layers::layer_norm(plus_one(detgen(107, shape{768}, 0.125)), detgen(108, shape{768}, 0.125)),
      admn::layers::mlp(
          admn::layers::linear(detgen(109, shape{3072, 768}, 0.0625), detgen(110, shape{3072}, 0.0625)),
          admn::layers::linear(detgen(111, shape{768, 3072}, 0.03125), detgen(112, shape{768}, 0.03125)),
          {admn::kernels::activation::gelu_erf}));
  tensor x = f.get("x");
  check_close(x, detgen(113, shape{1, 197, 768}, 1.0), 0.0);  // the stored input is the generated one
  admn::workspace ws;
  block.forward(rows_of(x), 1, 197, ws);
  check_close(x, f.get("y"));
}

TEST_CASE("vit_dev TransformerEnc (2 layers + final norm) equals torch") {
  const fixture f("core/transformer_enc_small.safetensors");
  const auto encoder = admn::model::transformer_encoder::load(f.weights(), 4);
  CHECK(encoder.depth() == 2);
  CHECK(encoder.dim() == 32);
  tensor x = f.get("x");
  admn::workspace ws;
  encoder.forward(rows_of(x), 2, 7, ws);
  check_close(x, f.get("y"));
  // Every tensor of the file was bound (weights) or read (x, y).
  CHECK(f.weights().unused_keys().empty());
}
