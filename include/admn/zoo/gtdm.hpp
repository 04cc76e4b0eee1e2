// admn/zoo/gtdm.hpp — ADMN's GTDM network (GTDM_Noise: Conv_GTDM_Controller), as a type.
// GTDM_Blur and GTDM_Lowlight are the same network with a class-logit QoI head (below).
//
// Two modalities, 3 sensor nodes each: RGB `zed_camera_left` and depth
// `realsense_camera_depth` (1-channel depth repeated to 3, given as 3 channels,
// as ADMN's cached test sets store it), each through a ViT-B/16 (backbone keys
// `vision.` / `depth.`). Controller: conv encoders on all 6 images + CLS, combiner
// width 256 × 4 layers, σ QoI head (×5). Fusion: adapters 768→512→256 with
// LeakyReLU, 6 tokens, width 256 × 6 layers, mean. Head: 2-D Gaussian
// (pred_mean, pred_cov). docs/numerics.md §1, §4, §5.3, §7. Checkpoints load as-is.
#pragma once

#include <admn/model/network.hpp>

#include <optional>

namespace admn::zoo::gtdm {

using rgb = model::modality<"zed_camera_left", model::image_input<3>, model::preprocess<>, model::vit<3>>;
using depth =
    model::modality<"realsense_camera_depth", model::image_input<3>, model::preprocess<>, model::vit<3>>;
template <model::qoi Qoi>
using network_with_qoi = model::network<model::conv_controller<model::summary::cls, Qoi>,
                                        model::transformer_fusion, model::gaussian_2d, rgb, depth>;
using network = network_with_qoi<model::qoi::sigma>;
// GTDM_Blur (Linear(250, 8): 4 blur classes of RGB, then 4 of depth) and GTDM_Lowlight
// (Linear(250, 4): 4 gamma classes) predict corruption classes: raw logits, no sigmoid
// (docs/numerics.md §11.1, §11.2). Everything else is GTDM_Noise's; the logit count is the weights'.
using class_qoi_network = network_with_qoi<model::qoi::logits>;

inline constexpr std::array<std::size_t, 2> default_image_size{224, 224};

// The reference hyper-parameters; `image` and `vit_heads` differ only for reduced test models.
inline model::network_config config(bool antialias = true,
                                    std::array<std::size_t, 2> image = default_image_size,
                                    std::optional<std::size_t> vit_heads = 12) {
  model::network_config c;
  for (const char* prefix : {"vision", "depth"})
    c.modalities.push_back({.backbone_prefix = std::string(prefix) + ".",
                            .adapter_prefix = std::string(prefix) + "_adapter.",
                            .heads = vit_heads,
                            .instances = 3,
                            .image = image,
                            .encoder = {.resize = {100, 100}, .pool = {3, 3}}});
  c.controller.antialias = antialias;
  c.fusion.adapter_keys = {"fc1.", "fc2."};
  c.fusion.adapter_activation = {kernels::activation::leaky_relu, 0.01f};
  return c;
}

}  // namespace admn::zoo::gtdm
