// dynmm_fusion — a gate picks, per sample, how to fuse the modalities (DynMM's fusion level).
//
// DynMM (Xue & Marculescu) makes a second kind of decision besides which modalities to
// use: how much fusion a sample needs. A small gate over the backbone features chooses
// between a cheap operator — the mean of the adapted features — and ADMN's transformer
// fusion; only the chosen one is computed. This example writes such a model with random
// weights (keys: fusion_gate.{0,2}.*, fusion.0.* for the mean, fusion.1.* for the
// transformer; model/gated_fusion.hpp), loads it as
//   network<static_plans, gated_fusion<mean_fusion, transformer_fusion>, classifier, rgb, depth>
// and runs 6 samples, printing each sample's operator and what it cost.
#include <admn/model/gated_fusion.hpp>
#include <admn/model/network.hpp>

#include "related_systems.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace m = admn::model;

using rgb = m::modality<"rgb", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using depth = m::modality<"depth", m::image_input<3>, m::preprocess<>, m::vit<3>>;
// Operator 0: mean of the adapted features; operator 1: adapters + PE + transformer + mean.
using fusion = m::gated_fusion<m::mean_fusion, m::transformer_fusion>;
using net_type = m::network<m::static_plans, fusion, m::classifier, rgb, depth>;

namespace {

constexpr std::size_t nodes = 3, image = 32, vit_dim = 48, depth_blocks = 4, fusion_dim = 32,
                      gate_hidden = 16;

void write_model(const std::filesystem::path& path) {
  admn::examples::state_dict w(7);
  for (const char* mod : {"rgb", "depth"}) {
    admn::examples::add_timm_vit(w, std::string(mod) + ".",
                                 {.dim = vit_dim, .depth = depth_blocks, .mlp = 2 * vit_dim, .image = image});
    // Each operator has its own adapters, under fusion.<k>.
    for (const char* op : {"fusion.0.", "fusion.1."}) {
      w.linear(std::string(op) + mod + "_adapter.fc1.", vit_dim, 24);
      w.linear(std::string(op) + mod + "_adapter.fc2.", 24, fusion_dim);
    }
  }
  admn::examples::add_transformer(w, "fusion.1.encoder.", fusion_dim, 2, 2 * fusion_dim);
  // The gate: [mean rgb feature, mean depth feature] → Linear → ReLU → Linear → 2 logits.
  w.linear("fusion_gate.0.", 2 * vit_dim, gate_hidden);
  w.linear("fusion_gate.2.", gate_hidden, 2);
  w.linear("output_head.", fusion_dim, 5);
  w.save(path, {});
}

std::size_t argmax_row(const admn::tensor& t, std::size_t row) {
  std::size_t best = 0;
  for (std::size_t j = 1; j < t.shape()[1]; ++j)
    if (t(row, j) > t(row, best)) best = j;
  return best;
}

m::network_config config() {
  m::network_config c;
  for (int i = 0; i < 2; ++i)
    c.modalities.push_back({.heads = 4, .instances = nodes, .image = {image, image}});
  c.fusion.heads = 4;
  c.static_plan = "all";  // every backbone block; a controller could choose them instead
  return c;
}

}  // namespace

int main() {
  const auto path = std::filesystem::temp_directory_path() / "admn-dynmm-fusion.safetensors";
  write_model(path);
  const admn::io::weight_source weights(
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path)));
  const auto net = m::load<net_type>(weights, config());
  std::filesystem::remove(path);
  std::printf("%s", net.describe().c_str());
  std::printf("unused tensors: %zu\n\n", weights.unused_keys().size());

  // Six samples whose modalities carry different signals.
  constexpr std::size_t batch = 6;
  admn::tensor rgb_in(admn::shape{batch, nodes, 3, image, image}),
      depth_in(admn::shape{batch, nodes, 3, image, image});
  const std::size_t per = nodes * 3 * image * image;
  for (std::size_t s = 0; s < batch; ++s)
    for (std::size_t i = 0; i < per; ++i) {
      const auto x = static_cast<float>(i), k = static_cast<float>(s);
      rgb_in.data()[s * per + i] = (0.3f + k) * std::sin(0.02f * x * (1.0f + 0.4f * k));
      depth_in.data()[s * per + i] = 3.0f / (1.0f + k) * std::cos(0.011f * static_cast<float>(i % 997));
    }
  const admn::const_view inputs[] = {rgb_in.view(), depth_in.view()};
  admn::workspace ws;
  const auto result = net.run(inputs, {}, ws);

  // Per sample: the backbones and head as planned, plus the gate and the chosen operator.
  const auto& f = net.fusion();
  const auto all = admn::adaptive::layer_plan::all(net.depths());
  const std::size_t rest = net.macs(all) - f.macs(1);
  const char* names[] = {"mean", "transformer"};
  for (std::size_t s = 0; s < batch; ++s) {
    const std::size_t k = result.fusion_paths[s];
    const double fusion_macs = static_cast<double>(f.sample_macs(k)) / 1e3;
    const double saved = static_cast<double>(f.sample_macs(1) - f.sample_macs(k)) / 1e3;
    std::printf(
        "sample %zu: -> operator %zu (%-11s) fusion %6.1f kMAC (saved %6.1f against the transformer), "
        "network %.3f MMAC, class %zu\n",
        s, k, names[k], fusion_macs, saved, static_cast<double>(rest + f.sample_macs(k)) / 1e6,
        argmax_row(result.output("logits"), s));
  }
  return 0;
}
