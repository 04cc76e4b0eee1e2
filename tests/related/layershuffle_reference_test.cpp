// LayerShuffle against PyTorch (tests/reference/related_layershuffle.py): a ViT run
// with its blocks in any order, with and without the layer-position embedding.
#include <admn/adaptive/execution_order.hpp>
#include <admn/model/vit_backbone.hpp>

#include "common/fixture.hpp"
#include "related/related_common.hpp"

#include <doctest/doctest.h>

#include <string>

using admn::tensor;
using admn::adaptive::execution_order;
using admn::model::vit_backbone;
using admn::test::check_close;
using admn::test::fixture;

TEST_CASE("LayerShuffle: any execution order equals torch, with and without layer-position embeddings") {
  const fixture f("related/layershuffle.safetensors");
  const auto plain = vit_backbone::load(f.weights(), {.heads = 2});
  const auto positioned =
      vit_backbone::load(f.weights(), {.heads = 2, .layer_position_key = "layer_position.weight"});
  CHECK(!plain.has_layer_positions());
  CHECK(positioned.has_layer_positions());
  const tensor image = f.get("image");
  admn::workspace ws;
  const auto orders = admn::test::split_all(f.meta("orders"), ';');
  REQUIRE(orders.size() == 7);
  for (std::size_t i = 0; i < orders.size(); ++i) {
    const execution_order order = execution_order::parse(orders[i], plain.depth());
    CAPTURE(orders[i]);
    tensor out(admn::shape{2, 16}), out_pos(admn::shape{2, 16});
    plain.forward(image.view(), order, out.view(), ws);
    positioned.forward(image.view(), order, out_pos.view(), ws);
    check_close(out, f.get("out." + std::to_string(i)));
    check_close(out_pos, f.get("out_pos." + std::to_string(i)));
  }
  // Every token, reversed order, with positions.
  tensor tokens(admn::shape{2, 17, 16});
  positioned.forward_tokens(image.view(), execution_order::parse(orders[1], 6), tokens.view(), ws);
  check_close(tokens, f.get("tokens_pos.1"));
  CHECK(ws.used() == 0);
}
