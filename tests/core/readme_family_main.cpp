// Runs the README's family snippet: run_family on the reduced GTDM checkpoint, run_dynmm on
// the DynMM fusion fixture joined with the AdaMML fixture's modality gate, run_adamtl on the
// AdaMTL fixture.
#include <admn/admn.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

void run_family(const admn::io::weight_source& w, admn::model::network_config config,
                std::span<const admn::const_view> batch, admn::workspace& ws);
void run_dynmm(const admn::io::weight_source& w, admn::model::network_config config,
               std::span<const admn::const_view> batch, admn::workspace& ws);
void run_adamtl(const admn::io::weight_source& w, admn::model::network_config config, admn::const_view images,
                admn::workspace& ws);

namespace {

std::shared_ptr<const admn::io::safetensors_file> open_fixture(const std::string& name) {
  return std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(std::string(ADMN_TEST_FIXTURES) + "/" + name));
}

void family() {
  const auto file = open_fixture("networks/gtdm_small.safetensors");
  const admn::io::weight_source weights(file);
  const auto config = admn::zoo::config_of<admn::zoo::gtdm::network>(*file);
  admn::tensor rgb(admn::shape{3, 3, 3, 32, 32}), depth(admn::shape{3, 3, 3, 32, 32});
  for (std::size_t i = 0; i < rgb.size(); ++i) {
    rgb.data()[i] = static_cast<float>(i % 23) / 23.0f;
    depth.data()[i] = static_cast<float>(i % 7) / 7.0f;
  }
  const admn::const_view batch[] = {rgb.view(), depth.view()};
  admn::workspace ws;
  run_family(weights, config, batch, ws);
}

// The gated-fusion network's weights plus the AdaMML gate, its encoders renamed to the
// network's modalities (both fixtures: 2 instances of 3x16x16 per modality).
void dynmm() {
  const auto fusion = open_fixture("related/dynmm_fusion.safetensors");
  const auto gate = open_fixture("related/dynmm.safetensors");
  const admn::io::weight_source fusion_weights(fusion), gate_weights(gate);
  std::vector<std::pair<std::string, admn::tensor>> tensors;
  for (const std::string& key : fusion->keys()) tensors.emplace_back(key, fusion_weights.load(key));
  const std::pair<std::string, std::string> renames[] = {
      {"selector.encoder_dict.zed_camera_left.", "selector.encoder_dict.rgb."},
      {"selector.encoder_dict.realsense_camera_depth.", "selector.encoder_dict.depth."}};
  for (const std::string& key : gate->keys()) {
    if (!key.starts_with("selector.")) continue;
    std::string renamed = key;
    for (const auto& [from, to] : renames)
      if (renamed.starts_with(from)) renamed = to + renamed.substr(from.size());
    tensors.emplace_back(renamed, gate_weights.load(key));
  }
  std::vector<admn::io::tensor_entry> entries;
  for (const auto& [key, t] : tensors) entries.push_back(admn::io::entry(key, t));
  const auto path = std::filesystem::temp_directory_path() /
                    ("admn-readme-dynmm-" + std::to_string(::getpid()) + ".safetensors");
  admn::io::save(path, entries, {});
  const admn::io::weight_source weights(
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path)));
  std::filesystem::remove(path);  // the mapping stays valid

  admn::model::network_config config;
  for (int m = 0; m < 2; ++m) config.modalities.push_back({.heads = 2, .instances = 2, .image = {16, 16}});
  config.controller.heads = 4;
  config.fusion.heads = 4;
  const admn::tensor rgb = fusion_weights.load("input.rgb"), depth = fusion_weights.load("input.depth");
  const admn::const_view batch[] = {rgb.view(), depth.view()};
  admn::workspace ws;
  run_dynmm(weights, config, batch, ws);
}

void adamtl() {
  const auto file = open_fixture("related/adamtl.safetensors");
  const admn::io::weight_source weights(file);
  admn::model::network_config config;
  config.modalities.push_back({.backbone_prefix = "encoder.", .heads = 2, .image = {32, 32}});
  const admn::tensor image = weights.load("image");  // (4, 3, 32, 32): one instance per sample
  const admn::const_view images(image.data(), admn::shape{4, 1, 3, 32, 32});
  admn::workspace ws;
  run_adamtl(weights, config, images, ws);
}

}  // namespace

int main() {
  try {
    family();
    dynmm();
    adamtl();
  } catch (const admn::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("family ran\n");
}
