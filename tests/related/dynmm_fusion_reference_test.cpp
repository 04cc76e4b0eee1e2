// DynMM's fusion-level gating against PyTorch (tests/reference/related_dynmm_fusion.py):
// the gate's choices, the chosen operators' fused vectors and the head's logits.
#include <admn/model/gated_fusion.hpp>
#include <admn/model/network.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace gated_fusion_reference {

namespace m = admn::model;
using rgb = m::modality<"rgb", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using depth = m::modality<"depth", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using gated = m::gated_fusion<m::mean_fusion, m::transformer_fusion>;
using net_type = m::network<m::static_plans, gated, m::classifier, rgb, depth>;

m::network_config fusion_config() {
  m::network_config c;
  for (int i = 0; i < 2; ++i) c.modalities.push_back({.heads = 2, .instances = 2, .image = {16, 16}});
  c.fusion.heads = 4;
  c.static_plan = "all";
  return c;
}

}  // namespace gated_fusion_reference

TEST_CASE("a gated fusion picks the operators PyTorch picks and fuses as PyTorch does") {
  using namespace gated_fusion_reference;
  const admn::test::fixture f("related/dynmm_fusion.safetensors");
  const auto net = m::load<net_type>(f.weights(), fusion_config());
  std::vector<std::string> unused;
  for (const auto& key : f.weights().unused_keys())
    if (!key.starts_with("input.") && !key.starts_with("feature.") && !key.starts_with("operator") &&
        key != "fusion_gate_logits" && key != "fusion_paths" && key != "fused" && key != "logits")
      unused.push_back(key);
  CHECK(unused.empty());

  const admn::tensor rgb_in = f.get("input.rgb"), depth_in = f.get("input.depth");
  const admn::const_view inputs[] = {rgb_in.view(), depth_in.view()};
  admn::workspace ws;
  const auto result = net.run(inputs, {}, ws);
  CHECK(ws.used() == 0);
  const admn::tensor paths = f.get("fusion_paths");
  REQUIRE(result.fusion_paths.size() == 8);
  for (std::size_t b = 0; b < 8; ++b) {
    CAPTURE(b);
    CHECK(result.fusion_paths[b] == static_cast<std::size_t>(paths.data()[b]));
  }
  admn::test::check_close(result.output("logits"), f.get("logits"));

  // The fusion on PyTorch's backbone features: the gate's logits and the fused vectors.
  const admn::tensor rgb_f = f.get("feature.rgb"), depth_f = f.get("feature.depth");
  const admn::const_view features[] = {rgb_f.view(), depth_f.view()};
  admn::workspace fusion_ws;
  admn::tensor gate_logits(admn::shape{8, 2}), fused(admn::shape{8, 16});
  net.fusion().gate_logits(features, 8, gate_logits.view(), fusion_ws);
  admn::test::check_close(gate_logits, f.get("fusion_gate_logits"));
  std::vector<std::size_t> chosen;
  net.fusion().forward(features, 8, fused.view(), fusion_ws, chosen);
  CHECK(chosen == result.fusion_paths);
  admn::test::check_close(fused, f.get("fused"));
  // Each operator alone, on every sample.
  admn::tensor mean_out(admn::shape{8, 16}), transformer_out(admn::shape{8, 16});
  net.fusion().op<0>().forward(features, 8, mean_out.view(), fusion_ws);
  net.fusion().op<1>().forward(features, 8, transformer_out.view(), fusion_ws);
  admn::test::check_close(mean_out, f.get("operator0.fused"));
  admn::test::check_close(transformer_out, f.get("operator1.fused"));
  CHECK(fusion_ws.used() == 0);
}
