// LayerCollapse against PyTorch (tests/reference/related_layercollapse.py): a ViT whose
// MLPs use PReLU, loaded as is and with the load-time collapse of linear MLPs.
#include <admn/model/vit_backbone.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using admn::tensor;
using admn::model::vit_backbone;
using admn::test::check_close;
using admn::test::fixture;

namespace {

constexpr admn::kernels::activation_fn prelu{admn::kernels::activation::prelu};

tensor run(const vit_backbone& vit, const tensor& image, const std::vector<std::size_t>& blocks) {
  admn::workspace ws;
  tensor out(admn::shape{2, 16});
  vit.forward(image.view(), blocks, out.view(), ws);
  return out;
}

}  // namespace

TEST_CASE("LayerCollapse: a PReLU-MLP ViT equals torch, collapsed or not") {
  const fixture f("related/layercollapse.safetensors");
  const tensor image = f.get("image");
  const std::vector<std::size_t> all{0, 1, 2, 3, 4}, some{1, 2, 4};

  const auto model = vit_backbone::load(f.weights(), {.heads = 2, .mlp_activation = prelu});
  CHECK(model.collapsed().count() == 0);
  CHECK(model.block(1).mlp().activation().slope == 0.25f);
  CHECK(model.block(2).mlp().prelu_slopes().size() == 48);
  check_close(run(model, image, all), f.get("out.all"));
  check_close(run(model, image, some), f.get("out.some"));
  {
    admn::workspace ws;
    tensor tokens(admn::shape{2, 17, 16});
    model.forward_tokens(image.view(), all, tokens.view(), ws);
    check_close(tokens, f.get("tokens.all"));
  }

  const float tolerance = std::stof(f.meta("tolerance"));
  const auto collapsed = vit_backbone::load(
      f.weights(), {.heads = 2, .mlp_activation = prelu, .collapse_linear_mlps = tolerance});
  const auto& report = collapsed.collapsed();
  CHECK(report.mlps == 5);
  CHECK(report.blocks == std::vector<std::size_t>{0, 2, 3});
  CHECK(std::to_string(report.macs_saved_per_token) == f.meta("macs_saved_per_token"));
  CHECK(report.macs_saved(2, 17) == 2 * 17 * report.macs_saved_per_token);
  for (const std::size_t b : report.blocks) {
    CHECK(collapsed.block(b).mlp().collapsed());
    CHECK(collapsed.block_macs(1, b) + 17 * 1280 == model.block_macs(1, b));
  }
  CHECK(!collapsed.block(1).mlp().collapsed());
  // The collapsed model against the uncollapsed reference, against torch's own
  // collapse, and against the C++ uncollapsed model: all within 1e-5.
  for (const auto& [name, blocks] :
       {std::pair{std::string("all"), all}, std::pair{std::string("some"), some}}) {
    const auto& name_ = name;  // clang 14: no structured binding in a lambda
    CAPTURE(name_);
    const tensor out = run(collapsed, image, blocks);
    check_close(out, f.get("out." + name));
    check_close(out, f.get("collapsed." + name));
    check_close(out, run(model, image, blocks));
  }

  // A tighter tolerance leaves block 3 (slope 1 − 2⁻²²) alone.
  const auto strict =
      vit_backbone::load(f.weights(), {.heads = 2, .mlp_activation = prelu, .collapse_linear_mlps = 1e-7f});
  CHECK(strict.collapsed().blocks == std::vector<std::size_t>{0, 2});
  check_close(run(strict, image, all), f.get("out.all"));
}
