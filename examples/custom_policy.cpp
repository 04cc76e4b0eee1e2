// custom_policy — write your own policy: who decides which backbone blocks each sample runs.
//
// ADMN learns its controller; this policy needs no training. It estimates how noisy
// each modality's input is from its high-frequency energy — the mean absolute
// difference between horizontally neighbouring pixels, which white noise inflates —
// and splits the budget L between the modalities in inverse proportion to it, at
// least one block each. Each modality then runs its share spread evenly over its
// depth (LayerDrop's every-other pruning, adaptive::every_other_mask), so a model
// trained with LayerDrop keeps working at any share.
//
// A policy is a type with `is_policy`, `learned` (true: a call gives a budget) and a
// `runtime` with load(weights, setup), decide(call, decision, ws), macs and
// describe (model/policy.hpp, concept policy_type). It then takes the
// controller's place in a network type.
#include <admn/adaptive/static_plan.hpp>
#include <admn/model/network.hpp>

#include "tiny_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

namespace m = admn::model;
namespace ad = admn::adaptive;

struct sharpness_split {
  static constexpr bool is_policy = true;
  static constexpr bool learned = true;  // it spends a budget

  class runtime {
   public:
    static runtime load(const admn::io::weight_source&, const m::policy_setup& setup) {
      runtime r;
      for (const auto& mod : setup.modalities) r.instances_.push_back(mod.instances);
      return r;
    }

    void decide(const m::policy_call& call, m::decision& d, admn::workspace&) const {
      const std::size_t count = call.inputs.size();
      for (std::size_t b = 0; b < call.batch; ++b) {
        const std::size_t budget =
            call.options.budgets.empty() ? call.options.budget.value_or(count) : call.options.budgets[b];
        std::size_t total_depth = 0;
        for (const std::size_t depth : call.depths) total_depth += depth;
        if (budget < count || budget > total_depth)
          throw admn::budget_error("admn.budget.range", "budget " + std::to_string(budget) + " outside [" +
                                                            std::to_string(count) + ", " +
                                                            std::to_string(total_depth) + "]");
        // Weight of modality m: 1 / (its noise estimate); blocks in proportion, ≥ 1 each.
        std::vector<double> weight(count);
        double sum = 0;
        for (std::size_t mod = 0; mod < count; ++mod) {
          weight[mod] = 1.0 / (1e-6 + roughness(call.inputs[mod], b, instances_[mod]));
          sum += weight[mod];
        }
        std::vector<std::size_t> share(count, 1);
        std::size_t left = budget - count;
        for (std::size_t mod = 0; mod < count; ++mod) {
          const auto extra =
              static_cast<std::size_t>(std::floor(weight[mod] / sum * static_cast<double>(left)));
          share[mod] += std::min(extra, call.depths[mod] - 1);
        }
        // Hand out what rounding left, cleanest modality first, up to each depth.
        std::vector<std::size_t> by_weight(count);
        for (std::size_t mod = 0; mod < count; ++mod) by_weight[mod] = mod;
        std::sort(by_weight.begin(), by_weight.end(),
                  [&](std::size_t x, std::size_t y) { return weight[x] > weight[y]; });
        std::size_t used = 0;
        for (const std::size_t s : share) used += s;
        for (std::size_t i = 0; used < budget; i = (i + 1) % count)
          if (share[by_weight[i]] < call.depths[by_weight[i]]) {
            ++share[by_weight[i]];
            ++used;
          }
        ad::layer_plan plan(call.depths);
        for (std::size_t mod = 0; mod < count; ++mod)
          plan[mod] = ad::every_other_mask(call.depths[mod], share[mod]);
        d.plans.emplace_back(plan);
      }
    }

    [[nodiscard]] std::size_t macs(std::size_t) const noexcept { return 0; }
    [[nodiscard]] std::string describe() const { return "sharpness split (inverse high-frequency energy)"; }

   private:
    // Mean |x[y][x+1] − x[y][x]| over sample b's images of a modality: (B·n, C, H, W).
    static double roughness(admn::const_view images, std::size_t b, std::size_t n) {
      const std::size_t c = images.extent(1), h = images.extent(2), w = images.extent(3);
      const float* x = images.data() + b * n * c * h * w;
      double total = 0;
      for (std::size_t row = 0; row < n * c * h; ++row)
        for (std::size_t col = 0; col + 1 < w; ++col)
          total += std::fabs(x[row * w + col + 1] - x[row * w + col]);
      return total / static_cast<double>(n * c * h * (w - 1));
    }

    std::vector<std::size_t> instances_;
  };
};

using thermal = m::modality<"thermal", m::image_input<1>, m::preprocess<m::repeat_channels<1, 3>>, m::vit<3>>;
using rgb = m::modality<"rgb", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using net_type = m::network<sharpness_split, m::transformer_fusion, m::classifier, thermal, rgb>;

int main() {
  // A checkpoint with random weights and PyTorch's key names, as compose.cpp writes it.
  const auto path = std::filesystem::temp_directory_path() / "admn-custom-policy.safetensors";
  admn::examples::write_tiny_model(
      path,
      {.modalities = {{"thermal", "thermal.", "thermal_adapter.", 3}, {"rgb", "rgb.", "rgb_adapter.", 3}}},
      {});
  m::network_config config;
  for (int i = 0; i < 2; ++i) config.modalities.push_back({.heads = 4, .instances = 2, .image = {32, 32}});
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  const auto net = m::load<net_type>(admn::io::weight_source(file), config);
  std::printf("%s\n", net.describe().c_str());

  // Sample 0: a noisy thermal image; sample 1: a noisy RGB image.
  admn::tensor thermal_in(admn::shape{2, 2, 1, 32, 32}), rgb_in(admn::shape{2, 2, 3, 32, 32});
  std::uint32_t state = 1;
  const auto noise = [&] {
    return static_cast<float>((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
  };
  for (std::size_t i = 0; i < thermal_in.size(); ++i) {
    const float smooth = std::sin(static_cast<float>(i % 32) * 0.2f);
    thermal_in.data()[i] = i < thermal_in.size() / 2 ? smooth + 2.0f * noise() : smooth;
  }
  for (std::size_t i = 0; i < rgb_in.size(); ++i) {
    const float smooth = std::cos(static_cast<float>(i % 32) * 0.2f);
    rgb_in.data()[i] = i < rgb_in.size() / 2 ? smooth : smooth + 2.0f * noise();
  }
  const admn::const_view inputs[] = {thermal_in.view(), rgb_in.view()};
  admn::workspace ws;
  const auto result = net.run(inputs, {.budget = 8}, ws);
  for (std::size_t s = 0; s < 2; ++s)
    std::printf("sample %zu (%s): thermal %zu blocks, rgb %zu blocks (%s)\n", s,
                s == 0 ? "noisy thermal" : "noisy rgb", result.plans[s][0].count(),
                result.plans[s][1].count(), result.plans[s].to_string().c_str());
  std::filesystem::remove(path);
}
