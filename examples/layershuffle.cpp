// layershuffle — one ViT run in random block orders and at pruned depths (LayerShuffle).
//
// LayerShuffle (Freiberger et al.) trains a ViT with a random block order per batch so
// that, at test time, the blocks may run in any order or be pruned. admn runs any
// execution order (adaptive::execution_order), and the variant that adds a learned
// execution-position embedding to each block's input (vit_spec::layer_position_key).
// This example writes a 12-block ViT with random weights (timm key names plus a
// `layer_position.weight` table), runs it in its trained order, in random orders and
// pruned to 9, 6 and 3 blocks (LayerDrop's every-other pruning, in index order and
// shuffled, and random subsets), and prints how far the CLS features move from the
// full, in-order result (relative L2 distance). With random weights the distances
// are large; a LayerShuffle-trained model keeps them small — the mechanism is what
// runs here.
#include <admn/adaptive/execution_order.hpp>
#include <admn/adaptive/static_plan.hpp>
#include <admn/model/vit_backbone.hpp>

#include "related_systems.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace {

constexpr std::size_t dim = 64, depth = 12, mlp = 128, image = 32, patch = 8, batch = 4;

void write_vit(const std::filesystem::path& path) {
  admn::examples::state_dict w(3);
  admn::examples::add_timm_vit(w, "",
                               {.dim = dim, .depth = depth, .mlp = mlp, .image = image, .patch = patch});
  // E[p]: added to every token of the block that runs at execution position p.
  w.add("layer_position.weight", admn::shape{depth, dim}, 0.2f);
  w.save(path, {{"admn.arch", "layershuffle_vit"}});
}

}  // namespace

int main() {
  using admn::adaptive::execution_order;
  const auto path = std::filesystem::temp_directory_path() / "admn-layershuffle.safetensors";
  write_vit(path);
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  const admn::io::weight_source weights(file);
  // The same checkpoint two ways: plain LayerShuffle, and with position embeddings.
  const auto plain = admn::model::vit_backbone::load(weights, {.heads = 4});
  const auto positioned =
      admn::model::vit_backbone::load(weights, {.heads = 4, .layer_position_key = "layer_position.weight"});
  std::filesystem::remove(path);

  admn::tensor images(admn::shape{batch, 3, image, image});
  for (std::size_t i = 0; i < images.size(); ++i)
    images.data()[i] = std::sin(0.37f * static_cast<float>(i % 1009)) + 0.1f * static_cast<float>(i % 7);
  admn::workspace ws;
  const auto run = [&](const admn::model::vit_backbone& vit, const execution_order& order) {
    admn::tensor out(admn::shape{batch, dim});
    vit.forward(images.view(), order, out.view(), ws);
    return out;
  };

  const auto trained = execution_order::identity(depth);
  const admn::tensor ref_plain = run(plain, trained), ref_positioned = run(positioned, trained);
  std::printf(
      "LayerShuffle: %zu-block ViT (width %zu), %zu images; distance of the CLS features from the\n"
      "in-order run (relative L2), plain / with layer-position embeddings\n\n",
      depth, dim, batch);
  const auto report = [&](const char* what, const execution_order& order) {
    std::printf("  %-22s %-30s %7.4f  %7.4f\n", what, order.to_string().c_str(),
                admn::examples::relative_distance(run(plain, order), ref_plain),
                admn::examples::relative_distance(run(positioned, order), ref_positioned));
  };
  report("trained order", trained);
  for (std::uint64_t seed = 1; seed <= 3; ++seed)
    report("random order", execution_order::random(depth, depth, seed));
  for (const std::size_t keep : {9u, 6u, 3u}) {
    // LayerDrop's every-other pruning (adaptive::every_other_mask), in index order and shuffled,
    // then a random subset of the same size in a random order.
    const admn::adaptive::layer_mask pruned = admn::adaptive::every_other_mask(depth, keep);
    const std::string label = "pruned to " + std::to_string(keep) + " blocks";
    report(label.c_str(), execution_order::ascending(pruned));
    report("  same, shuffled", execution_order::shuffled(pruned, 100 + keep));
    report("  random subset", execution_order::random(depth, keep, 200 + keep));
  }
  return 0;
}
