#include "common/detgen.hpp"

#include <doctest/doctest.h>

TEST_CASE("detgen reproduces the Python generator bit for bit") {
  // Printed by `python3 tests/reference/detgen.py`.
  const admn::tensor t = admn::test::detgen(7, admn::shape{4}, 0.5);
  CHECK(t(0) == -0.20557564496994019f);
  CHECK(t(1) == -0.2718051075935364f);
  CHECK(t(2) == 0.4869607090950012f);
  CHECK(t(3) == 0.06665784120559692f);
}
