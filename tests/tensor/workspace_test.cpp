#include <admn/tensor/workspace.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>

namespace {

bool aligned(const float* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

}  // namespace

TEST_CASE("workspace hands out aligned buffers and scopes give them back") {
  admn::workspace ws(1000);
  CHECK(ws.capacity() >= 1000);
  float* a = ws.take(3);
  CHECK(aligned(a));
  CHECK(ws.used() == 16);
  {
    admn::workspace::scope scope(ws);
    float* b = ws.take(17);
    CHECK(b == a + 16);
    CHECK(aligned(b));
    CHECK(ws.used() == 48);
  }
  CHECK(ws.used() == 16);
  CHECK(ws.high_water() == 48);
}

TEST_CASE("a take beyond the arena is served from a further chunk and nothing taken before it moves") {
  admn::workspace ws(32);
  admn::workspace::scope outer(ws);
  float* a = ws.take(20);
  std::memset(a, 0x11, 20 * sizeof(float));
  const std::size_t before = ws.allocations();
  float* b = ws.take(40);  // does not fit: a chunk of 48
  float* c = ws.take(5);   // nor in that one: a chunk of 80 (all before it)
  CHECK(aligned(b));
  CHECK(aligned(c));
  CHECK(ws.allocations() > before);
  CHECK(ws.capacity() >= 32 + 48 + 16);
  CHECK(ws.used() == 32 + 48 + 16);
  CHECK(ws.high_water() == 96);
  std::memset(b, 0x22, 40 * sizeof(float));
  std::memset(c, 0x33, 5 * sizeof(float));
  for (std::size_t i = 0; i < 20; ++i) CHECK(std::memcmp(a + i, a, sizeof(float)) == 0);
  CHECK(std::memcmp(a, b, sizeof(float)) != 0);
  // Growing now would move `a`: refused.
  CHECK_THROWS_WITH_AS(ws.reserve(4096), doctest::Contains("[admn.workspace.in_use]"), admn::argument_error);
}

TEST_CASE("when the last scope ends the arena grows to the high water, and the next run allocates nothing") {
  admn::workspace ws;
  const auto run = [&] {
    admn::workspace::scope scope(ws);
    (void)ws.take(100);
    for (int block = 0; block < 3; ++block) {
      admn::workspace::scope inner(ws);
      (void)ws.take(300);
    }
    (void)ws.take(50);
  };
  run();
  CHECK(ws.used() == 0);
  CHECK(ws.high_water() == 112 + 304);
  CHECK(ws.capacity() >= ws.high_water());
  // Exact chunks (under AddressSanitizer): the inner takes reused one chunk, so two
  // chunks in all, then the arena. Else the first chunk's address space held it all.
  CHECK(ws.allocations() == (admn::detail::scratch_chunk_floats >= 416 ? 1 : 3));
  const std::size_t sized = ws.allocations();
  run();
  run();
  CHECK(ws.allocations() == sized);
}

TEST_CASE("reserve grows an idle workspace, and a default one starts empty") {
  admn::workspace ws;
  CHECK(ws.capacity() == 0);
  CHECK(ws.allocations() == 0);
  ws.reserve(100);
  CHECK(ws.capacity() >= 100);
  CHECK(ws.allocations() == 1);
  const auto view = ws.take(admn::shape{4, 5});
  CHECK(view.shape() == admn::shape{4, 5});
}

TEST_CASE("an empty take costs nothing") {
  admn::workspace ws;
  (void)ws.take(0);
  CHECK(ws.allocations() == 0);
  CHECK(ws.used() == 0);
}

TEST_CASE("an absurd take is a typed error, not an overflow") {
  admn::workspace ws;
  CHECK_THROWS_WITH_AS((void)ws.take(admn::workspace::max_take + 1),
                       doctest::Contains("[admn.workspace.size]"), admn::argument_error);
  CHECK_THROWS_WITH_AS((void)ws.take(SIZE_MAX), doctest::Contains("[admn.workspace.size]"),
                       admn::argument_error);
  CHECK(ws.used() == 0);
}

TEST_CASE("children are independent arenas that keep their memory between runs") {
  admn::workspace ws;
  auto kids = ws.children(2);
  REQUIRE(kids.size() == 2);
  float *a = nullptr, *b = nullptr;
  {
    admn::workspace::scope left(kids[0]), right(kids[1]);
    a = kids[0].take(50);
    b = kids[1].take(70);
    CHECK(a != b);
    CHECK(kids[0].used() == 64);
    CHECK(ws.used() == 0);
    // Adding children while one is in use would move it: refused.
    CHECK_THROWS_WITH_AS((void)ws.children(3), doctest::Contains("[admn.workspace.in_use]"),
                         admn::argument_error);
    CHECK(ws.children(2).data() == kids.data());  // asking for no more is fine
  }
  const std::size_t sized = ws.allocations();
  CHECK(sized >= 3);  // the table, and one block per child
  for (int run = 0; run < 3; ++run) {
    auto again = ws.children(2);
    admn::workspace::scope left(again[0]), right(again[1]);
    (void)again[0].take(50);
    (void)again[1].take(70);
  }
  CHECK(ws.allocations() == sized);
}

TEST_CASE("a moved-from workspace is empty and usable") {
  admn::workspace ws(64);
  (void)ws.children(1);
  admn::workspace other(std::move(ws));
  CHECK(other.capacity() >= 64);
  CHECK(ws.capacity() == 0);  // NOLINT(bugprone-use-after-move): the state is specified
  CHECK(ws.allocations() == 0);
  admn::workspace::scope scope(ws);
  CHECK(aligned(ws.take(10)));
}
