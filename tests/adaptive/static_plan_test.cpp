// Static plans: all, first-n, every-other (LayerDrop pruning), explicit; the --plan text.
#include <admn/adaptive/static_plan.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace ad = admn::adaptive;

namespace {
const std::vector<std::size_t> two_vit_b_depths{12, 12};
}

TEST_CASE("every-other keeps layers at regular intervals, block 0 first") {
  CHECK(ad::every_other_mask(12, 6).to_string() == "101010101010");  // 0,2,4,6,8,10
  CHECK(ad::every_other_mask(12, 8).to_string() == "110110110110");  // 0,1,3,4,6,7,9,10
  CHECK(ad::every_other_mask(12, 9).to_string() == "111011101110");
  CHECK(ad::every_other_mask(12, 4).to_string() == "100100100100");
  CHECK(ad::every_other_mask(12, 3).to_string() == "100010001000");
  CHECK(ad::every_other_mask(12, 1).to_string() == "100000000000");
  CHECK(ad::every_other_mask(12, 0).to_string() == "000000000000");
  CHECK(ad::every_other_mask(12, 12).to_string() == "111111111111");
  CHECK(ad::every_other_mask(12, 7).to_string() == "110101101010");  // ⌊12i/7⌋ = 0,1,3,5,6,8,10
  CHECK_THROWS_WITH_AS((void)ad::every_other_mask(12, 13), doctest::Contains("[admn.plan.depth]"),
                       admn::budget_error);
}

TEST_CASE("every-other: exactly t blocks, even gaps, and Fan et al.'s rule where it is exact") {
  for (std::size_t d = 1; d <= 64; ++d)
    for (std::size_t t = 0; t <= d; ++t) {
      CAPTURE(d);
      CAPTURE(t);
      const ad::layer_mask m = ad::every_other_mask(d, t);
      REQUIRE(m.count() == t);
      if (t == 0) continue;
      CHECK(m.kept(0));
      // Gaps between kept blocks (and from the last one around to d) are ⌊d/t⌋ or ⌈d/t⌉.
      const auto blocks = m.blocks();
      for (std::size_t i = 0; i < t; ++i) {
        const std::size_t next = i + 1 < t ? blocks[i + 1] : d;
        const std::size_t gap = next - blocks[i];
        CHECK((gap == d / t || gap == (d + t - 1) / t));
      }
      // The paper prunes the layers whose 1-based depth is ≡ 0 (mod ⌊1/p⌋), p = r/d.
      // When r = d − t divides d that prunes exactly r layers; it must match.
      const std::size_t r = d - t;
      if (r == 0 || d % r != 0) continue;
      const std::size_t q = d / r;
      for (std::size_t l = 0; l < d; ++l) CHECK(m.kept(l) == ((l + 1) % q != 0));
    }
}

TEST_CASE("first-n keeps the first blocks") {
  CHECK(ad::first_mask(12, 4).to_string() == "111100000000");
  CHECK(ad::first_mask(12, 0).count() == 0);
  CHECK(ad::first_mask(12, 12).count() == 12);
  CHECK_THROWS_AS((void)ad::first_mask(12, 13), admn::budget_error);
}

TEST_CASE("the --plan text form parses, resolves and prints back") {
  const std::pair<const char*, const char*> cases[] = {
      {"all", "0,1,2,3,4,5,6,7,8,9,10,11;0,1,2,3,4,5,6,7,8,9,10,11"},
      {"first:4", "0,1,2,3;0,1,2,3"},
      {"first:4,2", "0,1,2,3;0,1"},
      {"first:0,12", ";0,1,2,3,4,5,6,7,8,9,10,11"},
      {"every-other:6", "0,2,4,6,8,10;0,2,4,6,8,10"},
      {"every-other:6,3", "0,2,4,6,8,10;0,4,8"},
      {"0,1,2,5;0,3", "0,1,2,5;0,3"},
      {"0;", "0;"},
  };
  for (const auto& [text, resolved] : cases) {
    const auto& text_ = text;  // clang 14: no structured binding in a lambda
    CAPTURE(text_);
    const ad::static_plan p = ad::static_plan::parse(text);
    CHECK(p.to_string() == text);
    CHECK(ad::static_plan::parse(p.to_string()) == p);
    const ad::layer_plan plan = p.resolve(two_vit_b_depths);
    CHECK(plan.to_string() == resolved);
    CHECK(ad::parse_plan(text, two_vit_b_depths) == plan);
    // layer_plan prints the explicit form, which parses back to the same plan.
    CHECK(ad::parse_plan(plan.to_string(), two_vit_b_depths) == plan);
    CHECK(ad::layer_plan::parse(plan.to_string(), two_vit_b_depths) == plan);
  }
  // Explicit lists print in block order.
  CHECK(ad::static_plan::parse("5,1,3;2").to_string() == "1,3,5;2");
  CHECK(ad::static_plan::parse("first:3").type() == ad::static_plan::kind::first);
  CHECK(ad::static_plan::parse("0;1").type() == ad::static_plan::kind::explicit_blocks);
  // Builders and parse agree.
  const std::vector<std::size_t> targets{6, 3};
  CHECK(ad::static_plan::every_other(targets) == ad::static_plan::parse("every-other:6,3"));
  CHECK(ad::static_plan::first(std::vector<std::size_t>{4}) == ad::static_plan::parse("first:4"));
  CHECK(ad::static_plan::explicit_plan(ad::layer_plan::parse("0,1;0,3", two_vit_b_depths)).to_string() ==
        "0,1;0,3");
  CHECK(ad::static_plan::all().resolve(two_vit_b_depths) == ad::layer_plan::all(two_vit_b_depths));
}

TEST_CASE("bad --plan texts are rejected with their ids") {
  const std::pair<const char*, const char*> syntax[] = {
      {"first:", "[admn.plan.parse]"},   {"first:x", "[admn.plan.parse]"},
      {"first:4,", "[admn.plan.parse]"}, {"every-other:-1", "[admn.plan.parse]"},
      {"top:3", "[admn.plan.parse]"},    {"0,,1", "[admn.plan.parse]"},
      {"0,1,", "[admn.plan.parse]"},     {"0;a", "[admn.plan.parse]"},
      {"64", "[admn.mask.block]"},       {"first:1,1,1,1,1,1,1,1,1", "[admn.plan.parse]"},
      {"ALL", "[admn.plan.parse]"},      {"first:99999999999999999999999", "[admn.plan.parse]"},
  };
  for (const auto& [text, id] : syntax) {
    const auto& text_ = text;  // clang 14: no structured binding in a lambda
    CAPTURE(text_);
    CHECK_THROWS_WITH_AS((void)ad::static_plan::parse(text), doctest::Contains(id), admn::argument_error);
  }
  CHECK_THROWS_WITH_AS((void)ad::parse_plan("first:13", two_vit_b_depths),
                       doctest::Contains("[admn.plan.depth]"), admn::budget_error);
  CHECK_THROWS_WITH_AS((void)ad::parse_plan("every-other:4,13", two_vit_b_depths),
                       doctest::Contains("[admn.plan.depth]"), admn::budget_error);
  CHECK_THROWS_WITH_AS((void)ad::parse_plan("first:1,2,3", two_vit_b_depths),
                       doctest::Contains("[admn.plan.modalities] plan 'first:1,2,3' gives 3 values"),
                       admn::argument_error);
  CHECK_THROWS_WITH_AS((void)ad::parse_plan("0;1;2", two_vit_b_depths),
                       doctest::Contains("[admn.plan.modalities]"), admn::argument_error);
  CHECK_THROWS_WITH_AS((void)ad::parse_plan("0", two_vit_b_depths),
                       doctest::Contains("[admn.plan.modalities]"), admn::argument_error);
  CHECK_THROWS_WITH_AS((void)ad::parse_plan("0,12;0", two_vit_b_depths),
                       doctest::Contains("[admn.mask.block] block 12"), admn::argument_error);
}
