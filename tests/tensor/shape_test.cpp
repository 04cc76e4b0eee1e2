#include <admn/tensor/shape.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

TEST_CASE("shape stores dims and counts elements") {
  const admn::shape s{2, 3, 4};
  CHECK(s.rank() == 3);
  CHECK(s[0] == 2);
  CHECK(s[2] == 4);
  CHECK(s.element_count() == 24);
  CHECK(s.to_string() == "[2,3,4]");
  CHECK(admn::shape{}.element_count() == 1);
  CHECK(admn::shape{}.to_string() == "[]");
  CHECK(admn::shape{5, 0, 7}.element_count() == 0);
  CHECK(admn::shape{2, 3} == admn::shape{2, 3});
  CHECK_FALSE(admn::shape{2, 3} == admn::shape{3, 2});
  CHECK_FALSE(admn::shape{6} == admn::shape{6, 1});
}

TEST_CASE("shape rejects ranks above the capacity with a typed error") {
  CHECK_NOTHROW(admn::shape{1, 1, 1, 1, 1, 1, 1, 1});
  try {
    admn::shape too_deep{1, 1, 1, 1, 1, 1, 1, 1, 1};
    FAIL("expected shape_error");
  } catch (const admn::shape_error& e) {
    CHECK(e.id() == "admn.shape.rank");
    CHECK(std::string(e.what()).find("rank 9") != std::string::npos);
  }
}

TEST_CASE("shape rejects element counts that overflow") {
  const std::size_t big = std::size_t{1} << 32;
  try {
    admn::shape huge{big, big};
    FAIL("expected shape_error");
  } catch (const admn::shape_error& e) {
    CHECK(e.id() == "admn.shape.overflow");
    CHECK(std::string(e.what()).find("4294967296,4294967296") != std::string::npos);
  }
  // A zero anywhere makes any product valid.
  CHECK(admn::shape{big, big, 0}.element_count() == 0);
  CHECK(admn::shape{big, big - 1}.element_count() == big * (big - 1));
}

TEST_CASE("try_make validates untrusted dims without throwing") {
  const std::vector<std::uint64_t> ok{3, 5};
  CHECK(admn::shape::try_make(std::span<const std::uint64_t>(ok))->element_count() == 15);
  const std::vector<std::int64_t> negative{3, -1};
  CHECK_FALSE(admn::shape::try_make(std::span<const std::int64_t>(negative)).has_value());
  const std::vector<std::uint64_t> overflow{UINT64_MAX, 2};
  CHECK_FALSE(admn::shape::try_make(std::span<const std::uint64_t>(overflow)).has_value());
  const std::vector<std::uint64_t> deep(9, 1);
  CHECK_FALSE(admn::shape::try_make(std::span<const std::uint64_t>(deep)).has_value());
}
