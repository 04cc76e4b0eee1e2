// executor: a persistent arena with a thread count, optional pinning, identical results.
#include "common/compare.hpp"

#include <admn/kernels/executor.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/parallel.hpp>

#include <doctest/doctest.h>

#include <oneapi/tbb/task_arena.h>

#if defined(__linux__)
#include <sched.h>
#endif

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using arch = admn::kernels::default_arch;

std::string message_of(const auto& call) {
  try {
    call();
  } catch (const admn::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("executor: its thread count bounds the kernels run inside it") {
  const admn::executor one({.threads = 1}), two({.threads = 2});
  CHECK(one.threads() == 1);
  CHECK(two.threads() == 2);
  CHECK(one.run([] { return oneapi::tbb::this_task_arena::max_concurrency(); }) == 1);
  CHECK(two.run([] { return oneapi::tbb::this_task_arena::max_concurrency(); }) == 2);
  // A nested run() uses the inner executor.
  CHECK(two.run([&] { return one.run([] { return oneapi::tbb::this_task_arena::max_concurrency(); }); }) ==
        1);
  std::set<std::thread::id> seen;
  one.run([&] {
    admn::kernels::for_each_chunk(64, 1,
                                  [&](std::size_t, std::size_t) { seen.insert(std::this_thread::get_id()); });
  });
  CHECK(seen.size() == 1);
  CHECK(admn::executor().threads() >= 1);
}

TEST_CASE("executor: results are identical on 1 and 2 threads, packing included") {
  const std::size_t m = 197, n = 2304 + 17, k = 768;  // n not a whole number of panels
  const auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 1);
  const auto w = admn::test::uniform(n * k, -0.05f, 0.05f, 2);
  const admn::executor one({.threads = 1}), two({.threads = 2});
  const auto packed_one = one.run([&] { return admn::kernels::packed_weights(arch{}, w.data(), n, k, k); });
  const auto packed_two = two.run([&] { return admn::kernels::packed_weights(arch{}, w.data(), n, k, k); });
  bool same_packing = true;
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t p = 0; p < k; ++p)
      same_packing =
          same_packing && packed_one.weight(j, p) == w[j * k + p] && packed_two.weight(j, p) == w[j * k + p];
  CHECK(same_packing);
  std::vector<float> c1(m * n), c2(m * n);
  one.run([&] { admn::kernels::gemm(arch{}, m, a.data(), k, packed_two, c1.data(), n, {}); });
  two.run([&] { admn::kernels::gemm(arch{}, m, a.data(), k, packed_one, c2.data(), n, {}); });
  CHECK(c1 == c2);
}

TEST_CASE("executor: run() returns the result and propagates exceptions") {
  const admn::executor ex({.threads = 2});
  CHECK(ex.run([] { return 42; }) == 42);
  CHECK(message_of([&] { ex.run([] { throw admn::argument_error("admn.test.thrown", "x"); }); }) ==
        "[admn.test.thrown] x");
}

TEST_CASE("executor: bad options are argument_error [admn.executor.*]") {
  CHECK(message_of([] { admn::executor({.threads = -1}); }) ==
        "[admn.executor.threads] an executor takes 0 (all cores) to 1024 threads, got -1");
  CHECK(message_of([] { admn::executor({.threads = 1025}); }).rfind("[admn.executor.threads]", 0) == 0);
  CHECK(message_of([] {
          admn::executor({.threads = 1, .pin = true, .first_cpu = -2});
        }).rfind("[admn.executor.cpu]", 0) == 0);
}

#if defined(__linux__)
TEST_CASE("executor: pin binds the arena's threads to one CPU each and restores the caller's mask") {
  cpu_set_t before;
  REQUIRE(sched_getaffinity(0, sizeof before, &before) == 0);
  const admn::executor pinned({.threads = 2, .pin = true});
  const int inside = pinned.run([] {
    cpu_set_t now;
    return sched_getaffinity(0, sizeof now, &now) == 0 ? CPU_COUNT(&now) : -1;
  });
  CHECK(inside == 1);
  std::atomic<int> unpinned{0};
  pinned.run([&] {
    admn::kernels::for_each_chunk(256, 1, [&](std::size_t, std::size_t) {
      cpu_set_t now;
      if (sched_getaffinity(0, sizeof now, &now) != 0 || CPU_COUNT(&now) != 1) ++unpinned;
    });
  });
  CHECK(unpinned == 0);
  cpu_set_t after;
  REQUIRE(sched_getaffinity(0, sizeof after, &after) == 0);
  CHECK(CPU_EQUAL(&before, &after));
}
#endif
