// admn/zoo/reference_shapes.hpp — the shapes of ADMN's reference networks at full size, for
// cost accounting (docs/numerics.md §1, §4, §5, §7, §8): adaptive::macs_table(gtdm_shape()) …
//
// Figures this reproduces (tests/adaptive/cost_test.cpp): ViT-B/16 block 1.4540 GMAC
// at 197 tokens (qkv 0.3486, attention 0.0596, proj 0.1162, MLP 0.9296), 4.0352 at
// 513; patch embedding 0.1156 (image) / 0.1007 (audio); controllers GTDM 0.2608,
// AVE 0.6843, MMFI 0.2671; totals with the controller GTDM 3·L·1.454 + 0.98, MMFI
// 15·L·1.454 + 3.75; all 24 blocks without the controller GTDM 105.4, AVE 189.1
// (image block 11.63, audio block 4.04).
#pragma once

#include <admn/adaptive/cost.hpp>

#include <cstdint>

namespace admn::zoo {

// GTDM's OutputHead (§5.3): the same d×d Linear twice, mean_head (2), cov_head (4).
[[nodiscard]] constexpr std::uint64_t gaussian_head_macs(std::uint64_t dim) noexcept {
  return 2 * adaptive::linear_macs(1, dim, dim) + adaptive::linear_macs(1, dim, 2) +
         adaptive::linear_macs(1, dim, 4);
}

[[nodiscard]] inline adaptive::network_shape gtdm_shape() {
  adaptive::network_shape s;
  for (const char* name : {"zed_camera_left", "realsense_camera_depth"})
    s.modalities.push_back({name, {}, 3});
  s.controller = adaptive::controller_shape{.encoders = {{}, {}}, .encoded = {3, 3}};
  s.head = gaussian_head_macs(256);
  return s;
}

[[nodiscard]] inline adaptive::network_shape ave_shape() {
  adaptive::network_shape s;
  s.modalities.push_back({"image", {}, 8});
  s.modalities.push_back({"audio", {.channels = 1, .image = {128, 1024}}, 1});
  s.controller = adaptive::controller_shape{
      .encoders = {{.dim = 512}, {.channels = 1, .resize = {128, 512}, .pool = {3, 6}, .dim = 512}},
      .encoded = {8, 1},
      .combiner = {.dim = 512, .depth = 4, .heads = 4, .dim_head = 128, .mlp = 2048},
      .qoi = 4};
  s.head = adaptive::linear_macs(1, 256, 28);
  return s;
}

[[nodiscard]] inline adaptive::network_shape mmfi_shape() {
  adaptive::network_shape s;
  for (const char* name : {"rgb", "depth"}) s.modalities.push_back({name, {}, 15});
  s.controller = adaptive::controller_shape{
      .encoders = {{}, {}},
      .encoded = {3, 3},
      .cls = false,
      .combiner = {.dim = 256, .depth = 6, .heads = 4, .dim_head = 64, .mlp = 1024},
      .noise_hidden = 400};
  s.adapter_hidden = 400;
  s.fusion = {.dim = 64, .depth = 6, .heads = 4, .dim_head = 16, .mlp = 192};
  s.head = adaptive::linear_macs(1, 64, 27);
  return s;
}

}  // namespace admn::zoo
