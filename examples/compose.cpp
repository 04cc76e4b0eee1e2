// compose — define your own adaptive two-modality network with admn's types.
//
// A thermal camera (1 channel, made 3-channel for its ViT) and an RGB camera
// (normalised like ImageNet) feed ADMN's controller, fusion encoder and a
// 5-class classifier. The example writes a checkpoint of that network with
// random weights (as a PyTorch export would, same key names), loads it by type,
// and runs one batch under three layer budgets, printing how the controller
// splits each budget between the modalities.
#include <admn/model/network.hpp>

#include "tiny_model.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>

namespace m = admn::model;

// 1. Modalities: name, input, preprocessing, backbone. The channel counts are
//    checked at compile time (try removing repeat_channels).
using thermal = m::modality<"thermal", m::image_input<1>, m::preprocess<m::repeat_channels<1, 3>>, m::vit<3>>;
using rgb =
    m::modality<"rgb", m::image_input<3>, m::preprocess<m::clamp_unit, m::imagenet_normalize>, m::vit<3>>;

// 2. The network: controller, fusion, head, then the modalities.
using thermal_rgb_net = m::network<m::conv_controller<m::summary::cls, m::qoi::sigma>, m::transformer_fusion,
                                   m::classifier, thermal, rgb>;

int main() {
  const auto path = std::filesystem::temp_directory_path() / "admn-compose.safetensors";
  admn::examples::write_tiny_model(
      path,
      {.modalities = {{"thermal", "thermal.", "thermal_adapter.", 3}, {"rgb", "rgb.", "rgb_adapter.", 3}}},
      {{"admn.arch", "thermal_rgb"}});

  // 3. Sizes the weights cannot tell: heads, instances per sample, image size.
  m::network_config config;
  for (int i = 0; i < 2; ++i) config.modalities.push_back({.heads = 4, .instances = 2, .image = {32, 32}});
  config.fusion.heads = 4;

  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  const admn::io::weight_source weights(file);
  const auto net = m::load<thermal_rgb_net>(weights, config);
  std::printf("%s", net.describe().c_str());
  std::printf("unused tensors: %zu\n\n", weights.unused_keys().size());

  // 4. A batch of 2 samples, 2 images per modality each.
  admn::tensor thermal_in(admn::shape{2, 2, 1, 32, 32}), rgb_in(admn::shape{2, 2, 3, 32, 32});
  for (std::size_t i = 0; i < thermal_in.size(); ++i)
    thermal_in.data()[i] = static_cast<float>(i % 37) / 37.0f;
  for (std::size_t i = 0; i < rgb_in.size(); ++i) rgb_in.data()[i] = static_cast<float>(i % 11) / 11.0f;
  const admn::const_view inputs[] = {thermal_in.view(), rgb_in.view()};

  admn::workspace ws;
  for (const std::size_t budget : {2u, 6u, 12u}) {
    const auto result = net.run(inputs, {.budget = budget}, ws);
    std::printf("budget %2zu:", budget);
    for (std::size_t s = 0; s < result.plans.size(); ++s)
      std::printf("  sample %zu: thermal %zu blocks, rgb %zu blocks (%s)", s, result.plans[s][0].count(),
                  result.plans[s][1].count(), result.plans[s].to_string().c_str());
    const auto& logits = result.output("logits");
    std::printf("\n           class scores of sample 0: %.3f %.3f %.3f %.3f %.3f\n", logits(0, 0),
                logits(0, 1), logits(0, 2), logits(0, 3), logits(0, 4));
  }
  std::filesystem::remove(path);
  return 0;
}
