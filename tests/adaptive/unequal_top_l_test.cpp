// Unequal-cost top-L (docs/numerics.md §4.10) against a line-by-line scalar transliteration
// of ADMN's get_top_k_unequal (AVE_Custom/models/layer_controller.py).
#include <admn/adaptive/top_l.hpp>
#include <admn/adaptive/unequal_top_l.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace ad = admn::adaptive;

namespace {

const std::vector<std::size_t> ave_depths{12, 12};
const std::vector<std::size_t> ave_costs{3, 1};  // image block 3, audio block 1

// ConvLayerControllerUnequal.forward at eval + get_top_k_unequal, for one sample:
//   logits[0] = logits[12] = -99; additional_layers = total_layers - 4
//   budget_max = k; k = min(k, 24); idx = topk(x, k) (descending; ties: lower index first)
//   for i in range(k):
//     if budget_count <= budget_max - 3: budget_count += 3 if idx[i] < 12 else 1
//     elif budget_count < budget_max and idx[i] >= 12: budget_count += 1
//     else: idx[i] = 0
//   mask = zeros.scatter_(idx, 1); mask[:, :, 0] = 1
std::vector<int> admn_reference(std::vector<float> x, int total_layers) {
  x[0] = -99.0f;
  x[12] = -99.0f;
  const int budget_max = total_layers - 4;
  const int k = std::min(budget_max, 24);
  std::vector<int> order(24);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return x[a] != x[b] ? x[a] > x[b] : a < b; });
  std::vector<int> idx(order.begin(), order.begin() + k);
  int budget_count = 0;
  for (int i = 0; i < k; ++i) {
    if (budget_count <= budget_max - 3)
      budget_count += idx[i] < 12 ? 3 : 1;
    else if (budget_count < budget_max && idx[i] >= 12)
      budget_count += 1;
    else
      idx[i] = 0;
  }
  std::vector<int> mask(24, 0);
  for (const int i : idx) mask[i] = 1;
  mask[0] = 1;
  mask[12] = 1;
  return mask;
}

std::vector<int> as_vector(const ad::layer_plan& p) {
  std::vector<int> out;
  for (std::size_t m = 0; m < 2; ++m)
    for (std::size_t l = 0; l < 12; ++l) out.push_back(p[m].kept(l) ? 1 : 0);
  return out;
}

}  // namespace

TEST_CASE("unequal top-L walks the spec's example exactly") {
  // Budget 10 → k = 6. Descending: image 3 (cost 3), audio 2 (4), image 5 (4 > 6 − 3:
  // rejected), audio 3 (5), image 7 (rejected), audio 4 (6); the walk stops after 6
  // indices, so audio 5 (rank 7) is not reached although it would fit nothing anyway.
  std::vector<float> logits(24, -1.0f);
  logits[3] = 9;
  logits[12 + 2] = 8;
  logits[5] = 7;
  logits[12 + 3] = 6;
  logits[7] = 5;
  logits[12 + 4] = 4;
  logits[12 + 5] = 3;
  const ad::unequal_top_l_selector s(ave_depths, ave_costs, 10);
  const auto plan = s.select(logits);
  CHECK(plan[0].to_string() == "100100000000");
  CHECK(plan[1].to_string() == "101110000000");
  CHECK(s.cost(plan) == 10);
  CHECK(as_vector(plan) == admn_reference(logits, 10));
}

TEST_CASE("unequal top-L equals ADMN's get_top_k_unequal on random logits") {
  std::size_t differing_from_plain = 0;
  for (unsigned seed = 0; seed < 400; ++seed) {
    std::vector<float> logits = admn::test::uniform(24, -1.0f, 1.0f, seed);
    // Every 7th case: some logits below the forced −99, so the forced blocks enter
    // the walk and are charged, as in the reference.
    if (seed % 7 == 0)
      for (std::size_t i = 1; i < 24; i += 3) logits[i] = -150.0f - static_cast<float>(i);
    for (std::size_t total = 4; total <= 48; ++total) {
      CAPTURE(seed);
      CAPTURE(total);
      const ad::unequal_top_l_selector s(ave_depths, ave_costs, total);
      const auto plan = s.select(logits);
      REQUIRE(as_vector(plan) == admn_reference(logits, static_cast<int>(total)));
      CHECK(s.cost(plan) <= total);
      if (total <= 24)
        differing_from_plain += plan == ad::top_l_selector(ave_depths, total).select(logits) ? 0 : 1;
    }
  }
  // The costs matter: the plans differ from plain top-L with the same number.
  CHECK(differing_from_plain > 1000);
}

TEST_CASE("unequal top-L with unit costs is plain top-L") {
  const std::vector<std::size_t> unit{1, 1};
  for (unsigned seed = 0; seed < 200; ++seed) {
    const std::vector<float> logits = admn::test::uniform(24, -2.0f, 2.0f, 1000 + seed);
    for (std::size_t budget = 2; budget <= 24; ++budget)
      CHECK(ad::unequal_top_l_selector(ave_depths, unit, budget).select(logits) ==
            ad::top_l_selector(ave_depths, budget).select(logits));
  }
}

TEST_CASE("unequal top-L generalises to M modalities with integer costs") {
  const std::vector<std::size_t> d3{4, 6, 5}, c3{5, 2, 3};
  // Budget 20, forced 5 + 2 + 3 → k = 10, window min(10, 15) = 10. Descending:
  // m0 b1 (5 → 5), m1 b1 (2 → 7), m2 b1 (3 → 10), then m0 b2, m1 b2, … no longer fit.
  std::vector<float> logits(15, 0.0f);
  for (std::size_t i = 0; i < 15; ++i) logits[i] = -static_cast<float>(i);
  logits[1] = 9;
  logits[5] = 8;
  logits[11] = 7;
  logits[2] = 6;
  logits[6] = 5;
  const ad::unequal_top_l_selector s(d3, c3, 20);
  const auto plan = s.select(logits);
  CHECK(plan.to_string() == "0,1;0,1;0,1");
  CHECK(s.cost(plan) == 20);
  for (unsigned seed = 0; seed < 100; ++seed) {
    const std::vector<float> random = admn::test::uniform(15, -1.0f, 1.0f, 7000 + seed);
    for (std::size_t budget = 10; budget <= 5 * 4 + 2 * 6 + 3 * 5; ++budget) {
      const ad::unequal_top_l_selector r(d3, c3, budget);
      const auto p = r.select(random);
      CHECK(r.cost(p) <= budget);
      for (std::size_t m = 0; m < 3; ++m) CHECK(p[m].kept(0));
    }
  }
}

TEST_CASE("unequal top-L rejects bad costs, budgets and logits") {
  CHECK_THROWS_WITH_AS(ad::unequal_top_l_selector(ave_depths, ave_costs, 3),
                       doctest::Contains("[admn.budget.too_small]"), admn::budget_error);
  CHECK_THROWS_WITH_AS(ad::unequal_top_l_selector(ave_depths, ave_costs, 49),
                       doctest::Contains("[admn.budget.too_large]"), admn::budget_error);
  CHECK_THROWS_WITH_AS(ad::unequal_top_l_selector(ave_depths, std::vector<std::size_t>{3}, 10),
                       doctest::Contains("[admn.plan.costs]"), admn::argument_error);
  CHECK_THROWS_WITH_AS(ad::unequal_top_l_selector(ave_depths, std::vector<std::size_t>{3, 0}, 10),
                       doctest::Contains("[admn.plan.costs]"), admn::argument_error);
  const ad::unequal_top_l_selector s(ave_depths, ave_costs, 12);
  CHECK_THROWS_AS((void)s.select(std::vector<float>(23)), admn::shape_error);
  std::vector<float> nan(24, 0.0f);
  nan[5] = std::nanf("");
  CHECK_THROWS_WITH_AS((void)s.select(nan), doctest::Contains("[admn.top_l.nan]"), admn::argument_error);
  // Gumbel sampling is reproducible and stays within the budget.
  const std::vector<float> logits(24, 0.0f);
  ad::gumbel_rng a(3), b(3);
  const auto pa = s.sample(logits, a), pb = s.sample(logits, b);
  CHECK(pa == pb);
  CHECK(s.cost(pa) <= 12);
}
