// layercollapse — collapse the linear MLPs of a PReLU ViT into single Linears (LayerCollapse).
//
// LayerCollapse (Shabgahi et al.) trains MLPs with a PReLU whose slope is pushed
// towards 1; an MLP whose slope reached 1 is linear, y = W2·(W1·x + b1) + b2, and
// becomes one Linear W = W2·W1, b = W2·b1 + b2. admn loads such a checkpoint
// (vit_spec::mlp_activation = prelu, slopes at blocks.{i}.mlp.act.weight) and, with
// vit_spec::collapse_linear_mlps = tolerance, rewrites those MLPs at load time.
// This example writes an 8-block PReLU ViT with random weights where 5 MLPs ended
// training at slope 1 (one of them with per-channel slopes), loads it both ways,
// and prints what collapsed, the MACs saved and how far the outputs moved.
#include <admn/model/vit_backbone.hpp>

#include "related_systems.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr std::size_t dim = 96, depth = 8, hidden = 384, image = 32, patch = 8, batch = 8;

void write_vit(const std::filesystem::path& path) {
  admn::examples::state_dict w(5);
  const std::size_t tokens = (image / patch) * (image / patch) + 1;
  w.add("cls_token", admn::shape{1, 1, dim}, 0.5f);
  w.add("pos_embed", admn::shape{1, tokens, dim}, 0.5f);
  w.conv("patch_embed.proj.", 3, dim, patch);
  // The learned PReLU slopes at the end of training: 1 = linear.
  const float slopes[depth] = {1.0f, 0.31f, 1.0f, 1.0f, 0.12f, 1.0f, -1.0f /* per channel */, 0.57f};
  for (std::size_t i = 0; i < depth; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    w.norm(b + "norm1.", dim);
    w.linear(b + "attn.qkv.", dim, 3 * dim);
    w.linear(b + "attn.proj.", dim, dim);
    w.norm(b + "norm2.", dim);
    w.linear(b + "mlp.fc1.", dim, hidden);
    if (slopes[i] < 0.0f)
      w.add(b + "mlp.act.weight", admn::shape{hidden}, 0.0f, 1.0f);  // nn.PReLU(hidden), every slope 1
    else
      w.add(b + "mlp.act.weight", admn::shape{1}, 0.0f, slopes[i]);  // nn.PReLU()
    w.linear(b + "mlp.fc2.", hidden, dim);
  }
  w.norm("norm.", dim);
  w.save(path, {{"admn.arch", "layercollapse_vit"}});
}

}  // namespace

int main() {
  const auto path = std::filesystem::temp_directory_path() / "admn-layercollapse.safetensors";
  write_vit(path);
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  const admn::io::weight_source weights(file);
  const admn::kernels::activation_fn prelu{admn::kernels::activation::prelu};
  const auto original = admn::model::vit_backbone::load(weights, {.heads = 4, .mlp_activation = prelu});
  const auto collapsed = admn::model::vit_backbone::load(
      weights, {.heads = 4, .mlp_activation = prelu, .collapse_linear_mlps = 1e-6f});
  std::filesystem::remove(path);

  const auto& report = collapsed.collapsed();
  std::printf("LayerCollapse: %zu-block PReLU ViT, width %zu, MLP hidden %zu, %zu tokens\n", depth, dim,
              hidden, collapsed.tokens());
  std::printf("collapsed %zu of %zu MLPs (blocks", report.count(), report.mlps);
  for (const std::size_t b : report.blocks) std::printf(" %zu", b);
  std::printf(") at tolerance 1e-6\n");

  const auto image_macs = [&](const admn::model::vit_backbone& vit) {
    std::size_t total = vit.patch_embedding().macs(1, image, image);
    for (std::size_t i = 0; i < vit.depth(); ++i) total += vit.block_macs(1, i);
    return total;
  };
  const std::size_t before = image_macs(original), after = image_macs(collapsed);
  std::printf("MACs per image: %.3f M -> %.3f M, saved %.3f M (%.1f%%; report: %.3f M)\n", before / 1e6,
              after / 1e6, (before - after) / 1e6,
              100.0 * static_cast<double>(before - after) / static_cast<double>(before),
              report.macs_saved(1, collapsed.tokens()) / 1e6);

  admn::tensor images(admn::shape{batch, 3, image, image});
  for (std::size_t i = 0; i < images.size(); ++i)
    images.data()[i] = std::cos(0.11f * static_cast<float>(i % 4099));
  const std::vector<std::size_t> all{0, 1, 2, 3, 4, 5, 6, 7}, some{0, 2, 4, 6};
  admn::workspace ws;
  for (const auto& [name, blocks] : {std::pair{"all blocks", all}, std::pair{"blocks 0,2,4,6", some}}) {
    admn::tensor a(admn::shape{batch, dim}), b(admn::shape{batch, dim});
    original.forward(images.view(), blocks, a.view(), ws);
    collapsed.forward(images.view(), blocks, b.view(), ws);
    std::printf("%-15s output change %.2e relative\n", name, admn::examples::relative_distance(b, a));
  }

  const auto time_ms = [&](const admn::model::vit_backbone& vit) {
    admn::tensor out(admn::shape{batch, dim});
    vit.forward(images.view(), all, out.view(), ws);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) vit.forward(images.view(), all, out.view(), ws);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / 20.0;
  };
  std::printf("forward of %zu images: %.3f ms original, %.3f ms collapsed\n", batch, time_ms(original),
              time_ms(collapsed));
  return 0;
}
