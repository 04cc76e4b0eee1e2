// admn/adaptive/top_l.hpp — ADMN's top-L selector: from controller logits to a layer plan.
//
// For M modalities with depths d_m and a budget L (ADMN_SPEC §4.6):
//   logits[first block of each modality] := −99
//   kept = top-(L − M) of all Σd_m logits jointly (not per modality) ∪ {block 0 of each modality}
// Index o_m + l ↔ block l of modality m (o_m = d_0 + … + d_{m−1}). Ties: the lower
// index wins (torch.topk leaves them unspecified). As in the reference, a logit
// below −99 can lose to a forced entry, which then counts against the k picks.
// Optional stochastic inference (§4.7): logits + noise_scale·g, g ~ Gumbel(0,1)
// (g = −log(−log(U + 1e−12) + 1e−12)), divided by the temperature; the softmax
// of the training code does not change the order, so it is not computed.
#pragma once

#include <admn/adaptive/budget.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>

namespace admn::adaptive {

// Seeded uniform numbers for Gumbel sampling (splitmix64): reproducible across
// platforms, unlike std:: distributions.
class gumbel_rng {
 public:
  explicit gumbel_rng(std::uint64_t seed) noexcept : state_(seed) {}
  // U in [0, 1) with 24 random bits (exact in float).
  float uniform() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<float>(z >> 40) / 16777216.0f;
  }
  float gumbel() noexcept { return -std::log(-std::log(uniform() + 1e-12f) + 1e-12f); }

 private:
  std::uint64_t state_;
};

struct gumbel_options {
  float noise_scale = 0.1f;  // ADMN's training value
  float temperature = 1.0f;
};

class top_l_selector {
 public:
  // Throws budget_error when L is outside [M, Σ depths], argument_error for
  // too many blocks in total.
  top_l_selector(std::span<const std::size_t> depths, std::size_t budget)
      : budget_(budget), count_(depths.size()) {
    if (depths.size() > max_modalities)
      throw argument_error("admn.plan.modalities", std::to_string(depths.size()) +
                                                       " modalities exceed the maximum of " +
                                                       std::to_string(max_modalities));
    check_budget(budget, depths);
    for (std::size_t m = 0; m < count_; ++m) {
      depths_[m] = depths[m];
      total_ += depths[m];
    }
    if (total_ > max_logits)
      throw argument_error("admn.plan.blocks", std::to_string(total_) + " blocks exceed the maximum of " +
                                                   std::to_string(max_logits));
  }

  [[nodiscard]] std::size_t budget() const noexcept { return budget_; }
  [[nodiscard]] std::size_t logit_count() const noexcept { return total_; }
  [[nodiscard]] std::span<const std::size_t> depths() const noexcept { return {depths_.data(), count_}; }

  // The deterministic selection of inference. logits: Σ depths values.
  [[nodiscard]] layer_plan select(std::span<const float> logits) const {
    std::array<float, max_logits> scores{};
    prepare(logits, scores);
    return pick(scores);
  }

  // Stochastic selection with Gumbel noise drawn from `rng`.
  [[nodiscard]] layer_plan sample(std::span<const float> logits, gumbel_rng& rng,
                                  const gumbel_options& o = {}) const {
    std::array<float, max_logits> scores{};
    prepare(logits, scores);
    for (std::size_t i = 0; i < total_; ++i)
      scores[i] = (scores[i] + o.noise_scale * rng.gumbel()) / o.temperature;
    return pick(scores);
  }

 private:
  static constexpr std::size_t max_logits = max_modalities * max_depth;
  static constexpr float forced_logit = -99.0f;

  void prepare(std::span<const float> logits, std::array<float, max_logits>& scores) const {
    if (logits.size() != total_)
      throw shape_error("admn.top_l.logits", "expected " + std::to_string(total_) + " layer logits, got " +
                                                 std::to_string(logits.size()));
    for (std::size_t i = 0; i < total_; ++i) {
      // A NaN has no rank; sorting with it would be undefined behaviour.
      if (std::isnan(logits[i]))
        throw argument_error("admn.top_l.nan", "layer logit " + std::to_string(i) + " is NaN");
      scores[i] = logits[i];
    }
    std::size_t offset = 0;
    for (std::size_t m = 0; m < count_; ++m) {
      scores[offset] = forced_logit;
      offset += depths_[m];
    }
  }

  [[nodiscard]] layer_plan pick(const std::array<float, max_logits>& scores) const {
    // Order indices by score, descending; equal scores keep the lower index first.
    std::array<std::uint16_t, max_logits> order{};
    std::iota(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(total_), std::uint16_t{0});
    const std::size_t k = budget_ - count_;
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k),
                      order.begin() + static_cast<std::ptrdiff_t>(total_),
                      [&](std::uint16_t a, std::uint16_t b) {
                        return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
                      });
    layer_plan plan(depths());
    for (std::size_t i = 0; i < k; ++i) set(plan, order[i]);
    for (std::size_t m = 0; m < count_; ++m) plan[m].keep(0);
    return plan;
  }

  void set(layer_plan& plan, std::size_t index) const {
    std::size_t m = 0;
    while (index >= depths_[m]) index -= depths_[m++];
    plan[m].keep(index);
  }

  std::array<std::size_t, max_modalities> depths_{};
  std::size_t budget_;
  std::size_t count_;
  std::size_t total_ = 0;
};

}  // namespace admn::adaptive
