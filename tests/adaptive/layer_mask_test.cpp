#include <admn/adaptive/budget.hpp>
#include <admn/adaptive/layer_mask.hpp>
#include <admn/adaptive/layer_plan.hpp>

#include <doctest/doctest.h>

#include <vector>

using admn::adaptive::layer_mask;
using admn::adaptive::layer_plan;

TEST_CASE("layer masks keep, drop, count and list blocks") {
  layer_mask m(12);
  CHECK(m.count() == 0);
  m.keep(0);
  m.keep(5);
  m.keep(11);
  CHECK(m.count() == 3);
  CHECK(m.kept(5));
  CHECK_FALSE(m.kept(4));
  CHECK_FALSE(m.kept(40));
  const auto blocks = m.blocks();
  CHECK(std::vector<std::size_t>(blocks.begin(), blocks.end()) == std::vector<std::size_t>{0, 5, 11});
  CHECK(m.to_string() == "100001000001");
  m.drop(5);
  CHECK(m.to_string() == "100000000001");
  CHECK(layer_mask::all(12).count() == 12);
  CHECK(layer_mask::all(64).count() == 64);
  CHECK(layer_mask::parse("0110") == [] {
    layer_mask x(4);
    x.keep(1);
    x.keep(2);
    return x;
  }());
}

TEST_CASE("layer mask misuse throws typed errors") {
  layer_mask m(12);
  CHECK_THROWS_WITH_AS(m.keep(12), doctest::Contains("[admn.mask.block] block 12 does not exist (depth 12)"),
                       admn::argument_error);
  CHECK_THROWS_WITH_AS(layer_mask(65), doctest::Contains("[admn.mask.depth]"), admn::argument_error);
  CHECK_THROWS_WITH_AS((void)layer_mask::parse("10a1"), doctest::Contains("'10a1'"), admn::argument_error);
}

TEST_CASE("layer plans parse and print the --plan text form") {
  const std::vector<std::size_t> depths{12, 12};
  const auto p = layer_plan::parse("0,1,2,5;0,3", depths);
  CHECK(p.modalities() == 2);
  CHECK(p[0].to_string() == "111001000000");
  CHECK(p[1].to_string() == "100100000000");
  CHECK(p.total_kept() == 6);
  CHECK(p.to_string() == "0,1,2,5;0,3");
  CHECK(layer_plan::parse(p.to_string(), depths) == p);
  CHECK(layer_plan::parse("all", depths).total_kept() == 24);
  CHECK(layer_plan::parse(";0", depths)[0].count() == 0);  // a whole backbone skipped
  for (const char* bad : {"0,1", "0;1;2", "0,,1;0", "x;0", "0,;0", "-1;0", "0;12"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS((void)layer_plan::parse(bad, depths), admn::argument_error);
  }
}

TEST_CASE("budget rules: M forced blocks up to the total") {
  const std::vector<std::size_t> depths{12, 12};
  CHECK_NOTHROW(admn::adaptive::check_budget(2, depths));
  CHECK_NOTHROW(admn::adaptive::check_budget(24, depths));
  CHECK_THROWS_WITH_AS(
      admn::adaptive::check_budget(1, depths),
      doctest::Contains("[admn.budget.too_small] budget L = 1 is below the 2 forced first blocks"),
      admn::budget_error);
  CHECK_THROWS_WITH_AS(admn::adaptive::check_budget(25, depths),
                       doctest::Contains("[admn.budget.too_large] budget L = 25 exceeds the 24 blocks"),
                       admn::budget_error);
}
