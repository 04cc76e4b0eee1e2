// admn-demo — a two-modality adaptive network, end to end, on CPU.
//
// 1. Writes a small model (camera ViT + depth ViT + fusion encoder + classifier)
//    with seeded random weights to a .safetensors file, under PyTorch state-dict
//    names, as an exported checkpoint would look.
// 2. Loads it back through the validating loader and binds every tensor by key.
// 3. Runs one batch under layer plans of shrinking budget and prints, for each,
//    the blocks kept per modality, the MACs, the latency and how far the class
//    scores move from the full network's.
// The weights are random (a trained model arrives with the demo work item), so the
// outputs mean nothing; what the demo shows is the mechanics: exact skipping,
// cost that follows the budget, and a loader that names what it binds.
#include <admn/adaptive/layer_plan.hpp>
#include <admn/adaptive/top_l.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/io/writer.hpp>
#include <admn/model/fusion.hpp>
#include <admn/model/heads.hpp>
#include <admn/model/vit_backbone.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr std::size_t dim = 64, depth = 6, heads = 4, image = 32, patch = 8, fused = 32, classes = 10;

// Seeded weights: uniform in ±scale.
class weight_maker {
 public:
  void add(const std::string& name, const admn::shape& s, float scale, float offset = 0.0f) {
    admn::tensor t(s);
    for (float& v : t.values()) {
      state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
      v = offset + scale * (static_cast<float>(state_ >> 40) / 8388608.0f - 1.0f);
    }
    tensors_.emplace(name, std::move(t));
  }
  void linear(const std::string& prefix, std::size_t in, std::size_t out, bool bias = true) {
    add(prefix + "weight", admn::shape{out, in}, 1.0f / std::sqrt(static_cast<float>(in)));
    if (bias) add(prefix + "bias", admn::shape{out}, 0.1f);
  }
  void norm(const std::string& prefix, std::size_t d) {
    add(prefix + "weight", admn::shape{d}, 0.1f, 1.0f);
    add(prefix + "bias", admn::shape{d}, 0.1f);
  }
  void vit(const std::string& prefix, std::size_t channels) {
    add(prefix + "cls_token", admn::shape{1, 1, dim}, 0.5f);
    const std::size_t tokens = (image / patch) * (image / patch) + 1;
    add(prefix + "pos_embed", admn::shape{1, tokens, dim}, 0.5f);
    add(prefix + "patch_embed.proj.weight", admn::shape{dim, channels, patch, patch}, 0.1f);
    add(prefix + "patch_embed.proj.bias", admn::shape{dim}, 0.1f);
    for (std::size_t i = 0; i < depth; ++i) {
      const std::string b = prefix + "blocks." + std::to_string(i) + ".";
      norm(b + "norm1.", dim);
      linear(b + "attn.qkv.", dim, 3 * dim);
      linear(b + "attn.proj.", dim, dim);
      norm(b + "norm2.", dim);
      linear(b + "mlp.fc1.", dim, 4 * dim);
      linear(b + "mlp.fc2.", 4 * dim, dim);
    }
    norm(prefix + "norm.", dim);
  }
  void save(const std::filesystem::path& path) const {
    std::vector<admn::io::tensor_entry> entries;
    for (const auto& [name, t] : tensors_) entries.push_back(admn::io::entry(name, t));
    admn::io::save(path, entries,
                   {{"admn.arch", "demo"}, {"admn.config", R"({"dim":64,"depth":6,"heads":4})"}});
  }

 private:
  std::map<std::string, admn::tensor> tensors_;
  std::uint64_t state_ = 2024;
};

void write_model(const std::filesystem::path& path) {
  weight_maker w;
  w.vit("vision.", 3);
  w.vit("depth.", 1);
  for (const char* adapter : {"vision_adapter.", "depth_adapter."}) {
    w.linear(std::string(adapter) + "fc1.", dim, 48);
    w.linear(std::string(adapter) + "fc2.", 48, fused);
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string l = "encoder.layers." + std::to_string(i) + ".";
    w.norm(l + "0.norm.", fused);
    w.linear(l + "0.to_qkv.", fused, 3 * fused, false);
    w.linear(l + "0.to_out.0.", fused, fused);
    w.norm(l + "1.condln.", fused);
    w.linear(l + "1.net.1.", fused, 2 * fused);
    w.linear(l + "1.net.4.", 2 * fused, fused);
  }
  w.norm("encoder.norm.", fused);
  w.linear("output_head.", fused, classes);
  w.save(path);
}

admn::tensor random_images(std::size_t batch, std::size_t channels, std::uint32_t seed) {
  admn::tensor t(admn::shape{batch, channels, image, image});
  std::uint32_t s = seed;
  for (float& v : t.values()) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>(s >> 8) / 8388608.0f - 1.0f;
  }
  return t;
}

}  // namespace

int main() {
  const auto path = std::filesystem::temp_directory_path() / "admn-demo.safetensors";
  write_model(path);

  // Load: validate the file, then bind every tensor by its checkpoint key.
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  const admn::io::weight_source weights(file);
  const auto camera = admn::model::vit_backbone::load(weights.sub("vision."), {.heads = heads});
  const auto depth_vit = admn::model::vit_backbone::load(weights.sub("depth."), {.heads = heads});
  const auto fusion = admn::model::fusion_encoder::load(
      weights, {.adapter_prefixes = {"vision_adapter.", "depth_adapter."}, .instances = {1, 1}, .heads = 4});
  const auto head = admn::model::linear_head::load(weights.sub("output_head."));
  std::printf("loaded %s: %zu tensors, %zu unused\n", path.c_str(), file->size(),
              weights.unused_keys().size());
  std::printf("  camera ViT  %zu blocks, width %zu, %zu tokens, %.1f MMAC per block\n", camera.depth(),
              camera.dim(), camera.tokens(), static_cast<double>(camera.block_macs(1)) / 1e6);
  std::printf("  depth ViT   %zu blocks, width %zu, 1 channel\n", depth_vit.depth(), depth_vit.dim());
  std::printf("  fusion      %zu tokens, width %zu, %zu layers; head %zu classes\n\n", fusion.tokens(),
              fusion.dim(), fusion.encoder().depth(), head.classes());

  const std::size_t batch = 4;
  const admn::tensor rgb = random_images(batch, 3, 1), depth_map = random_images(batch, 1, 2);
  admn::workspace ws(
      std::max({camera.workspace_floats(batch, image, image), depth_vit.workspace_floats(batch, image, image),
                fusion.workspace_floats(batch)}));
  admn::tensor features_rgb(admn::shape{batch, dim}), features_depth(admn::shape{batch, dim});
  admn::tensor fused_out(admn::shape{batch, fused}), logits(admn::shape{batch, classes});

  auto run = [&](const admn::adaptive::layer_plan& plan) {
    camera.forward(rgb.view(), plan[0].blocks(), features_rgb.view(), ws);
    depth_vit.forward(depth_map.view(), plan[1].blocks(), features_depth.view(), ws);
    const admn::const_view features[] = {features_rgb.view(), features_depth.view()};
    fusion.forward(features, batch, fused_out.view(), ws);
    head.forward(fused_out.view(), logits.view());
  };

  const std::vector<std::size_t> depths{depth, depth};
  run(admn::adaptive::layer_plan::all(depths));
  const admn::tensor full = logits.clone();

  // A controller would produce these logits from the inputs; here the camera is
  // "trusted" more than the depth sensor, so top-L gives it the blocks first.
  const std::vector<float> preference{0, 6, 5, 4, 3, 2, 0, 1.5f, 1.2f, 1.1f, 1.0f, 0.9f};
  std::printf("%-6s %-14s %-14s %10s %10s %12s\n", "budget", "camera blocks", "depth blocks", "MMAC",
              "ms/batch", "rel. change");
  for (std::size_t budget = 2 * depth; budget >= 2; budget -= 2) {
    const auto plan = admn::adaptive::top_l_selector(depths, budget).select(preference);
    const auto start = std::chrono::steady_clock::now();
    run(plan);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < logits.size(); ++i) {
      diff += (logits.data()[i] - full.data()[i]) * (logits.data()[i] - full.data()[i]);
      norm += full.data()[i] * full.data()[i];
    }
    const double macs = static_cast<double>(plan.total_kept() * camera.block_macs(batch));
    std::printf("%-6zu %-14s %-14s %10.1f %10.3f %12.4f\n", budget, plan[0].to_string().c_str(),
                plan[1].to_string().c_str(), macs / 1e6, ms, std::sqrt(diff / norm));
  }
  std::filesystem::remove(path);
  return 0;
}
