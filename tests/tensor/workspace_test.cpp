#include <admn/tensor/workspace.hpp>

#include <doctest/doctest.h>

#include <cstdint>

TEST_CASE("workspace hands out aligned buffers and scopes give them back") {
  admn::workspace ws(1000);
  CHECK(ws.capacity() >= 1000);
  float* a = ws.take(3);
  CHECK(reinterpret_cast<std::uintptr_t>(a) % 64 == 0);
  CHECK(ws.used() == 16);
  {
    admn::workspace::scope scope(ws);
    float* b = ws.take(17);
    CHECK(b == a + 16);
    CHECK(reinterpret_cast<std::uintptr_t>(b) % 64 == 0);
    CHECK(ws.used() == 48);
  }
  CHECK(ws.used() == 16);
  CHECK(ws.high_water() == 48);
}

TEST_CASE("an exhausted workspace throws instead of overrunning") {
  admn::workspace ws(32);
  (void)ws.take(20);
  CHECK_THROWS_WITH_AS((void)ws.take(20), doctest::Contains("[admn.workspace.too_small]"),
                       admn::argument_error);
  CHECK_THROWS_WITH_AS(ws.reserve(4096), doctest::Contains("[admn.workspace.in_use]"), admn::argument_error);
}

TEST_CASE("reserve grows an idle workspace") {
  admn::workspace ws;
  CHECK(ws.capacity() == 0);
  ws.reserve(100);
  CHECK(ws.capacity() >= 100);
  const auto view = ws.take(admn::shape{4, 5});
  CHECK(view.shape() == admn::shape{4, 5});
}

TEST_CASE("carved workspaces are independent arenas inside their parent") {
  admn::workspace ws(256);
  admn::workspace::scope scope(ws);
  admn::workspace left = ws.carve(100), right = ws.carve(100);
  CHECK(ws.used() == 224);
  CHECK(left.capacity() == 112);
  float* a = left.take(50);
  float* b = right.take(50);
  CHECK(b >= a + 112);
  CHECK_THROWS_AS((void)left.take(100), admn::argument_error);
  CHECK_THROWS_WITH_AS(left.reserve(1000), doctest::Contains("[admn.workspace.fixed]"), admn::argument_error);
}
