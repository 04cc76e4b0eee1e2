// The cost model reproduces docs/numerics.md §8's MAC figures from shapes alone, and agrees
// with the layers' own macs() on a loaded network.
#include <admn/adaptive/cost.hpp>
#include <admn/adaptive/planner.hpp>
#include <admn/adaptive/static_plan.hpp>
#include <admn/model/network.hpp>
#include <admn/zoo/reference_shapes.hpp>

#include "common/tiny_network.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace ad = admn::adaptive;

namespace {

// `value` MACs printed in GMAC with `decimals` decimals equals `figure`.
bool gmac(double value, double figure, int decimals = 4) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value / 1e9 * scale) == std::round(figure * scale);
}

double all_blocks(const ad::cost_table& t, bool controller) {
  return t.plan_cost(ad::layer_plan::all(t.depths()), controller);
}

}  // namespace

TEST_CASE("a ViT-B/16 block: 1.4540 GMAC at 197 tokens, 4.0352 at 513") {
  const ad::vit_shape image{};
  CHECK(image.tokens() == 197);
  const ad::block_macs b = image.block();
  CHECK(b.qkv == 348'585'984u);       // 197·768·2304
  CHECK(b.attention == 59'610'624u);  // 2·197²·768
  CHECK(b.proj == 116'195'328u);
  CHECK(b.mlp == 929'562'624u);
  CHECK(gmac(b.qkv, 0.3486));
  CHECK(gmac(b.attention, 0.0596));
  CHECK(gmac(b.proj, 0.1162));
  CHECK(gmac(b.mlp, 0.9296));
  CHECK(gmac(b.total(), 1.4540));
  const ad::vit_shape audio{.channels = 1, .image = {128, 1024}};
  CHECK(audio.tokens() == 513);
  const ad::block_macs a = audio.block();
  CHECK(gmac(a.qkv, 0.9077));
  CHECK(gmac(a.attention, 0.4042));
  CHECK(gmac(a.proj, 0.3026));
  CHECK(gmac(a.mlp, 2.4206));
  CHECK(gmac(a.total(), 4.0352));
  CHECK(gmac(image.patch_embed(), 0.1156));
  CHECK(gmac(audio.patch_embed(), 0.1007));
}

TEST_CASE("controllers: GTDM 0.2608, AVE 0.6843, MMFI 0.2671 GMAC") {
  const ad::conv_encoder_shape gtdm_encoder{};
  CHECK(gtdm_encoder.flat_features() == 1587);
  const ad::network_shape gtdm = admn::zoo::gtdm_shape(), ave = admn::zoo::ave_shape(),
                          mmfi = admn::zoo::mmfi_shape();
  CHECK(gmac(6 * gtdm.controller->encoders[0].macs(), 0.2385));
  CHECK(gmac(gtdm.controller->combiner.macs(gtdm.controller->tokens()), 0.0221));
  CHECK(gmac(gtdm.controller->macs(), 0.2608));
  const auto& ave_c = *ave.controller;
  CHECK(ave_c.encoders[1].flat_features() == 7488);
  CHECK(gmac(8 * ave_c.encoders[0].macs(), 0.3213));
  CHECK(gmac(ave_c.encoders[1].macs(), 0.2365));
  CHECK(gmac(ave_c.combiner.macs(ave_c.tokens()), 0.1262));
  CHECK(gmac(ave_c.macs(), 0.6843));
  CHECK(mmfi.controller->tokens() == 6);
  CHECK(gmac(mmfi.controller->macs(), 0.2671));
  const ad::conv_encoder_shape too_small{.resize = {20, 20}};
  CHECK_THROWS_WITH_AS((void)too_small.macs(), doctest::Contains("[admn.cost.shape]"), admn::shape_error);
}

TEST_CASE("GTDM: 3·L·1.454 + 0.98 GMAC (27.2, 35.9, 53.3, 70.8), 105.4 without controller") {
  const ad::network_shape s = admn::zoo::gtdm_shape();
  const ad::cost_table t = ad::macs_table(s);
  // Patch embeddings ×6 + adapters + fusion + head.
  CHECK(gmac(t.modalities[0].embed + t.modalities[1].embed + t.fusion_head, 0.7206));
  CHECK(gmac(t.controller + t.modalities[0].embed + t.modalities[1].embed + t.fusion_head, 0.98, 2));
  for (const auto& [layers, figure] : {std::pair{6, 27.2}, {8, 35.9}, {12, 53.3}, {16, 70.8}}) {
    const auto& layers_ = layers;  // clang 14: no structured binding in a lambda
    CAPTURE(layers_);
    CHECK(gmac(t.budget_cost(layers), figure, 1));
    CHECK(t.budget_cost(layers, ad::bound::lower) == t.budget_cost(layers));  // equal modalities
  }
  for (std::size_t layers = 2; layers <= 24; ++layers)
    CHECK(std::abs(t.budget_cost(layers) / 1e9 - (3 * layers * 1.454 + 0.98)) < 0.005 + 0.0001 * layers);
  CHECK(gmac(all_blocks(t, false), 105.4, 1));
}

TEST_CASE("MMFI: 15·L·1.454 + 3.75 GMAC (178.2, 352.7, 527.2)") {
  const ad::cost_table t = ad::macs_table(admn::zoo::mmfi_shape());
  CHECK(gmac(t.budget_cost(8), 178.2, 1));
  CHECK(gmac(t.budget_cost(16), 352.7, 1));
  CHECK(gmac(t.budget_cost(24), 527.2, 1));
  CHECK(gmac(t.budget_cost(2) - 2 * t.modalities[0].block, 3.75, 2));
}

TEST_CASE("AVE: image block 11.63, audio block 4.04, full model 189.1 GMAC") {
  const ad::cost_table t = ad::macs_table(admn::zoo::ave_shape());
  CHECK(gmac(t.modalities[0].block, 11.63, 2));
  CHECK(gmac(t.modalities[1].block, 4.04, 2));
  CHECK(gmac(all_blocks(t, false), 189.1, 1));
  // The controller does not know its split in advance: the bounds differ by one image
  // block against one audio block per extra layer.
  CHECK(t.budget_cost(3) - t.budget_cost(3, ad::bound::lower) ==
        doctest::Approx(t.modalities[0].block - t.modalities[1].block));
  // 14 blocks: 12 image first (11 extra) + 1 audio extra at the upper bound.
  CHECK(t.budget_cost(14) ==
        doctest::Approx(t.controller + t.fusion_head + t.modalities[0].embed + t.modalities[1].embed +
                        12 * t.modalities[0].block + 2 * t.modalities[1].block));
  // A MAC budget: the largest L whose worst split fits 100 GMAC.
  const ad::budget_choice c = ad::plan_for_macs(t, 100e9);
  CHECK(t.budget_cost(c.layers) <= 100e9);
  CHECK(t.budget_cost(c.layers + 1) > 100e9);
  CHECK(c.best_case <= c.predicted);
  CHECK_THROWS_AS((void)t.budget_cost(1), admn::budget_error);
  CHECK_THROWS_AS((void)t.budget_cost(25), admn::budget_error);
}

TEST_CASE("the shape calculator agrees with a loaded network's layers") {
  const auto tiny = admn::test::make_tiny_network("cost-test");
  const auto& net = tiny.net;

  // The same network described by shapes only.
  ad::network_shape s;
  const ad::vit_shape vit{
      .dim = 48, .depth = 6, .heads = 4, .mlp = 96, .channels = 3, .image = {32, 32}, .patch = {8, 8}};
  s.modalities = {{"cam", vit, 2}, {"ir", vit, 2}};
  s.controller =
      ad::controller_shape{.encoders = {{.dim = 32}, {.dim = 32}},
                           .encoded = {2, 2},
                           .combiner = {.dim = 32, .depth = 2, .heads = 4, .dim_head = 8, .mlp = 64},
                           .head_hidden = 20,
                           .logits = 12,
                           .noise_hidden = 20,
                           .qoi = 2};
  s.adapter_hidden = 24;
  s.fusion = {.dim = 32, .depth = 2, .heads = 4, .dim_head = 8, .mlp = 48};
  s.head = ad::linear_macs(1, 32, 5);

  const ad::cost_table shapes = ad::macs_table(s), loaded = ad::macs_table_of(net);
  CHECK(shapes.controller == loaded.controller);
  CHECK(shapes.fusion_head == loaded.fusion_head);
  REQUIRE(shapes.modalities.size() == loaded.modalities.size());
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(shapes.modalities[i].name == loaded.modalities[i].name);
    CHECK(shapes.modalities[i].depth == loaded.modalities[i].depth);
    CHECK(shapes.modalities[i].embed == loaded.modalities[i].embed);
    CHECK(shapes.modalities[i].block == loaded.modalities[i].block);
  }
  const auto depths = net.depths();
  for (const char* text : {"all", "first:1", "0,2;5", "every-other:3,2", ";0,1"}) {
    CAPTURE(text);
    const ad::layer_plan plan = ad::parse_plan(text, depths);
    CHECK(shapes.plan_cost(plan) == static_cast<double>(net.macs(plan)));
    CHECK(shapes.plan_cost(plan, false) == static_cast<double>(net.macs(plan, false)));
  }
}
