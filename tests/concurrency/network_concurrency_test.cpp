// One loaded network shared by many user threads, each with its own workspace: every
// run equals the single-threaded run of the same inputs bit for bit. Also built with
// ThreadSanitizer by tools/test.sh --sanitizers (preset `tsan`, suppressions in
// tests/concurrency/tsan.supp).
#include <admn/kernels/parallel.hpp>
#include <admn/zoo/registry.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct job {
  std::vector<admn::tensor> inputs;
  std::size_t budget = 0;
  admn::model::network_result expected;
};

bool same_bits(const admn::tensor& a, const admn::tensor& b) {
  return a.shape() == b.shape() && admn::test::same_bits(a.values(), b.values());
}

bool same_result(const admn::model::network_result& a, const admn::model::network_result& b) {
  return a.plans == b.plans && same_bits(a.controller_logits, b.controller_logits) &&
         same_bits(a.qoi, b.qoi) && admn::test::same_outputs(a, b);
}

// Runs `runs` calls of the shared GTDM network from `user_threads` threads, each with
// its own workspace and an arena of `inner_threads` (1: no TBB hand-off inside a run),
// over every case and budget of the fixture; returns the runs that differ from the
// single-threaded result.
std::size_t mismatches(std::size_t user_threads, std::size_t runs, int inner_threads) {
  const std::string dir = std::string(ADMN_TEST_FIXTURES) + "/networks/";
  const auto model = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(dir + "gtdm_small.safetensors"));
  const auto cases_file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(dir + "gtdm_small_cases.safetensors"));
  const admn::io::weight_source cases(cases_file);
  return admn::zoo::with_network(model, true, [&](const auto& net, const admn::io::weight_source&) {
    std::vector<job> jobs;
    std::size_t max_batch = 1;
    std::stringstream names(cases_file->metadata()->at("cases"));
    for (std::string c; std::getline(names, c, ',');) {
      if (cases_file->metadata()->at(c + ".antialias") != "true") continue;
      for (std::size_t budget = 2; budget <= net.total_blocks(); budget += 3) {
        job j;
        for (const auto name : std::decay_t<decltype(net)>::modality_names())
          j.inputs.push_back(cases.load(c + "." + std::string(name)));
        j.budget = budget;
        max_batch = std::max(max_batch, j.inputs.front().shape()[0]);
        jobs.push_back(std::move(j));
      }
    }
    REQUIRE(jobs.size() >= 4);
    const auto run = [&](const job& j, admn::workspace& ws) {
      std::vector<admn::const_view> views;
      for (const auto& t : j.inputs) views.push_back(t.view());
      return net.run(views, {.budget = j.budget}, ws);
    };
    {
      admn::workspace ws;
      for (auto& j : jobs) j.expected = admn::kernels::with_threads(1, [&] { return run(j, ws); });
    }
    std::atomic<std::size_t> wrong{0};
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < user_threads; ++t)
      threads.emplace_back([&, t] {
        admn::workspace ws;
        for (std::size_t i = t; i < runs; i += user_threads) {
          const job& j = jobs[(i * 7 + t) % jobs.size()];
          const auto result = admn::kernels::with_threads(inner_threads, [&] { return run(j, ws); });
          if (!same_result(result, j.expected)) wrong.fetch_add(1);
        }
      });
    for (auto& th : threads) th.join();
    return wrong.load();
  });
}

}  // namespace

TEST_CASE("8 user threads share one network: 1024 runs equal the single-threaded runs bit for bit") {
  CHECK(mismatches(8, 1024, 1) == 0);
}

TEST_CASE("8 user threads share one network, each run parallel inside: 1024 runs equal the serial runs") {
  CHECK(mismatches(8, 1024, 2) == 0);
}
