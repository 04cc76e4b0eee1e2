// admn/adaptive/budget.hpp — the layer budget L and its rules.
//
// L counts the kept blocks summed over all modalities, including each modality's
// always-kept first block (docs/numerics.md §1, §4.6). Valid budgets: M ≤ L ≤ Σ depth_m
// (M modalities). ADMN's own code accepts 2 ≤ L ≤ 26 for two 12-block backbones
// (L = 25, 26 silently keep all 24); admn rejects anything that cannot keep
// exactly L blocks.
#pragma once

#include <admn/error.hpp>

#include <cstddef>
#include <numeric>
#include <span>
#include <string>

namespace admn::adaptive {

// Throws budget_error [admn.budget.too_small] / [admn.budget.too_large].
inline void check_budget(std::size_t layers, std::span<const std::size_t> depths) {
  const std::size_t forced = depths.size();
  const std::size_t total = std::accumulate(depths.begin(), depths.end(), std::size_t{0});
  if (layers < forced)
    throw budget_error("admn.budget.too_small", "budget L = " + std::to_string(layers) + " is below the " +
                                                    std::to_string(forced) +
                                                    " forced first blocks (one per modality)");
  if (layers > total)
    throw budget_error("admn.budget.too_large", "budget L = " + std::to_string(layers) + " exceeds the " +
                                                    std::to_string(total) + " blocks of all backbones");
}

}  // namespace admn::adaptive
