// dynmm — a modality-level gate picks one expert network per sample (DynMM, AdaMML).
//
// DynMM (Xue & Marculescu) gates between expert networks that each use a subset of
// the modalities; at inference only the chosen expert runs. ADMN's "MNS" baseline
// (AdaMML_Modality_Selector) is the 3-way case: RGB only, depth only, or both. This
// example writes such a model with random weights under ADMN's own key names
// (selector.*, vision.*, depth.*, fused.*), loads it as
//   gated_experts<image_only, depth_only, fused>
// and runs 6 samples, printing each sample's gate decision and the MACs it saved
// against computing every expert (what AdaMML_Model_All does in PyTorch) and
// against always running the two-modality network.
#include <admn/model/dynmm.hpp>

#include "related_systems.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace m = admn::model;

// Two modalities, three sensor nodes each (GTDM's layout, docs/numerics.md §1).
using rgb = m::modality<"zed_camera_left", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using depth = m::modality<"realsense_camera_depth", m::image_input<3>, m::preprocess<>, m::vit<3>>;
// The experts: each a complete network over its modalities, no controller.
using image_only = m::network<m::no_controller, m::transformer_fusion, m::gaussian_2d, rgb>;
using depth_only = m::network<m::no_controller, m::transformer_fusion, m::gaussian_2d, depth>;
using fused = m::network<m::no_controller, m::transformer_fusion, m::gaussian_2d, rgb, depth>;
using adamml = m::gated_experts<image_only, depth_only, fused>;

namespace {

constexpr std::size_t nodes = 3, image = 32, patch = 8, vit_dim = 48, budget = 8, fusion_dim = 32,
                      gate_dim = 32;

// AdaMML_SubnetModel: the budget split evenly over its modalities.
void write_expert(admn::examples::state_dict& w, const std::string& p,
                  const std::vector<std::string>& backbones) {
  for (const auto& b : backbones) {
    admn::examples::add_timm_vit(w, p + b + ".",
                                 {.dim = vit_dim,
                                  .depth = budget / backbones.size(),
                                  .mlp = 2 * vit_dim,
                                  .image = image,
                                  .patch = patch});
    w.linear(p + b + "_adapter.fc1.", vit_dim, 24);
    w.linear(p + b + "_adapter.fc2.", 24, fusion_dim);
  }
  admn::examples::add_transformer(w, p + "encoder.", fusion_dim, 2, 48);
  w.linear(p + "output_head.mlp.0.", fusion_dim, fusion_dim);
  w.linear(p + "output_head.mean_head.", fusion_dim, 2);
  w.linear(p + "output_head.cov_head.", fusion_dim, 4);
}

void write_model(const std::filesystem::path& path) {
  admn::examples::state_dict w(11);
  for (const char* mod : {"zed_camera_left", "realsense_camera_depth"}) {
    const std::string e = "selector.encoder_dict." + std::string(mod) + ".";
    w.conv(e + "1.", 3, 6, 10);
    w.conv(e + "3.", 6, 6, 10);
    w.conv(e + "6.", 6, 3, 5);
    w.linear(e + "9.", 1587, gate_dim);
  }
  w.add("selector.cls", admn::shape{1, gate_dim}, 0.5f);
  admn::examples::add_transformer(w, "selector.combiner_encoder.", gate_dim, 1, 4 * gate_dim);
  w.linear("selector.mod_sel_head.0.", gate_dim, 16, false);
  w.linear("selector.mod_sel_head.2.", 16, 3, false);
  write_expert(w, "vision.", {"vision"});
  write_expert(w, "depth.", {"depth"});
  write_expert(w, "fused.", {"vision", "depth"});
  w.save(path, {{"admn.arch", "adamml"}});
}

m::gated_experts_config config() {
  const m::modality_config vision{.backbone_prefix = "vision.",
                                  .adapter_prefix = "vision_adapter.",
                                  .heads = 4,
                                  .instances = nodes,
                                  .image = {image, image}};
  const m::modality_config depth{.backbone_prefix = "depth.",
                                 .adapter_prefix = "depth_adapter.",
                                 .heads = 4,
                                 .instances = nodes,
                                 .image = {image, image}};
  m::gated_experts_config c;
  c.expert_prefixes = {"vision.", "depth.", "fused."};
  for (const auto& mods : {std::vector{vision}, std::vector{depth}, std::vector{vision, depth}}) {
    m::network_config n;
    n.modalities = mods;
    n.fusion.heads = 4;
    c.experts.push_back(n);
  }
  return c;
}

}  // namespace

int main() {
  const auto path = std::filesystem::temp_directory_path() / "admn-dynmm.safetensors";
  write_model(path);
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  const admn::io::weight_source weights(file);
  const auto net = adamml::load(weights, config());
  std::filesystem::remove(path);
  std::printf("%s", net.describe().c_str());
  std::printf("unused tensors: %zu\n\n", weights.unused_keys().size());

  // Six samples whose two modalities carry different amounts of signal.
  constexpr std::size_t batch = 6;
  admn::tensor rgb_in(admn::shape{batch, nodes, 3, image, image}),
      depth_in(admn::shape{batch, nodes, 3, image, image});
  const std::size_t per = nodes * 3 * image * image;
  for (std::size_t s = 0; s < batch; ++s) {
    const float a = 0.2f + 0.8f * static_cast<float>(s), b = 4.0f / (1.0f + static_cast<float>(s));
    for (std::size_t i = 0; i < per; ++i) {
      rgb_in.data()[s * per + i] =
          a * std::sin(0.05f * static_cast<float>(i) * (1.0f + 0.3f * static_cast<float>(s)));
      depth_in.data()[s * per + i] = b * std::cos(0.013f * static_cast<float>(i % 977));
    }
  }
  const admn::const_view inputs[] = {rgb_in.view(), depth_in.view()};
  admn::workspace ws;
  const auto result = net.run(inputs, {}, ws);

  const char* names[] = {"RGB only", "depth only", "both"};
  const double all = static_cast<double>(net.all_experts_macs()) / 1e6;
  const double both = static_cast<double>(net.gate_macs() + net.expert_macs(2)) / 1e6;
  double total = 0.0;
  for (std::size_t s = 0; s < batch; ++s) {
    const double macs = static_cast<double>(result.macs[s]) / 1e6;
    total += macs;
    std::printf(
        "sample %zu: gate logits [%6.3f %6.3f %6.3f] -> path %zu (%-10s) %7.3f MMAC; saved %7.3f MMAC "
        "(%4.1f%%) against every expert, %7.3f against both modalities\n",
        s, result.gate_logits(s, 0), result.gate_logits(s, 1), result.gate_logits(s, 2), result.paths[s],
        names[result.paths[s]], macs, all - macs, 100.0 * (all - macs) / all, both - macs);
  }
  std::printf("\nper sample on average: %.3f MMAC gated, %.3f computing every expert, %.3f always both\n",
              total / batch, all, both);
  const auto& mean = result.output("pred_mean");
  std::printf("sample 0 position (%.2f, %.2f)\n", mean(0, 0), mean(0, 1));
  return 0;
}
