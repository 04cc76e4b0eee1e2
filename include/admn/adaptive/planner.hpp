// admn/adaptive/planner.hpp — from "I have 40 ms" (or "30 GMAC") to a layer budget L.
//
// Given a cost table in any unit (a latency_profile's milliseconds, or MACs from
// cost.hpp) and a limit in that unit, the planner returns the largest L, M ≤ L ≤ Σ d_m,
// whose predicted cost fits:
//   L* = max { L : cost(L) ≤ limit },  cost(L) = cost_table::budget_cost(L, bound::upper)
// cost(L) is the controller + every modality's patch embedding and first block + the
// L − M extra blocks placed on the most expensive modalities first (the controller
// decides the real split per input, so the planner assumes the worst one) + fusion,
// head and overhead. cost(L) does not decrease with L (block costs are ≥ 0), so
// scanning L downwards from Σ d_m finds L*. For networks whose modalities have equal
// block costs (GTDM, MMFI) the bound is exact; for AVE it is the image-heavy split.
#pragma once

#include <admn/adaptive/cost.hpp>
#include <admn/error.hpp>

#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

namespace admn::adaptive {

struct budget_choice {
  std::size_t layers = 0;  // L*
  double predicted = 0.0;  // cost(L*), upper bound over the controller's splits
  double best_case = 0.0;  // the cheapest split of L* (bound::lower)
};

// Throws argument_error [admn.budget.limit] for a limit that is not a positive finite
// number, budget_error [admn.budget.unreachable] when even L = M does not fit (the
// message gives the smallest possible cost).
[[nodiscard]] inline budget_choice largest_budget(const cost_table& table, double limit,
                                                  std::string_view unit = "") {
  if (!(limit > 0.0) || !std::isfinite(limit))
    throw argument_error("admn.budget.limit",
                         "the budget must be a positive number, got " + std::to_string(limit));
  const std::vector<std::size_t> depths = table.depths();
  const std::size_t smallest = depths.size();
  const std::size_t largest = std::accumulate(depths.begin(), depths.end(), std::size_t{0});
  for (std::size_t layers = largest; layers >= smallest && layers > 0; --layers) {
    const double cost = table.budget_cost(layers, bound::upper);
    if (cost <= limit) return {layers, cost, table.budget_cost(layers, bound::lower)};
  }
  const double minimum = smallest > 0 ? table.budget_cost(smallest, bound::upper) : 0.0;
  throw budget_error("admn.budget.unreachable",
                     "no layer budget fits " + std::to_string(limit) + " " + std::string(unit) +
                         ": the smallest (L = " + std::to_string(smallest) + ") is predicted at " +
                         std::to_string(minimum) + " " + std::string(unit));
}

// A latency budget in ms against a profile's table (profile.hpp: profile.ms).
[[nodiscard]] inline budget_choice plan_for_latency(const cost_table& milliseconds, double budget_ms) {
  return largest_budget(milliseconds, budget_ms, "ms");
}

// A MAC budget against macs_table(shape) or macs_table_of(net).
[[nodiscard]] inline budget_choice plan_for_macs(const cost_table& macs, double budget_macs) {
  return largest_budget(macs, budget_macs, "MAC");
}

}  // namespace admn::adaptive
