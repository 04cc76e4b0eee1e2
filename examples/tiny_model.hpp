// tiny_model.hpp — writes a small ADMN-style checkpoint with seeded random weights.
//
// The state-dict keys are exactly those of docs/numerics.md §7 (backbones, controller,
// adapters, fusion encoder, head), at a size that runs in milliseconds, so the
// examples and tests can exercise a whole network without a trained model. Every
// size is a parameter; the defaults give two 6-block ViTs on 32×32 images.
#pragma once

#include <admn/io/writer.hpp>
#include <admn/tensor/tensor.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace admn::examples {

struct tiny_modality {
  std::string name;             // input name and controller key
  std::string backbone_prefix;  // e.g. "rgb."
  std::string adapter_prefix;   // e.g. "rgb_adapter."
  std::size_t channels = 3;     // backbone input channels
};

struct tiny_model_spec {
  std::vector<tiny_modality> modalities;
  std::size_t image = 32, patch = 8, dim = 48, depth = 6, mlp = 96;
  std::size_t controller_dim = 32, controller_layers = 2, controller_hidden = 20, qoi_outputs = 2;
  std::size_t fusion_dim = 32, fusion_layers = 2, fusion_mlp = 48, adapter_hidden = 24;
  std::size_t classes = 5;
  std::uint64_t seed = 1;
};

class state_dict {
 public:
  explicit state_dict(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}

  // Uniform in offset ± scale.
  void add(const std::string& name, const shape& s, float scale, float offset = 0.0f) {
    tensor t(s);
    for (float& v : t.values()) {
      state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
      v = offset + scale * (static_cast<float>(state_ >> 40) / 8388608.0f - 1.0f);
    }
    tensors_.insert_or_assign(name, std::move(t));
  }
  void linear(const std::string& prefix, std::size_t in, std::size_t out, bool bias = true) {
    add(prefix + "weight", shape{out, in}, std::sqrt(3.0f / static_cast<float>(in)));
    if (bias) add(prefix + "bias", shape{out}, 0.1f);
  }
  void conv(const std::string& prefix, std::size_t in, std::size_t out, std::size_t k) {
    add(prefix + "weight", shape{out, in, k, k}, std::sqrt(3.0f / static_cast<float>(in * k * k)));
    add(prefix + "bias", shape{out}, 0.1f);
  }
  void norm(const std::string& prefix, std::size_t d) {
    add(prefix + "weight", shape{d}, 0.1f, 1.0f);
    add(prefix + "bias", shape{d}, 0.1f);
  }
  void save(const std::filesystem::path& path, const std::map<std::string, std::string>& metadata) const {
    std::vector<io::tensor_entry> entries;
    for (const auto& [name, t] : tensors_) entries.push_back(io::entry(name, t));
    io::save(path, entries, metadata);
  }

 private:
  std::map<std::string, tensor> tensors_;
  std::uint64_t state_;
};

// A vit_dev TransformerEnc under `prefix`.
inline void add_transformer(state_dict& w, const std::string& prefix, std::size_t dim, std::size_t layers,
                            std::size_t mlp) {
  for (std::size_t i = 0; i < layers; ++i) {
    const std::string l = prefix + "layers." + std::to_string(i) + ".";
    w.norm(l + "0.norm.", dim);
    w.linear(l + "0.to_qkv.", dim, 3 * dim, false);
    w.linear(l + "0.to_out.0.", dim, dim);
    w.norm(l + "1.condln.", dim);
    w.linear(l + "1.net.1.", dim, mlp);
    w.linear(l + "1.net.4.", mlp, dim);
  }
  w.norm(prefix + "norm.", dim);
}

struct timm_vit_spec {
  std::size_t dim = 64, depth = 12, mlp = 128;  // width, blocks, MLP hidden width
  std::size_t image = 32, patch = 8, channels = 3;
};

// A timm VisionTransformer under `prefix`: cls_token, pos_embed ((image/patch)² + 1
// tokens), patch_embed.proj, blocks.{i}.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1,
// mlp.fc2} and the final norm.
inline void add_timm_vit(state_dict& w, const std::string& prefix, const timm_vit_spec& s) {
  const std::size_t tokens = (s.image / s.patch) * (s.image / s.patch) + 1;
  w.add(prefix + "cls_token", shape{1, 1, s.dim}, 0.5f);
  w.add(prefix + "pos_embed", shape{1, tokens, s.dim}, 0.5f);
  w.conv(prefix + "patch_embed.proj.", s.channels, s.dim, s.patch);
  for (std::size_t i = 0; i < s.depth; ++i) {
    const std::string b = prefix + "blocks." + std::to_string(i) + ".";
    w.norm(b + "norm1.", s.dim);
    w.linear(b + "attn.qkv.", s.dim, 3 * s.dim);
    w.linear(b + "attn.proj.", s.dim, s.dim);
    w.norm(b + "norm2.", s.dim);
    w.linear(b + "mlp.fc1.", s.dim, s.mlp);
    w.linear(b + "mlp.fc2.", s.mlp, s.dim);
  }
  w.norm(prefix + "norm.", s.dim);
}

// Writes the checkpoint of `spec` to `path` with `metadata`.
inline void write_tiny_model(const std::filesystem::path& path, const tiny_model_spec& spec,
                             const std::map<std::string, std::string>& metadata) {
  state_dict w(spec.seed);
  for (const auto& m : spec.modalities) {
    add_timm_vit(w, m.backbone_prefix,
                 {.dim = spec.dim,
                  .depth = spec.depth,
                  .mlp = spec.mlp,
                  .image = spec.image,
                  .patch = spec.patch,
                  .channels = m.channels});
    // Controller encoder (GTDM layout, docs/numerics.md §4.2): Resize 100×100 → … → 1587.
    const std::string e = "controller.encoder_dict." + m.name + ".";
    w.conv(e + "1.", m.channels, 6, 10);
    w.conv(e + "3.", 6, 6, 10);
    w.conv(e + "6.", 6, 3, 5);
    w.linear(e + "9.", 1587, spec.controller_dim);
    w.linear(m.adapter_prefix + "fc1.", spec.dim, spec.adapter_hidden);
    w.linear(m.adapter_prefix + "fc2.", spec.adapter_hidden, spec.fusion_dim);
  }
  w.add("controller.cls", shape{1, spec.controller_dim}, 0.5f);
  add_transformer(w, "controller.combiner_encoder.", spec.controller_dim, spec.controller_layers,
                  2 * spec.controller_dim);
  w.linear("controller.output_head.0.", spec.controller_dim, spec.controller_hidden, false);
  w.linear("controller.output_head.2.", spec.controller_hidden, spec.depth * spec.modalities.size(), false);
  w.linear("controller.noise_output.0.", spec.controller_dim, spec.controller_hidden);
  w.linear("controller.noise_output.2.", spec.controller_hidden, spec.qoi_outputs);
  add_transformer(w, "encoder.", spec.fusion_dim, spec.fusion_layers, spec.fusion_mlp);
  w.linear("output_head.", spec.fusion_dim, spec.classes);
  w.save(path, metadata);
}

}  // namespace admn::examples
