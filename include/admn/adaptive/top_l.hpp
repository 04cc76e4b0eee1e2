// admn/adaptive/top_l.hpp — ADMN's top-L selector: from controller logits to a layer plan.
//
// For M modalities with depths d_m and a budget L (docs/numerics.md §4.6):
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
#include <utility>

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

namespace detail {

inline constexpr std::size_t max_logits = max_modalities * max_depth;
using logit_scores = std::array<float, max_logits>;

// Throws argument_error [admn.plan.blocks] when Σ depths exceeds max_logits.
inline void check_logit_count(std::size_t total) {
  if (total > max_logits)
    throw argument_error("admn.plan.blocks", std::to_string(total) + " blocks exceed the maximum of " +
                                                 std::to_string(max_logits));
}

// What the top-L selectors rank: the Σ depths logits with block 0 of every modality
// at −99 (docs/numerics.md §4.6). Throws shape_error [admn.top_l.logits] for another count,
// argument_error [admn.top_l.nan] for a NaN.
inline logit_scores layer_scores(std::span<const float> logits, std::span<const std::size_t> depths) {
  constexpr float forced_logit = -99.0f;
  const std::size_t total = std::accumulate(depths.begin(), depths.end(), std::size_t{0});
  if (logits.size() != total)
    throw shape_error("admn.top_l.logits", "expected " + std::to_string(total) + " layer logits, got " +
                                               std::to_string(logits.size()));
  logit_scores scores{};
  for (std::size_t i = 0; i < total; ++i) {
    // A NaN has no rank; sorting with it would be undefined behaviour.
    if (std::isnan(logits[i]))
      throw argument_error("admn.top_l.nan", "layer logit " + std::to_string(i) + " is NaN");
    scores[i] = logits[i];
  }
  for (std::size_t m = 0, offset = 0; m < depths.size(); offset += depths[m++]) scores[offset] = forced_logit;
  return scores;
}

// Stochastic inference (§4.7): scores[i] := (scores[i] + noise_scale·g_i) / temperature
// for i < total, g_i drawn from `rng` in index order.
inline void add_gumbel(logit_scores& scores, std::size_t total, gumbel_rng& rng, const gumbel_options& o) {
  for (std::size_t i = 0; i < total; ++i)
    scores[i] = (scores[i] + o.noise_scale * rng.gumbel()) / o.temperature;
}

// The indices 0 … total−1 whose first k are the k best scores, descending; equal
// scores keep the lower index first (torch.topk leaves ties unspecified).
inline std::array<std::uint16_t, max_logits> top_indices(const logit_scores& scores, std::size_t total,
                                                         std::size_t k) {
  std::array<std::uint16_t, max_logits> order{};
  std::iota(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(total), std::uint16_t{0});
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k),
                    order.begin() + static_cast<std::ptrdiff_t>(total),
                    [&](std::uint16_t a, std::uint16_t b) {
                      return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
                    });
  return order;
}

// Logit index i ↔ block l of modality m, i = d_0 + … + d_{m−1} + l; returns {m, l}.
inline std::pair<std::size_t, std::size_t> locate_block(std::span<const std::size_t> depths,
                                                        std::size_t index) {
  std::size_t m = 0;
  while (index >= depths[m]) index -= depths[m++];
  return {m, index};
}

}  // namespace detail

class top_l_selector {
 public:
  // Throws budget_error when L is outside [M, Σ depths], argument_error for
  // too many blocks in total.
  top_l_selector(std::span<const std::size_t> depths, std::size_t budget)
      : budget_(budget), count_(check_modality_count(depths.size())) {
    check_budget(budget, depths);
    for (std::size_t m = 0; m < count_; ++m) {
      depths_[m] = depths[m];
      total_ += depths[m];
    }
    detail::check_logit_count(total_);
  }

  [[nodiscard]] std::size_t budget() const noexcept { return budget_; }
  [[nodiscard]] std::size_t logit_count() const noexcept { return total_; }
  [[nodiscard]] std::span<const std::size_t> depths() const noexcept { return {depths_.data(), count_}; }

  // The deterministic selection of inference. logits: Σ depths values.
  [[nodiscard]] layer_plan select(std::span<const float> logits) const {
    return pick(detail::layer_scores(logits, depths()));
  }

  // Stochastic selection with Gumbel noise drawn from `rng`.
  [[nodiscard]] layer_plan sample(std::span<const float> logits, gumbel_rng& rng,
                                  const gumbel_options& o = {}) const {
    detail::logit_scores scores = detail::layer_scores(logits, depths());
    detail::add_gumbel(scores, total_, rng, o);
    return pick(scores);
  }

 private:
  [[nodiscard]] layer_plan pick(const detail::logit_scores& scores) const {
    const std::size_t k = budget_ - count_;
    const auto order = detail::top_indices(scores, total_, k);
    layer_plan plan(depths());
    for (std::size_t i = 0; i < k; ++i) {
      const auto [m, l] = detail::locate_block(depths(), order[i]);
      plan[m].keep(l);
    }
    for (std::size_t m = 0; m < count_; ++m) plan[m].keep(0);
    return plan;
  }

  std::array<std::size_t, max_modalities> depths_{};
  std::size_t budget_;
  std::size_t count_;
  std::size_t total_ = 0;
};

}  // namespace admn::adaptive
