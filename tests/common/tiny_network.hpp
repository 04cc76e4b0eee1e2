// The small two-modality network the model and adaptive suites run: the checkpoint
// of examples/tiny_model.hpp (two 6-block ViTs of width 48 on 32×32 images, the
// controller, fusion and a 5-class head) for a 3-channel `cam` and a 1-channel `ir`
// camera, 2 instances each.
#pragma once

#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/model/network.hpp>
#include <admn/tensor/tensor.hpp>

#include "tiny_model.hpp"

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

namespace admn::test {

using tiny_cam = model::modality<"cam", model::image_input<3>, model::preprocess<>, model::vit<3>>;
using tiny_ir = model::modality<"ir", model::image_input<1>, model::preprocess<model::repeat_channels<1, 3>>,
                                model::vit<3>>;
using tiny_net =
    model::network<model::conv_controller<>, model::transformer_fusion, model::classifier, tiny_cam, tiny_ir>;

struct tiny_network {
  std::shared_ptr<const io::safetensors_file> file;
  io::weight_source weights;  // the one the network bound, for its unused keys
  tiny_net net;
};

inline model::network_config tiny_config() {
  model::network_config config;
  for (int i = 0; i < 2; ++i) config.modalities.push_back({.heads = 4, .instances = 2, .image = {32, 32}});
  return config;
}

// Writes the checkpoint to a temporary file named after `tag` and the process (ctest -j
// runs the cases of a suite as concurrent processes), reads it whole and removes it.
inline tiny_network make_tiny_network(const std::string& tag) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("admn-" + tag + "-" + std::to_string(::getpid()) + ".safetensors");
  examples::write_tiny_model(
      path, {.modalities = {{"cam", "cam.", "cam_adapter.", 3}, {"ir", "ir.", "ir_adapter.", 3}}}, {});
  auto file = std::make_shared<const io::safetensors_file>(
      io::safetensors_file::open(path, {.backend = io::backend::read}));
  std::filesystem::remove(path);
  io::weight_source weights(file);
  tiny_net net = model::load<tiny_net>(weights, tiny_config());
  return {std::move(file), std::move(weights), std::move(net)};
}

// sin(i·step) at flat index i: smooth, deterministic inputs.
inline tensor pattern(const shape& s, float step) {
  tensor t(s);
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = std::sin(static_cast<float>(i) * step);
  return t;
}

}  // namespace admn::test
