// adamtl — one shared encoder, a task-aware block policy, several task heads (AdaMTL).
//
// AdaMTL (Neseem et al.) attaches a light policy network to the shared encoder of a
// multi-task model and, per input, runs only the encoder blocks the policy picks;
// every task head reads the one encoder output. admn's multi_task_network loads
// such a model: a timm ViT encoder, one BlockSelect controller per task (OR-ed), and
// named heads (classification: logits; regression: values). This example writes one
// with random weights and runs 4 images freely, under a block budget and under a MAC
// target, printing the blocks each image used, its MACs and every task's output, then
// computes one task only. multi_task_network is a model::network (multi_task_net): the
// block select is its policy on the encoder's stem tokens, the heads its named task heads.
#include <admn/model/adamtl.hpp>

#include "related_systems.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace m = admn::model;

namespace {

constexpr std::size_t dim = 64, depth = 12, image = 32, patch = 8, hidden = 8, batch = 4;
constexpr std::size_t tokens = (image / patch) * (image / patch) + 1;

void write_model(const std::filesystem::path& path) {
  admn::examples::state_dict w(17);
  // The shared encoder: a timm ViT.
  admn::examples::add_timm_vit(w, "encoder.",
                               {.dim = dim, .depth = depth, .mlp = 2 * dim, .image = image, .patch = patch});
  // One BlockSelect per task ("per_task" policy): per-token Linear, then all tokens → one logit per block.
  for (const char* task : {"scene", "distance"}) {
    w.linear("policy." + std::string(task) + ".mlp.", dim, hidden);
    w.linear("policy." + std::string(task) + ".fc.", tokens * hidden, depth);
  }
  w.linear("heads.scene.", dim, 10);         // classification: 10 scene classes
  w.linear("heads.distance.fc1.", dim, 32);  // regression: an MLP head, 3 values
  w.linear("heads.distance.fc2.", 32, 3);
  w.save(path, {{"admn.arch", "adamtl_vit"}});
}

}  // namespace

int main() {
  const auto path = std::filesystem::temp_directory_path() / "admn-adamtl.safetensors";
  write_model(path);
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  const admn::io::weight_source weights(file);
  const auto net = m::multi_task_network::load(
      weights, {.encoder = {.heads = 4},
                .policy_prefixes = {"policy.scene.", "policy.distance."},
                .tasks = {{"scene", m::task_kind::classification}, {"distance", m::task_kind::regression}},
                .image = {image, image}});
  std::filesystem::remove(path);
  std::printf("%s", net.describe().c_str());
  std::printf("unused tensors: %zu\n", weights.unused_keys().size());

  admn::tensor images(admn::shape{batch, 3, image, image});
  const std::size_t per = 3 * image * image;
  for (std::size_t s = 0; s < batch; ++s)
    for (std::size_t i = 0; i < per; ++i)
      images.data()[s * per + i] = std::sin(0.02f * static_cast<float>(i) * static_cast<float>(s + 1)) *
                                   (0.5f + static_cast<float>(s));
  admn::workspace ws;
  const std::size_t full = net.macs(admn::adaptive::layer_mask::all(depth));
  const std::size_t target = net.fixed_macs() + (full - net.fixed_macs()) / 2;

  struct setting {
    const char* name;
    m::multi_task_options options;
  };
  const setting settings[] = {
      {"policy alone", {}}, {"budget 4 blocks", {.budget = 4}}, {"MAC target 50%", {.max_macs = target}}};
  for (const auto& [name, options] : settings) {
    const auto result = net.run(images.view(), options, ws);
    std::printf("\n%s (all %zu blocks: %.3f MMAC per image)\n", name, depth, static_cast<double>(full) / 1e6);
    const auto& scene = result.output("scene");
    const auto& distance = result.output("distance");
    for (std::size_t s = 0; s < batch; ++s) {
      std::size_t best = 0;
      for (std::size_t c = 1; c < 10; ++c)
        if (scene(s, c) > scene(s, best)) best = c;
      std::printf(
          "  image %zu: blocks %s (%2zu) %6.3f MMAC, saved %5.1f%%; scene class %zu, distance (%.3f, %.3f, "
          "%.3f)\n",
          s, result.masks[s].to_string().c_str(), result.masks[s].count(),
          static_cast<double>(result.macs[s]) / 1e6,
          100.0 * (1.0 - static_cast<double>(result.macs[s]) / static_cast<double>(full)), best,
          distance(s, 0), distance(s, 1), distance(s, 2));
    }
  }
  // AdaMTL's per-task mode: only the tasks a call names get a head run.
  const auto distance_only = net.run(images.view(), {.budget = 4, .tasks = {"distance"}}, ws);
  std::printf("\ndistance only (budget 4): %zu output, image 0 distance (%.3f, %.3f, %.3f)\n",
              distance_only.outputs.size(), distance_only.output("distance")(0, 0),
              distance_only.output("distance")(0, 1), distance_only.output("distance")(0, 2));
  return 0;
}
