// admn/zoo/digits.hpp — the demo network: spoken and handwritten digits
//
// Two 1-channel modalities, one instance each: `image` (a handwritten digit from
// scikit-learn's digits set, 8×8 upsampled to 32×32) and `audio` (the digit spoken
// by espeak-ng, a 32-mel × 64-frame log-mel spectrogram), each through a small ViT
// (width, depth and patch size come from the weights, heads from admn.config; the
// shipped model uses 4×4 image patches and 8×8 spectrogram patches).
// Controller: conv encoders (no BatchNorm) on both inputs + CLS, σ QoI head (×5).
// Fusion: adapters fc1/fc2 with LeakyReLU(0.01), 2 tokens, mean. Head: Linear → 10
// logits. Trained by tools/train_demo/ (ADMN's two stages); the shipped weights are
// examples/data/digits_admn.safetensors.
#pragma once

#include <admn/model/network.hpp>

#include <optional>

namespace admn::zoo::digits {

using image = model::modality<"image", model::image_input<1>, model::preprocess<>, model::vit<1>>;
using audio = model::modality<"audio", model::image_input<1>, model::preprocess<>, model::vit<1>>;
using network = model::network<model::conv_controller<model::summary::cls, model::qoi::sigma>,
                               model::transformer_fusion, model::classifier, image, audio>;

inline constexpr std::array<std::size_t, 2> default_image_size{32, 32}, default_audio_size{32, 64};

inline model::network_config config(bool antialias = true,
                                    std::array<std::size_t, 2> image_size = default_image_size,
                                    std::array<std::size_t, 2> audio_size = default_audio_size,
                                    std::optional<std::size_t> vit_heads = std::nullopt) {
  model::network_config c;
  c.modalities.push_back({.backbone_prefix = "image.",
                          .adapter_prefix = "image_adapter.",
                          .heads = vit_heads,
                          .instances = 1,
                          .image = image_size,
                          .encoder = {.resize = image_size, .pool = {2, 2}}});
  c.modalities.push_back({.backbone_prefix = "audio.",
                          .adapter_prefix = "audio_adapter.",
                          .heads = vit_heads,
                          .instances = 1,
                          .image = audio_size,
                          .encoder = {.resize = audio_size, .pool = {2, 2}}});
  c.controller.antialias = antialias;
  c.fusion.adapter_keys = {"fc1.", "fc2."};
  c.fusion.adapter_activation = {kernels::activation::leaky_relu, 0.01f};
  return c;
}

}  // namespace admn::zoo::digits
