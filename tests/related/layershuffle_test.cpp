// LayerShuffle vocabulary and backbone behaviour: execution orders and ordered plans
// (text form, validation, random orders), layer-position embeddings, the split
// forward pass (embed + forward_embedded).
#include <admn/adaptive/execution_order.hpp>
#include <admn/model/vit_backbone.hpp>

#include "common/error_id.hpp"
#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using admn::tensor;
using admn::adaptive::execution_order;
using admn::adaptive::ordered_plan;

using admn::test::error_id;

TEST_CASE("an execution order is any permutation of any subset, with a text form") {
  const auto o = execution_order::parse("3,0,2", 4);
  CHECK(o.size() == 3);
  CHECK(o[0] == 3);
  CHECK(o.to_string() == "3,0,2");
  CHECK(o.mask().to_string() == "1011");
  CHECK(o.position_of(2) == std::optional<std::size_t>{2});
  CHECK(!o.position_of(1).has_value());
  CHECK(!o.is_ascending());
  CHECK(execution_order::parse("", 4).empty());
  CHECK(execution_order::identity(4).to_string() == "0,1,2,3");
  CHECK(execution_order::identity(4).is_ascending());
  CHECK(execution_order::ascending(admn::adaptive::layer_mask::parse("0110")).to_string() == "1,2");
  const std::vector<std::size_t> blocks{2, 1};
  CHECK(execution_order::of(blocks, 3) == execution_order::parse("2,1", 3));
  CHECK(!(execution_order::parse("1,2", 3) == execution_order::parse("2,1", 3)));
  const std::span<const std::size_t> as_span = o;
  CHECK(as_span.size() == 3);
}

TEST_CASE("bad execution orders throw typed errors") {
  CHECK(error_id([] { (void)execution_order::parse("1,4", 4); }) == "admn.order.block");
  CHECK(error_id([] { (void)execution_order::parse("1,2,1", 4); }) == "admn.order.repeat");
  CHECK(error_id([] { (void)execution_order::parse("1,x", 4); }) == "admn.order.parse");
  CHECK(error_id([] { (void)execution_order::parse("1,", 4); }) == "admn.order.parse");
  CHECK(error_id([] { (void)execution_order::parse(",1", 4); }) == "admn.order.parse");
  CHECK(error_id([] { (void)execution_order::parse("-1", 4); }) == "admn.order.parse");
  CHECK(error_id([] { (void)execution_order::random(4, 5, 1); }) == "admn.order.keep");
  CHECK(error_id([] { (void)execution_order(65); }) == "admn.mask.depth");
  try {
    (void)execution_order::parse("0,2,0", 3);
  } catch (const admn::error& e) {
    CHECK(std::string(e.what()) == "[admn.order.repeat] block 0 appears twice in execution order '0,2'");
  }
}

TEST_CASE("random orders are seeded, distinct, and cover every permutation position") {
  CHECK(execution_order::random(12, 12, 7) == execution_order::random(12, 12, 7));
  CHECK(!(execution_order::random(12, 12, 7) == execution_order::random(12, 12, 8)));
  std::set<std::string> seen;
  std::vector<std::size_t> first_counts(6, 0);
  for (std::uint64_t seed = 0; seed < 2000; ++seed) {
    const auto o = execution_order::random(6, 4, seed);
    REQUIRE(o.size() == 4);
    CHECK(o.mask().count() == 4);  // distinct
    seen.insert(o.to_string());
    ++first_counts[o[0]];
  }
  CHECK(seen.size() > 350);                                 // of 360 ordered 4-subsets of 6; 358.6 expected
  for (const std::size_t c : first_counts) CHECK(c > 250);  // roughly uniform (333 expected)
  CHECK(execution_order::random(5, 0, 3).empty());
  const auto mask = admn::adaptive::layer_mask::parse("1011001");
  const auto shuffled = execution_order::shuffled(mask, 5);
  CHECK(shuffled.mask() == mask);
  CHECK(shuffled == execution_order::shuffled(mask, 5));
  std::set<std::string> orders;
  for (std::uint64_t seed = 0; seed < 200; ++seed)
    orders.insert(execution_order::shuffled(mask, seed).to_string());
  CHECK(orders.size() == 24);  // every permutation of 4 blocks
}

TEST_CASE("an ordered plan keeps one order per modality") {
  const std::vector<std::size_t> depths{4, 3};
  const auto p = ordered_plan::parse("3,0;2,1,0", depths);
  CHECK(p.modalities() == 2);
  CHECK(p[0].to_string() == "3,0");
  CHECK(p.to_string() == "3,0;2,1,0");
  CHECK(p.masks().to_string() == "0,3;0,1,2");
  CHECK(ordered_plan::parse(";", depths).to_string() == ";");
  const auto plan = admn::adaptive::layer_plan::parse("0,2;1", depths);
  CHECK(ordered_plan::ascending(plan).to_string() == "0,2;1");
  CHECK(error_id([&] { (void)ordered_plan::parse("0", depths); }) == "admn.plan.parse");
  CHECK(error_id([&] { (void)ordered_plan::parse("0;1;2", depths); }) == "admn.plan.parse");
  CHECK(error_id([&] { (void)ordered_plan::parse("0;3", depths); }) == "admn.order.block");
}

TEST_CASE(
    "the order matters, the position table must cover the order, and embed + forward_embedded = forward") {
  const admn::test::fixture f("related/layershuffle.safetensors");
  const auto vit = admn::model::vit_backbone::load(
      f.weights(), {.heads = 2, .layer_position_key = "layer_position.weight"});
  const tensor image = f.get("image");
  admn::workspace ws;
  tensor a(admn::shape{2, 16}), b(admn::shape{2, 16});
  vit.forward(image.view(), execution_order::parse("0,1", 6), a.view(), ws);
  vit.forward(image.view(), execution_order::parse("1,0", 6), b.view(), ws);
  CHECK(admn::test::relative_error(a.values(), b.values()) > 1e-3);

  // The backbone itself accepts repeats; 7 positions exceed the 6-row table.
  const std::vector<std::size_t> seven{0, 1, 2, 3, 4, 5, 0};
  CHECK(error_id([&] { vit.forward(image.view(), seven, a.view(), ws); }) == "admn.vit.layer_position");

  // The split forward pass gives the same bits.
  const auto order = execution_order::parse("4,2,0", 6);
  vit.forward(image.view(), order, a.view(), ws);
  {
    admn::workspace::scope scope(ws);
    const admn::mutable_view x = ws.take(admn::shape{2 * 17, 16});
    vit.embed(image.view(), x, ws);
    vit.forward_embedded(x, order, b.view(), ws);
  }
  CHECK(admn::test::max_abs_error(a.values(), b.values()) == 0.0);
  tensor wrong(admn::shape{3, 16});
  CHECK(error_id([&] { vit.embed(image.view(), wrong.view(), ws); }) == "admn.vit.tokens");

  // A table of the wrong shape is a load error naming the key.
  CHECK(error_id([&] {
          (void)admn::model::vit_backbone::load(f.weights(), {.heads = 2, .layer_position_key = "pos_embed"});
        }) == "admn.load.shape");
  CHECK(error_id([&] {
          (void)admn::model::vit_backbone::load(f.weights(),
                                                {.heads = 2, .layer_position_key = "layer_pos.weight"});
        }) == "admn.load.missing");
}
