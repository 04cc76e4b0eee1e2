#include <admn/adaptive/top_l.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using admn::adaptive::top_l_selector;

TEST_CASE("top-L keeps exactly L blocks with every first block forced") {
  const std::vector<std::size_t> depths{12, 12};
  std::vector<float> logits(24);
  for (std::size_t i = 0; i < 24; ++i) logits[i] = std::sin(static_cast<float>(i) * 1.7f);
  for (std::size_t budget = 2; budget <= 24; ++budget) {
    CAPTURE(budget);
    const auto plan = top_l_selector(depths, budget).select(logits);
    CHECK(plan.total_kept() == budget);
    CHECK(plan[0].kept(0));
    CHECK(plan[1].kept(0));
  }
}

TEST_CASE("top-L is joint over modalities and follows the logits") {
  const std::vector<std::size_t> depths{4, 4};
  // Modality 1 has all the high logits: the extra blocks all go there.
  const std::vector<float> logits{5, 0.1f, 0.2f, 0.3f, 9, 3, 2, 1};
  const auto plan = top_l_selector(depths, 5).select(logits);
  CHECK(plan[0].to_string() == "1000");
  CHECK(plan[1].to_string() == "1111");
  const auto smaller = top_l_selector(depths, 3).select(logits);
  CHECK(smaller[1].to_string() == "1100");
  CHECK(smaller[0].to_string() == "1000");
}

TEST_CASE("ties go to the lower index") {
  const std::vector<std::size_t> depths{3, 3};
  const std::vector<float> logits{0, 1, 1, 0, 1, 1};
  const auto plan = top_l_selector(depths, 4).select(logits);
  CHECK(plan[0].to_string() == "111");
  CHECK(plan[1].to_string() == "100");
}

TEST_CASE("the forced −99 of the reference can win over lower logits") {
  // torch.topk on [−99, −200, −300; −99, −150, −400] with k = 1 picks index 0 or 3
  // (both −99): the forced block, so only M blocks end up kept. admn reproduces it.
  const std::vector<std::size_t> depths{3, 3};
  const std::vector<float> logits{0, -200, -300, 0, -150, -400};
  const auto plan = top_l_selector(depths, 3).select(logits);
  CHECK(plan.total_kept() == 2);
}

TEST_CASE("bad logits and budgets are rejected") {
  const std::vector<std::size_t> depths{12, 12};
  CHECK_THROWS_AS(top_l_selector(depths, 1), admn::budget_error);
  CHECK_THROWS_AS(top_l_selector(depths, 25), admn::budget_error);
  const top_l_selector s(depths, 8);
  CHECK_THROWS_WITH_AS((void)s.select(std::vector<float>(23)),
                       doctest::Contains("expected 24 layer logits, got 23"), admn::shape_error);
  std::vector<float> nan(24, 0.0f);
  nan[7] = std::nanf("");
  CHECK_THROWS_WITH_AS((void)s.select(nan), doctest::Contains("[admn.top_l.nan] layer logit 7"),
                       admn::argument_error);
}

TEST_CASE("Gumbel sampling is seeded, reproducible and keeps the budget") {
  const std::vector<std::size_t> depths{12, 12};
  std::vector<float> logits(24, 0.0f);
  const top_l_selector s(depths, 8);
  admn::adaptive::gumbel_rng a(42), b(42), c(43);
  const auto pa = s.sample(logits, a), pb = s.sample(logits, b), pc = s.sample(logits, c);
  CHECK(pa == pb);
  CHECK(pa.total_kept() == 8);
  // With equal logits, the noise alone decides: different seeds differ (for these seeds).
  CHECK_FALSE(pa == pc);
  // Strongly separated logits survive the 0.1-scaled noise.
  std::vector<float> clear(24, -5.0f);
  for (std::size_t i : {1u, 2u, 3u, 13u, 14u, 15u}) clear[i] = 5.0f;
  admn::adaptive::gumbel_rng r(7);
  for (int i = 0; i < 20; ++i) CHECK(s.sample(clear, r) == s.select(clear));
}

TEST_CASE("Gumbel noise has the standard Gumbel mean (Euler's gamma)") {
  admn::adaptive::gumbel_rng r(1);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += r.gumbel();
  CHECK(sum / n == doctest::Approx(0.5772).epsilon(0.01));
}
