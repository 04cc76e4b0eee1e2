// admn/zoo/ave.hpp — ADMN's AVE network (AVE_Custom: Conv_AVE_Controller), as a type.
//
// Two modalities: `image` (8 video frames, 3×224×224, ViT-B/16 `vision.`) and
// `audio` (one 1×128×1024 log-mel spectrogram, 1-channel ViT-B/16 `audio.` with 512
// patches). Controller: conv+BatchNorm encoders on the 8 frames (Resize 100×100)
// and the spectrogram (Resize 128×512, MaxPool (3,6)) + CLS, combiner width 512 ×
// 4 layers, QoI = 4 noise-type logits. Fusion: adapters 768→512→256 (LeakyReLU),
// 9 tokens, width 256 × 6 layers, mean. Head: Linear(256, 28) logits.
// docs/numerics.md §1, §2.5, §4.2, §5.4, §7.
#pragma once

#include <admn/model/network.hpp>

#include <optional>

namespace admn::zoo::ave {

using image = model::modality<"image", model::image_input<3>, model::preprocess<>, model::vit<3>>;
using audio = model::modality<"audio", model::image_input<1>, model::preprocess<>, model::vit<1>>;
using network = model::network<model::conv_controller<model::summary::cls, model::qoi::logits>,
                               model::transformer_fusion, model::classifier, image, audio>;

inline constexpr std::array<std::size_t, 2> default_image_size{224, 224}, default_audio_size{128, 1024};

inline model::network_config config(bool antialias = true,
                                    std::array<std::size_t, 2> image_size = default_image_size,
                                    std::array<std::size_t, 2> audio_size = default_audio_size,
                                    std::optional<std::size_t> vit_heads = 12) {
  model::network_config c;
  c.modalities.push_back({.backbone_prefix = "vision.",
                          .adapter_prefix = "vision_adapter.",
                          .heads = vit_heads,
                          .instances = 8,
                          .image = image_size,
                          .encoder = {.resize = {100, 100}, .pool = {3, 3}}});
  c.modalities.push_back({.backbone_prefix = "audio.",
                          .adapter_prefix = "audio_adapter.",
                          .heads = vit_heads,
                          .instances = 1,
                          .image = audio_size,
                          .encoder = {.resize = {128, 512}, .pool = {3, 6}}});
  c.controller.antialias = antialias;
  c.fusion.adapter_keys = {"fc1.", "fc2."};
  c.fusion.adapter_activation = {kernels::activation::leaky_relu, 0.01f};
  return c;
}

}  // namespace admn::zoo::ave
