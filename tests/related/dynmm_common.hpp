// The reduced AdaMML / DynMM network of tests/fixtures/related/dynmm.safetensors as
// admn types: a gate over three expert networks (image only, depth only, fused).
#pragma once

#include <admn/model/dynmm.hpp>

namespace admn::test::dynmm {

namespace m = admn::model;
using rgb = m::modality<"zed_camera_left", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using depth = m::modality<"realsense_camera_depth", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using image_only = m::network<m::no_controller, m::transformer_fusion, m::gaussian_2d, rgb>;
using depth_only = m::network<m::no_controller, m::transformer_fusion, m::gaussian_2d, depth>;
using fused = m::network<m::no_controller, m::transformer_fusion, m::gaussian_2d, rgb, depth>;
using adamml = m::gated_experts<image_only, depth_only, fused>;

inline m::gated_experts_config config() {
  const m::modality_config vision{.backbone_prefix = "vision.",
                                  .adapter_prefix = "vision_adapter.",
                                  .heads = 2,
                                  .instances = 2,
                                  .image = {16, 16}};
  const m::modality_config depth{.backbone_prefix = "depth.",
                                 .adapter_prefix = "depth_adapter.",
                                 .heads = 2,
                                 .instances = 2,
                                 .image = {16, 16}};
  m::gated_experts_config c;
  c.gate = {.prefix = "selector.", .head_prefix = "mod_sel_head.", .heads = 4};
  c.expert_prefixes = {"vision.", "depth.", "fused."};
  for (const auto& mods : {std::vector{vision}, std::vector{depth}, std::vector{vision, depth}}) {
    m::network_config n;
    n.modalities = mods;
    n.fusion.heads = 4;
    c.experts.push_back(n);
  }
  return c;
}

}  // namespace admn::test::dynmm
