// Randomly initialised layers at real ViT sizes for benchmarks (weights do not
// change the speed of dense float code, so no file is needed).
#pragma once

#include <admn/layers/encoder_block.hpp>
#include <admn/model/vit_backbone.hpp>

#include <cstdint>

namespace admn::bench {

inline tensor random_tensor(const shape& s, float scale, std::uint32_t seed) {
  tensor t(s);
  std::uint32_t state = seed * 2654435761u + 1u;
  for (float& v : t.values()) {
    state = state * 1664525u + 1013904223u;
    v = scale * (static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
  }
  return t;
}

inline layers::linear random_linear(std::size_t in, std::size_t out, std::uint32_t seed, bool bias = true,
                                    kernels::precision precision = kernels::precision::fp32) {
  const float scale = 1.0f / static_cast<float>(in);
  return layers::linear(
      random_tensor(shape{out, in}, scale, seed),
      bias ? std::optional<tensor>(random_tensor(shape{out}, 0.1f, seed + 1)) : std::nullopt, precision);
}

inline layers::layer_norm random_norm(std::size_t dim, std::uint32_t seed) {
  tensor gamma = random_tensor(shape{dim}, 0.1f, seed);
  for (float& v : gamma.values()) v += 1.0f;
  return layers::layer_norm(std::move(gamma), random_tensor(shape{dim}, 0.1f, seed + 1));
}

// A timm ViT block: dim, heads, MLP hidden = 4·dim.
inline layers::encoder_block random_block(std::size_t dim, std::size_t heads, std::uint32_t seed,
                                          kernels::precision precision = kernels::precision::fp32) {
  return layers::encoder_block(
      random_norm(dim, seed),
      layers::multi_head_attention(random_linear(dim, 3 * dim, seed + 2, true, precision),
                                   random_linear(dim, dim, seed + 4, true, precision), {.heads = heads}),
      random_norm(dim, seed + 6),
      layers::mlp(random_linear(dim, 4 * dim, seed + 8, true, precision),
                  random_linear(4 * dim, dim, seed + 10, true, precision), {kernels::activation::gelu_erf}));
}

// ViT-B/16 on 224×224 (or another size/depth) with random weights.
inline model::vit_backbone random_vit(std::size_t dim = 768, std::size_t depth = 12, std::size_t heads = 12,
                                      std::size_t channels = 3, std::size_t h = 224, std::size_t w = 224,
                                      std::size_t patch = 16,
                                      kernels::precision precision = kernels::precision::fp32) {
  std::vector<layers::encoder_block> blocks;
  for (std::size_t i = 0; i < depth; ++i)
    blocks.push_back(random_block(dim, heads, 100 + 20 * static_cast<std::uint32_t>(i), precision));
  const std::size_t tokens = (h / patch) * (w / patch) + 1;
  return model::vit_backbone(layers::patch_embed(random_tensor(shape{dim, channels, patch, patch}, 0.02f, 1),
                                                 random_tensor(shape{dim}, 0.1f, 2)),
                             layers::class_token(random_tensor(shape{1, dim}, 0.5f, 3)),
                             layers::learned_position_embedding(random_tensor(shape{tokens, dim}, 0.5f, 4)),
                             std::move(blocks), random_norm(dim, 5));
}

}  // namespace admn::bench
