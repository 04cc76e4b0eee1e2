// related_systems.hpp — what the related-system examples share (adamtl, dynmm,
// layershuffle, layercollapse): a timm ViT written with random weights, and the
// distance between two outputs.
#pragma once

#include <admn/tensor/tensor.hpp>

#include "tiny_model.hpp"

#include <cmath>
#include <cstddef>
#include <string>

namespace admn::examples {

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

// ‖a − b‖ / ‖b‖, accumulated in double.
inline double relative_distance(const tensor& a, const tensor& b) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (double(a.data()[i]) - b.data()[i]) * (double(a.data()[i]) - b.data()[i]);
    norm += double(b.data()[i]) * b.data()[i];
  }
  return std::sqrt(diff / norm);
}

}  // namespace admn::examples
