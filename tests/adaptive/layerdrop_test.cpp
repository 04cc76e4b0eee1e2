// The LayerDrop sampler against ADMN's stage-1 rules (docs/numerics.md §3), statistically.
//
// Tolerances: every rate is checked to within 5 standard errors of its expected value
// under the rule being tested (the sampler is seeded, so each check is deterministic;
// 5σ means a correct sampler would fail a fresh seed with probability < 6·10⁻⁷ per
// check, while the bugs that matter — p and 1 − p swapped, a dropout rate of 0.08 or
// 0.12, masks shared between modalities, block 0 forced — move a rate by 7σ to 300σ).
#include <admn/adaptive/layerdrop.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

namespace ad = admn::adaptive;

namespace {

constexpr std::size_t draws = 20000;
const std::vector<std::size_t> depths{12, 12};

bool only_first(const ad::layer_mask& m) { return m.count() == 1 && m.kept(0); }

double binomial_pmf(std::size_t n, std::size_t k, double p) {
  return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * std::log(p) +
                  (n - k) * std::log1p(-p));
}

}  // namespace

TEST_CASE("LayerDrop keeps each block with probability 1 − p and drops whole modalities 10% of the time") {
  const double p = 0.2, q = 0.1;
  ad::layerdrop_sampler sampler(depths, {.rate = p, .modality_dropout = q}, 2024);
  std::size_t only_first_count = 0, both_dropped = 0, first_kept = 0;
  double later_kept = 0;  // blocks 1 … 11 kept, over all masks
  std::array<std::size_t, 13> by_count{};
  const std::size_t masks = draws * depths.size();
  for (std::size_t i = 0; i < draws; ++i) {
    const ad::layer_plan plan = sampler.next();
    REQUIRE(plan.modalities() == 2);
    for (std::size_t m = 0; m < 2; ++m) {
      only_first_count += only_first(plan[m]) ? 1 : 0;
      first_kept += plan[m].kept(0) ? 1 : 0;
      later_kept += static_cast<double>(plan[m].count() - (plan[m].kept(0) ? 1 : 0));
      ++by_count[plan[m].count()];
    }
    both_dropped += only_first(plan[0]) && only_first(plan[1]) ? 1 : 0;
  }
  const double n = static_cast<double>(masks);

  // P(mask = {0}) = q + (1 − q)(1 − p)p¹¹ (a random mask can also be {0}; 1.6e-8 here).
  const double dropout = q + (1 - q) * (1 - p) * std::pow(p, 11);
  CHECK(std::abs(only_first_count / n - dropout) < 5 * std::sqrt(dropout * (1 - dropout) / n));

  // Block 0: kept by the random part (1 − p) unless dropped out, always by the dropout.
  const double first = (1 - q) * (1 - p) + q;
  CHECK(std::abs(first_kept / n - first) < 5 * std::sqrt(first * (1 - first) / n));

  // Blocks 1 … 11: S = kept count per mask is 0 w.p. q, else Binomial(11, 1 − p);
  // the 11 blocks of one mask are not independent, so the error uses Var(S).
  const double es = (1 - q) * 11 * (1 - p);
  const double es2 = (1 - q) * (11 * p * (1 - p) + 121 * (1 - p) * (1 - p));
  CHECK(std::abs(later_kept / (11 * n) - (1 - q) * (1 - p)) < 5 * std::sqrt((es2 - es * es) / n) / 11);

  // The two modalities draw independently: both dropped out with probability ≈ q².
  const double both = dropout * dropout;
  CHECK(std::abs(both_dropped / double(draws) - both) < 5 * std::sqrt(both * (1 - both) / draws));

  // The kept count per mask follows (1 − q)·Binomial(12, 1 − p) + q·δ₁: Pearson χ² over
  // the bins {1}, {0, 2 … 6}, 7, …, 12 (7 degrees of freedom; every expected count ≥ 600).
  // 40.5 is the 1 − 10⁻⁶ quantile of χ²₇.
  std::array<double, 8> observed{}, expected{};
  for (std::size_t c = 0; c <= 12; ++c) {
    const std::size_t bin = c == 1 ? 0 : c <= 6 ? 1 : c - 5;
    observed[bin] += static_cast<double>(by_count[c]);
    expected[bin] += n * ((1 - q) * binomial_pmf(12, c, 1 - p) + (c == 1 ? q : 0.0));
  }
  double chi2 = 0;
  for (std::size_t b = 0; b < 8; ++b) {
    CHECK(expected[b] > 500);
    chi2 += (observed[b] - expected[b]) * (observed[b] - expected[b]) / expected[b];
  }
  CAPTURE(chi2);
  CHECK(chi2 < 40.5);
}

TEST_CASE("LayerDrop's blocks are independent of each other") {
  // Joint keep rate of blocks 3 and 7 outside modality dropout: (1 − p)², with p = 0.5
  // where a correlation would show most.
  const double p = 0.5;
  ad::layerdrop_sampler sampler(depths, {.rate = p, .modality_dropout = 0.0}, 99);
  std::size_t both = 0, first = 0;
  for (std::size_t i = 0; i < draws; ++i) {
    const ad::layer_plan plan = sampler.next();
    both += plan[0].kept(3) && plan[0].kept(7) ? 1 : 0;
    first += plan[0].kept(0) ? 1 : 0;
  }
  const double expected = (1 - p) * (1 - p);
  CHECK(std::abs(both / double(draws) - expected) < 5 * std::sqrt(expected * (1 - expected) / draws));
  // Without modality dropout nothing forces block 0 (docs/numerics.md §9.5).
  CHECK(std::abs(first / double(draws) - (1 - p)) < 5 * std::sqrt(p * (1 - p) / draws));
}

TEST_CASE("LayerDrop is seeded and reproducible") {
  ad::layerdrop_sampler a(depths, {}, 7), b(depths, {}, 7), c(depths, {}, 8);
  std::size_t differ = 0;
  for (int i = 0; i < 100; ++i) {
    const auto pa = a.next(), pb = b.next(), pc = c.next();
    CHECK(pa == pb);
    differ += pa == pc ? 0 : 1;
  }
  CHECK(differ > 90);
  // A fixed stream: the first plans of seed 7 (guards against silent changes of the
  // generator or of the draw order, which would change every training run).
  ad::layerdrop_sampler fixed(depths, {}, 7);
  CHECK(fixed.next().to_string() == "0,2,3,4,5,6,7,9,11;0,1,2,3,4,5,6,7,9,10,11");
  // One plan per batch, shared by all of its samples.
  const auto batch = ad::layerdrop_sampler(depths, {}, 3).next_batch(4);
  REQUIRE(batch.size() == 4);
  for (const auto& plan : batch) CHECK(plan == batch[0]);
}

TEST_CASE("LayerDrop extremes and per-modality rates") {
  // p = 0: every block; p = 1: none; without modality dropout.
  ad::layerdrop_sampler rates(depths, std::vector<double>{0.0, 1.0}, 0.0, 5);
  for (int i = 0; i < 200; ++i) {
    const auto plan = rates.next();
    CHECK(plan[0].count() == 12);
    CHECK(plan[1].count() == 0);
  }
  // Modality dropout 1: always only block 0.
  ad::layerdrop_sampler always(depths, {.rate = 0.0, .modality_dropout = 1.0}, 5);
  for (int i = 0; i < 50; ++i) CHECK(always.next().to_string() == "0;0");
}

TEST_CASE("LayerDrop rejects rates that are not probabilities") {
  CHECK_THROWS_WITH_AS(ad::layerdrop_sampler(depths, {.rate = 1.5}, 1),
                       doctest::Contains("[admn.plan.layerdrop]"), admn::argument_error);
  CHECK_THROWS_AS(ad::layerdrop_sampler(depths, {.rate = std::nan("")}, 1), admn::argument_error);
  CHECK_THROWS_AS(ad::layerdrop_sampler(depths, {.modality_dropout = -0.1}, 1), admn::argument_error);
  CHECK_THROWS_WITH_AS(ad::layerdrop_sampler(depths, std::vector<double>{0.1}, 0.1, 1),
                       doctest::Contains("1 drop rates for 2 modalities"), admn::argument_error);
  const std::vector<std::size_t> too_many(9, 12);
  CHECK_THROWS_WITH_AS(ad::layerdrop_sampler(too_many, {}, 1), doctest::Contains("[admn.plan.modalities]"),
                       admn::argument_error);
}

TEST_CASE("ADMN's LayerDrop schedule") {
  // GTDM / MMFI: +0.1 at epochs 9, 19, …, capped at 0.2.
  for (std::size_t e = 0; e <= 8; ++e) CHECK(ad::layerdrop_rate(e, 10, 0.2) == 0.0);
  for (std::size_t e = 9; e <= 18; ++e) CHECK(ad::layerdrop_rate(e, 10, 0.2) == doctest::Approx(0.1));
  for (std::size_t e = 19; e < 200; ++e) CHECK(ad::layerdrop_rate(e, 10, 0.2) == doctest::Approx(0.2));
  // AVE: +0.1 at every odd epoch, capped at 0.4.
  CHECK(ad::layerdrop_rate(0, 2, 0.4) == 0.0);
  CHECK(ad::layerdrop_rate(1, 2, 0.4) == doctest::Approx(0.1));
  CHECK(ad::layerdrop_rate(4, 2, 0.4) == doctest::Approx(0.2));
  CHECK(ad::layerdrop_rate(5, 2, 0.4) == doctest::Approx(0.3));
  CHECK(ad::layerdrop_rate(7, 2, 0.4) == doctest::Approx(0.4));
  CHECK(ad::layerdrop_rate(150, 2, 0.4) == doctest::Approx(0.4));
  CHECK_THROWS_AS((void)ad::layerdrop_rate(3, 0, 0.2), admn::argument_error);
}
