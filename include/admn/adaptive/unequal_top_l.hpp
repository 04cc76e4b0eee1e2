// admn/adaptive/unequal_top_l.hpp — top-L under a cost budget, blocks of unequal cost.
//
// ADMN's ConvLayerControllerUnequal (AVE_Custom, docs/numerics.md §4.10) charges 3 per image
// block and 1 per audio block (one image block runs on 8 frames: 11.63 GMAC against
// 4.04 for audio, §8). Its get_top_k_unequal(x, k), with k = budget − 4 (the two
// forced first blocks cost 3 + 1):
//   walk the top-min(k, 24) indices of the logits (first blocks at −99), descending:
//     if cost ≤ k − 3:                     accept, cost += 3 (image) or 1 (audio)
//     elif cost < k and the block is audio: accept, cost += 1
//     else:                                 reject (the index becomes 0, a no-op)
//   then keep block 0 of every modality.
// For costs {3, 1} both branches together accept exactly when cost + c_i ≤ k: the
// first branch holds iff cost ≤ k − 3, where any block fits; past it only an audio
// block (c = 1) can, iff cost < k. admn generalises that to M modalities with integer
// block costs c_m ≥ 1 and a total budget C (in cost units, forced blocks included):
//   k = C − Σ_m c_m;  walk the top-min(k, Σ d_m) indices in descending logit order
//   (ties: the lower index first) and accept index i (block l of modality m) iff
//   cost + c_m ≤ k, then cost += c_m;  finally keep block 0 of every modality.
// As in the reference, the walk stops after min(k, Σ d_m) indices even if budget is
// left, and a forced first block that reaches the window (a logit ≤ −99, or k ≥ 23
// for AVE) is charged like any other. The kept cost never exceeds C.
#pragma once

#include <admn/adaptive/budget.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/adaptive/top_l.hpp>
#include <admn/error.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace admn::adaptive {

class unequal_top_l_selector {
 public:
  // depths[m] blocks of cost costs[m] ≥ 1 each; `budget` in cost units, Σ c_m ≤
  // budget ≤ Σ c_m·d_m. Throws argument_error [admn.plan.modalities] / [admn.plan.costs]
  // for mismatched or zero costs, budget_error [admn.budget.too_small] /
  // [admn.budget.too_large] for a budget outside that range.
  unequal_top_l_selector(std::span<const std::size_t> depths, std::span<const std::size_t> costs,
                         std::size_t budget)
      : budget_(budget), count_(depths.size()) {
    if (depths.size() > max_modalities || depths.empty())
      throw argument_error("admn.plan.modalities", std::to_string(depths.size()) + " modalities: need 1 to " +
                                                       std::to_string(max_modalities));
    if (costs.size() != depths.size())
      throw argument_error("admn.plan.costs", std::to_string(costs.size()) + " block costs for " +
                                                  std::to_string(depths.size()) + " modalities");
    std::size_t forced = 0, full = 0;
    for (std::size_t m = 0; m < count_; ++m) {
      if (costs[m] == 0 || costs[m] > 1'000'000)
        throw argument_error("admn.plan.costs", "block cost " + std::to_string(costs[m]) + " of modality " +
                                                    std::to_string(m) + " must be in [1, 1000000]");
      if (depths[m] == 0)
        throw argument_error("admn.plan.costs", "modality " + std::to_string(m) + " has no block to force");
      depths_[m] = depths[m];
      costs_[m] = costs[m];
      total_ += depths[m];
      forced += costs[m];
      full += costs[m] * depths[m];
    }
    detail::check_logit_count(total_);
    if (budget < forced)
      throw budget_error("admn.budget.too_small", "cost budget " + std::to_string(budget) + " is below the " +
                                                      std::to_string(forced) + " of the forced first blocks");
    if (budget > full)
      throw budget_error("admn.budget.too_large", "cost budget " + std::to_string(budget) + " exceeds the " +
                                                      std::to_string(full) + " of all blocks");
    extra_ = budget - forced;
  }

  [[nodiscard]] std::size_t budget() const noexcept { return budget_; }
  [[nodiscard]] std::size_t logit_count() const noexcept { return total_; }
  [[nodiscard]] std::span<const std::size_t> depths() const noexcept { return {depths_.data(), count_}; }
  [[nodiscard]] std::span<const std::size_t> costs() const noexcept { return {costs_.data(), count_}; }

  // Σ_m c_m · |kept blocks of m|.
  [[nodiscard]] std::size_t cost(const layer_plan& plan) const noexcept {
    std::size_t c = 0;
    for (std::size_t m = 0; m < count_ && m < plan.modalities(); ++m) c += costs_[m] * plan[m].count();
    return c;
  }

  // The deterministic selection. logits: Σ depths values (NaN rejected).
  [[nodiscard]] layer_plan select(std::span<const float> logits) const {
    return pick(detail::layer_scores(logits, depths()));
  }

  // With Gumbel noise, as top_l_selector::sample (§4.7).
  [[nodiscard]] layer_plan sample(std::span<const float> logits, gumbel_rng& rng,
                                  const gumbel_options& o = {}) const {
    detail::logit_scores scores = detail::layer_scores(logits, depths());
    detail::add_gumbel(scores, total_, rng, o);
    return pick(scores);
  }

 private:
  [[nodiscard]] layer_plan pick(const detail::logit_scores& scores) const {
    const std::size_t window = std::min(extra_, total_);
    const auto order = detail::top_indices(scores, total_, window);
    layer_plan plan(depths());
    std::size_t spent = 0;
    for (std::size_t i = 0; i < window; ++i) {
      const auto [m, l] = detail::locate_block(depths(), order[i]);
      if (spent + costs_[m] > extra_) continue;
      spent += costs_[m];
      plan[m].keep(l);
    }
    for (std::size_t m = 0; m < count_; ++m) plan[m].keep(0);
    return plan;
  }

  std::array<std::size_t, max_modalities> depths_{};
  std::array<std::size_t, max_modalities> costs_{};
  std::size_t budget_;
  std::size_t count_;
  std::size_t total_ = 0;
  std::size_t extra_ = 0;
};

}  // namespace admn::adaptive
