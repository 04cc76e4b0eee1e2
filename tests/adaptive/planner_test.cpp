// The budget planner, the latency profile and its file.
#include <admn/adaptive/planner.hpp>
#include <admn/profiling/latency_profile.hpp>

#include "common/tiny_network.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>

namespace ad = admn::adaptive;

namespace {

// controller 5, a: embed 1 + 2 per block, b: embed 1 + 1 per block, 4 blocks each,
// fusion+head 3, overhead 0.5 → L = 2 costs 13.5; extra blocks go to `a` first (+2)
// for the upper bound, to `b` first (+1) for the lower bound.
ad::cost_table table() {
  ad::cost_table t;
  t.controller = 5;
  t.modalities = {{"a", 4, 1, 2}, {"b", 4, 1, 1}};
  t.fusion_head = 3;
  t.overhead = 0.5;
  return t;
}

admn::profiling::latency_profile sample_profile() {
  admn::profiling::latency_profile p;
  p.network = "net";
  p.machine = "cpu on host";
  p.hardware_threads = 2;
  p.threads = 2;
  p.measured_seconds = 1.5;
  p.ms = table();
  p.ms.overhead = -0.25;
  return p;
}

}  // namespace

TEST_CASE("budget costs bound the controller's split") {
  const ad::cost_table t = table();
  const double upper[] = {13.5, 15.5, 17.5, 19.5, 20.5, 21.5, 22.5};
  const double lower[] = {13.5, 14.5, 15.5, 16.5, 18.5, 20.5, 22.5};
  for (std::size_t l = 2; l <= 8; ++l) {
    CAPTURE(l);
    CHECK(t.budget_cost(l) == doctest::Approx(upper[l - 2]));
    CHECK(t.budget_cost(l, ad::bound::lower) == doctest::Approx(lower[l - 2]));
  }
  const std::vector<std::size_t> d{4, 4};
  CHECK(t.plan_cost(ad::layer_plan::parse("0,1;0", d)) == doctest::Approx(15.5));
  CHECK(t.plan_cost(ad::layer_plan::parse(";0", d)) == doctest::Approx(10.5));  // no embedding without blocks
  CHECK(t.plan_cost(ad::layer_plan::parse(";0", d), false) == doctest::Approx(5.5));
  CHECK_THROWS_AS((void)t.plan_cost(ad::layer_plan::parse("0", std::vector<std::size_t>{4})),
                  admn::argument_error);
}

TEST_CASE("the planner returns the largest L whose worst split fits") {
  const ad::cost_table t = table();
  CHECK(ad::plan_for_latency(t, 100).layers == 8);
  CHECK(ad::plan_for_latency(t, 22.5).layers == 8);
  CHECK(ad::plan_for_latency(t, 22.4).layers == 7);
  const ad::budget_choice c = ad::plan_for_latency(t, 20);
  CHECK(c.layers == 5);
  CHECK(c.predicted == doctest::Approx(19.5));
  CHECK(c.best_case == doctest::Approx(16.5));
  CHECK(ad::plan_for_latency(t, 13.5).layers == 2);
  CHECK_THROWS_WITH_AS((void)ad::plan_for_latency(t, 13.4),
                       doctest::Contains("[admn.budget.unreachable] no layer budget fits 13.4"),
                       admn::budget_error);
  CHECK_THROWS_WITH_AS((void)ad::plan_for_latency(t, 0), doctest::Contains("[admn.budget.limit]"),
                       admn::argument_error);
  CHECK_THROWS_AS((void)ad::plan_for_latency(t, -3), admn::argument_error);
  CHECK_THROWS_AS((void)ad::plan_for_latency(t, std::numeric_limits<double>::infinity()),
                  admn::argument_error);
}

TEST_CASE("a latency profile round-trips through its JSON file") {
  const admn::profiling::latency_profile p = sample_profile();
  const admn::profiling::latency_profile q = admn::profiling::latency_profile::from_json(p.to_json());
  CHECK(q.network == p.network);
  CHECK(q.machine == p.machine);
  CHECK(q.threads == 2);
  CHECK(q.batch == 1);
  CHECK(q.ms.controller == p.ms.controller);
  CHECK(q.ms.overhead == p.ms.overhead);
  REQUIRE(q.ms.modalities.size() == 2);
  CHECK(q.ms.modalities[1].name == "b");
  CHECK(q.ms.modalities[0].block == 2);
  const auto path =
      std::filesystem::temp_directory_path() / ("admn-profile-test-" + std::to_string(getpid())) / "p.json";
  std::filesystem::remove_all(path.parent_path());
  p.save(path);  // creates the directory
  CHECK(admn::profiling::latency_profile::load(path).to_json() == p.to_json());
  std::filesystem::remove_all(path.parent_path());
  CHECK_THROWS_WITH_AS((void)admn::profiling::latency_profile::load(path),
                       doctest::Contains("[admn.profile.io]"), admn::load_error);
}

TEST_CASE("bad profile files are rejected with their ids") {
  std::string good = sample_profile().to_json();
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  const std::pair<std::string, const char*> bad[] = {
      {"{", "[admn.profile.parse]"},
      {"[1, 2]", "[admn.profile.format]"},
      {replaced("admn.latency_profile", "something.else"), "[admn.profile.format]"},
      {replaced("\"version\": 1", "\"version\": 2"), "[admn.profile.format]"},
      {replaced("\"controller\": 5.0", "\"controller\": -1.0"), "[admn.profile.value]"},
      {replaced("\"controller\": 5.0", "\"controller\": \"fast\""), "[admn.profile.value]"},
      {replaced("\"controller\": 5.0", "\"controler\": 5.0"),
       "[admn.profile.parse] profile: field 'controller'"},
      {replaced("\"unit\": \"ms\"", "\"unit\": \"s\""), "[admn.profile.value]"},
      {replaced("\"threads\": 2", "\"threads\": -2"), "[admn.profile.value]"},
      {replaced("\"block\": 2.0", "\"block\": 1e300"), "[admn.profile.value]"},
      {replaced("\"modalities\": [", "\"modalities\": 3, \"x\": ["), "[admn.profile.value]"},
  };
  for (const auto& [text, id] : bad) {
    const auto& text_ = text;  // clang 14: no structured binding in a lambda
    CAPTURE(text_);
    CHECK_THROWS_WITH_AS((void)admn::profiling::latency_profile::from_json(text), doctest::Contains(id),
                         admn::format_error);
  }
}

TEST_CASE("profile() measures every part of a network and is checked against it") {
  const auto t = admn::test::make_tiny_network("planner-test");
  const admn::profiling::latency_profile p =
      admn::profiling::profile(t.net, 1, {.seconds_per_part = 0.01, .min_repeats = 3, .max_repeats = 20});
  CHECK(p.threads == 1);
  CHECK(p.batch == 1);
  CHECK(p.network == admn::profiling::network_signature(t.net));
  CHECK(p.network.find("cam:2x3x32x32 vit 48x6 tokens 17") != std::string::npos);
  CHECK(p.machine.find(" on ") != std::string::npos);
  CHECK(p.ms.controller > 0);
  CHECK(p.ms.fusion_head > 0);
  REQUIRE(p.ms.modalities.size() == 2);
  for (const auto& mod : p.ms.modalities) {
    CHECK(mod.depth == 6);
    CHECK(mod.embed > 0);
    CHECK(mod.block > 0);
  }
  CHECK(std::isfinite(p.ms.overhead));
  CHECK(p.measured_seconds > 0);
  // The prediction of the smallest plan is the measured run, by construction.
  const auto depths = t.net.depths();
  CHECK(p.ms.plan_cost(ad::layer_plan::parse("0;0", depths)) > 0);
  admn::profiling::check_profile(p, t.net, 1);
  admn::profiling::latency_profile other = p;
  other.threads = 99;
  CHECK_THROWS_WITH_AS(admn::profiling::check_profile(other, t.net, 1),
                       doctest::Contains("[admn.profile.threads]"), admn::argument_error);
  other = p;
  other.network = "another network";
  CHECK_THROWS_WITH_AS(admn::profiling::check_profile(other, t.net, 1),
                       doctest::Contains("[admn.profile.mismatch]"), admn::argument_error);
  CHECK_THROWS_WITH_AS(admn::profiling::check_profile(p, t.net, 1, 4),
                       doctest::Contains("[admn.profile.mismatch]"), admn::argument_error);
  // A larger budget is never predicted faster.
  for (std::size_t l = 3; l <= 12; ++l) CHECK(p.ms.budget_cost(l) >= p.ms.budget_cost(l - 1));
  CHECK_THROWS_AS((void)admn::profiling::profile(t.net, 1, {.batch = 0}), admn::argument_error);
}

TEST_CASE("the default profile cache is keyed by network, machine and threads") {
  const char* old = std::getenv("XDG_CACHE_HOME");
  const std::string saved = old ? old : "";
  setenv("XDG_CACHE_HOME", "/tmp/admn-cache-test", 1);
  const auto a = admn::profiling::default_profile_path("net A", 1),
             b = admn::profiling::default_profile_path("net B", 1),
             c = admn::profiling::default_profile_path("net A", 2);
  if (old)
    setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  else
    unsetenv("XDG_CACHE_HOME");
  REQUIRE(a);
  CHECK(a->string().rfind("/tmp/admn-cache-test/admn/profile-", 0) == 0);
  CHECK(a->string().find("-t1.json") != std::string::npos);
  CHECK(*a != *b);
  CHECK(*a != *c);
}
