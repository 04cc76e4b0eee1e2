// admn/zoo/mmfi.hpp — ADMN's MM-Fi network (MMFI_Noise: Conv_MMFI_Controller), as a type.
//
// Two modalities of 15 frames each: `rgb` and `depth` (colourised, 3 channels),
// ViT-B/16 backbones `vision.` / `depth.`. Controller: conv encoders on frames 0-2
// of each modality only, no CLS (mean of the combiner output), combiner width 256
// × 6 layers, σ QoI head (×5). Fusion: adapters 768→400→64 with ReLU (keys `0.`,
// `2.`), 30 tokens, width 64 × 6 layers (4 heads of 16), mean. Head: Linear(64, 27).
// docs/numerics.md §1, §4.3, §5.4, §7, §9.9.
#pragma once

#include <admn/model/network.hpp>

#include <optional>

namespace admn::zoo::mmfi {

using rgb = model::modality<"rgb", model::image_input<3>, model::preprocess<>, model::vit<3>>;
using depth = model::modality<"depth", model::image_input<3>, model::preprocess<>, model::vit<3>>;
using network = model::network<model::conv_controller<model::summary::mean, model::qoi::sigma>,
                               model::transformer_fusion, model::classifier, rgb, depth>;

inline constexpr std::array<std::size_t, 2> default_image_size{224, 224};

inline model::network_config config(bool antialias = true,
                                    std::array<std::size_t, 2> image = default_image_size,
                                    std::optional<std::size_t> vit_heads = 12) {
  model::network_config c;
  for (const char* prefix : {"vision", "depth"})
    c.modalities.push_back({.backbone_prefix = std::string(prefix) + ".",
                            .adapter_prefix = std::string(prefix) + "_adapter.",
                            .heads = vit_heads,
                            .instances = 15,
                            .image = image,
                            .encoder = {.resize = {100, 100}, .pool = {3, 3}, .instances = 3}});
  c.controller.antialias = antialias;
  c.fusion.adapter_keys = {"0.", "2."};
  c.fusion.adapter_activation = {kernels::activation::relu};
  return c;
}

}  // namespace admn::zoo::mmfi
