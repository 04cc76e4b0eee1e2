// The ranking both top-L selectors share (top_l.hpp, detail): forced first blocks,
// Gumbel noise, tie order, and the index ↔ block mapping.
#include <admn/adaptive/top_l.hpp>

#include "common/error_id.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

namespace ad = admn::adaptive;
namespace detail = admn::adaptive::detail;
using admn::test::error_id;

TEST_CASE("layer_scores copies the logits and forces each modality's block 0 to -99") {
  const std::vector<std::size_t> depths{3, 2, 4};
  const std::vector<float> logits{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const detail::logit_scores s = detail::layer_scores(logits, depths);
  const std::vector<float> expected{-99, 2, 3, -99, 5, -99, 7, 8, 9};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(s[i] == expected[i]);
  CHECK(s[9] == 0.0f);  // nothing past Σ depths

  const std::vector<float> short_logits(8, 0.0f);
  CHECK(error_id([&] { (void)detail::layer_scores(short_logits, depths); }) == "admn.top_l.logits");
  std::vector<float> with_nan = logits;
  with_nan[4] = std::numeric_limits<float>::quiet_NaN();
  CHECK(error_id([&] { (void)detail::layer_scores(with_nan, depths); }) == "admn.top_l.nan");
  with_nan[4] = 0.0f;
  with_nan[0] = std::numeric_limits<float>::quiet_NaN();  // even where -99 would overwrite it
  CHECK(error_id([&] { (void)detail::layer_scores(with_nan, depths); }) == "admn.top_l.nan");
}

TEST_CASE("add_gumbel draws one value per score in index order") {
  detail::logit_scores a{}, b{};
  a[0] = b[0] = 1.0f;
  a[1] = b[1] = -2.0f;
  ad::gumbel_rng rng(7), same(7);
  detail::add_gumbel(a, 2, rng, {.noise_scale = 0.5f, .temperature = 2.0f});
  const float g0 = same.gumbel(), g1 = same.gumbel();
  CHECK(a[0] == doctest::Approx((b[0] + 0.5f * g0) / 2.0f));
  CHECK(a[1] == doctest::Approx((b[1] + 0.5f * g1) / 2.0f));
  CHECK(a[2] == 0.0f);  // past `total`: untouched
}

TEST_CASE("top_indices sorts the best k first, the lower index first on ties") {
  detail::logit_scores s{};
  const std::vector<float> v{0.5f, 2.0f, 2.0f, -1.0f, 2.0f, 3.0f};
  for (std::size_t i = 0; i < v.size(); ++i) s[i] = v[i];
  const auto order = detail::top_indices(s, v.size(), 4);
  CHECK(order[0] == 5);
  CHECK(order[1] == 1);
  CHECK(order[2] == 2);
  CHECK(order[3] == 4);
  const auto none = detail::top_indices(s, v.size(), 0);  // k = 0: a permutation, nothing ranked
  std::vector<bool> seen(v.size(), false);
  for (std::size_t i = 0; i < v.size(); ++i) seen[none[i]] = true;
  for (const bool b : seen) CHECK(b);
}

TEST_CASE("locate_block maps a joint logit index to (modality, block)") {
  const std::vector<std::size_t> depths{3, 0, 2, 4};
  using p = std::pair<std::size_t, std::size_t>;
  CHECK(detail::locate_block(depths, 0) == p{0, 0});
  CHECK(detail::locate_block(depths, 2) == p{0, 2});
  CHECK(detail::locate_block(depths, 3) == p{2, 0});  // an empty modality owns no index
  CHECK(detail::locate_block(depths, 4) == p{2, 1});
  CHECK(detail::locate_block(depths, 8) == p{3, 3});
}

TEST_CASE("check_logit_count caps Σ depths") {
  CHECK(error_id([] { detail::check_logit_count(detail::max_logits); }) == "none");
  CHECK(error_id([] { detail::check_logit_count(detail::max_logits + 1); }) == "admn.plan.blocks");
}
