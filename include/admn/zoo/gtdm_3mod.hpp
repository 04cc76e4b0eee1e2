// admn/zoo/gtdm_3mod.hpp — ADMN's three-modality GTDM (GTDM_Reconfigurable_3_Mods), as a type.
//
// GTDM's RGB `zed_camera_left` and depth `realsense_camera_depth` (zoo/gtdm.hpp) plus the
// mmWave range-doppler map `range_doppler`: 3 nodes, each a 256×16 map scaled, clamped to [0, 1]
// and repeated to 3 channels (given so, as the authors' loader hands it to the model), through a
// ViT-B/16 on 256×16 images (a 16×1 patch grid, 17 tokens; keys `mmWave.`). Controller: GTDM's
// conv encoders for RGB and depth, and for the map one without Resize — Conv(3,6,(10,2)) → ReLU
// → Conv(6,6,(10,2)) → ReLU → MaxPool(4,1) → Conv(6,3,(5,2)) → ReLU → Linear(2145, 350), keys
// 0, 2, 5, 8; CLS + 9 tokens, combiner width 350 × 4 layers with 4 heads of 350 // 4 = 87
// (inner width 348), 36 layer logits (top-L: k = L − 3), σ QoI for the 3 modalities (×5).
// Fusion: adapters 768→512→256 (`mmWave_adapter.` third), 9 tokens, width 256 × 6 layers,
// mean. Head: GTDM's 2-D Gaussian. docs/numerics.md §4.10, §11.3.
#pragma once

#include <admn/zoo/gtdm.hpp>

#include <array>
#include <optional>

namespace admn::zoo::gtdm_3mod {

using range_doppler =
    model::modality<"range_doppler", model::image_input<3>, model::preprocess<>, model::vit<3>>;
using network =
    model::network<model::conv_controller<model::summary::cls, model::qoi::sigma>, model::transformer_fusion,
                   model::gaussian_2d, gtdm::rgb, gtdm::depth, range_doppler>;

inline constexpr std::array<std::size_t, 2> default_range_doppler_size{256, 16};

// The reference hyper-parameters; the sizes and `vit_heads` differ only for reduced test models.
inline model::network_config config(
    bool antialias = true, std::array<std::size_t, 2> image = gtdm::default_image_size,
    std::array<std::size_t, 2> range_doppler_size = default_range_doppler_size,
    std::optional<std::size_t> vit_heads = 12) {
  model::network_config c = gtdm::config(antialias, image, vit_heads);
  c.modalities.push_back({.backbone_prefix = "mmWave.",
                          .adapter_prefix = "mmWave_adapter.",
                          .heads = vit_heads,
                          .instances = 3,
                          .image = range_doppler_size,
                          .encoder = {.pool = {4, 1}, .leading_resize = false}});
  return c;
}

}  // namespace admn::zoo::gtdm_3mod
