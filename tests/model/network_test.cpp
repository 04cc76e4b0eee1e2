// The composed network's behaviour: plans, heterogeneous batches, errors, description.
#include <admn/model/network.hpp>

#include "common/compare.hpp"
#include "common/sized_run.hpp"
#include "common/tiny_network.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace m = admn::model;
using admn::tensor;

using admn::test::pattern;

TEST_CASE("a network binds every tensor of its checkpoint") {
  const auto t = admn::test::make_tiny_network("network-test");
  CHECK(t.weights.unused_keys().empty());
  CHECK(t.net.total_blocks() == 12);
  CHECK(t.net.has_controller());
  const std::string text = t.net.describe();
  CHECK(text.find("modality 'ir'") != std::string::npos);
  CHECK(text.find("12 layer logits") != std::string::npos);
}

TEST_CASE("a batch with different masks per sample equals running each sample alone") {
  const auto t = admn::test::make_tiny_network("network-test");
  const tensor cam_in = pattern(admn::shape{3, 2, 3, 32, 32}, 0.37f),
               ir_in = pattern(admn::shape{3, 2, 1, 32, 32}, 0.11f);
  const admn::const_view inputs[] = {cam_in.view(), ir_in.view()};
  const std::vector<std::size_t> depths{6, 6};
  std::vector<admn::adaptive::layer_plan> plans{admn::adaptive::layer_plan::parse("0,2,4;0", depths),
                                                admn::adaptive::layer_plan::parse("0;0,1,5", depths),
                                                admn::adaptive::layer_plan::parse("0,2,4;0", depths)};
  admn::workspace ws;
  const auto batched = t.net.run(inputs, {.plans = plans}, ws);
  const auto& logits = batched.output("logits");
  for (std::size_t s = 0; s < 3; ++s) {
    const admn::const_view one[] = {cam_in.view().slice(s, s + 1), ir_in.view().slice(s, s + 1)};
    const auto alone = t.net.run(one, {.plan = plans[s]}, ws);
    const auto& row = alone.output("logits");
    for (std::size_t c = 0; c < 5; ++c) CHECK(row(0, c) == logits(s, c));
  }
}

TEST_CASE("every kind of run sizes its workspace in its first, and then none allocates") {
  const auto t = admn::test::make_tiny_network("network-test");
  const tensor cam_in = pattern(admn::shape{4, 2, 3, 32, 32}, 0.29f),
               ir_in = pattern(admn::shape{4, 2, 1, 32, 32}, 0.13f);
  const admn::const_view inputs[] = {cam_in.view(), ir_in.view()};
  const std::vector<std::size_t> depths{6, 6};
  const auto plan = [&](const char* text) { return admn::adaptive::layer_plan::parse(text, depths); };
  const std::vector<m::run_options> runs{
      {.budget = 5},
      {.budgets = {2, 12, 4, 7}},
      {.budget = 6, .sample = m::gumbel_sampling{.seed = 3}},
      {.budget = 6, .order_seed = 11},
      {.plan = plan("0,1,2,3,4,5;0,1,2,3,4,5")},
      {.plans = std::vector{plan("0,2,4;0"), plan("0;0,1,5"), plan("0,2,4;0"), plan("0;0")}},
  };
  for (const auto& options : runs)
    (void)admn::test::sized_by_first_run([&](admn::workspace& ws) { return t.net.run(inputs, options, ws); });
  // One workspace for all of them: once it has served each, none allocates, nor does a
  // smaller batch.
  admn::workspace ws;
  for (const auto& options : runs) (void)t.net.run(inputs, options, ws);
  const std::size_t sized = ws.allocations();
  for (const auto& options : runs) (void)t.net.run(inputs, options, ws);
  const admn::const_view one[] = {cam_in.view().slice(0, 1), ir_in.view().slice(0, 1)};
  (void)t.net.run(one, {.budget = 3}, ws);
  CHECK(ws.allocations() == sized);
}

TEST_CASE("the controller's top-L plans keep exactly the budget") {
  const auto t = admn::test::make_tiny_network("network-test");
  const tensor cam_in = pattern(admn::shape{2, 2, 3, 32, 32}, 0.5f),
               ir_in = pattern(admn::shape{2, 2, 1, 32, 32}, 0.3f);
  const admn::const_view inputs[] = {cam_in.view(), ir_in.view()};
  admn::workspace ws;
  for (std::size_t budget = 2; budget <= 12; ++budget) {
    const auto r = t.net.run(inputs, {.budget = budget}, ws);
    REQUIRE(r.plans.size() == 2);
    for (const auto& p : r.plans) {
      CHECK(p.total_kept() == budget);
      CHECK(p[0].kept(0));
      CHECK(p[1].kept(0));
    }
    CHECK(r.controller_logits.shape() == admn::shape{2, 12});
    CHECK(r.qoi.shape() == admn::shape{2, 2});
    for (float q : r.qoi.values()) CHECK((q > 0.0f && q < 5.0f));
  }
}

TEST_CASE("bad inputs, budgets and plans throw typed errors") {
  const auto t = admn::test::make_tiny_network("network-test");
  const tensor cam_in(admn::shape{1, 2, 3, 32, 32}), ir_in(admn::shape{1, 2, 1, 32, 32}),
      wrong(admn::shape{1, 2, 3, 32, 32});
  admn::workspace ws;
  const admn::const_view good[] = {cam_in.view(), ir_in.view()};
  const admn::const_view bad_channels[] = {cam_in.view(), wrong.view()};
  CHECK_THROWS_WITH_AS(
      (void)t.net.run(bad_channels, {.budget = 4}, ws),
      doctest::Contains("[admn.network.input] input 'ir' must be a contiguous [B,2,1,32,32]"),
      admn::shape_error);
  CHECK_THROWS_AS((void)t.net.run(good, {.budget = 13}, ws), admn::budget_error);
  CHECK_THROWS_AS((void)t.net.run(good, {.budget = 1}, ws), admn::budget_error);
  CHECK_THROWS_WITH_AS((void)t.net.run(good, {}, ws), doctest::Contains("[admn.network.budget]"),
                       admn::argument_error);
  const std::vector<std::size_t> wrong_depths{6, 5};
  CHECK_THROWS_WITH_AS(
      (void)t.net.run(good, {.plan = admn::adaptive::layer_plan::parse("0;0", wrong_depths)}, ws),
      doctest::Contains("[admn.network.plan]"), admn::argument_error);
  m::network_config one_modality;
  one_modality.modalities.resize(1);
  CHECK_THROWS_WITH_AS((void)m::load<admn::test::tiny_net>(t.weights, one_modality),
                       doctest::Contains("[admn.config.modalities]"), admn::config_error);
}

TEST_CASE("network runs do not depend on the thread count") {
  const auto t = admn::test::make_tiny_network("network-test");
  const tensor cam_in = pattern(admn::shape{2, 2, 3, 32, 32}, 0.21f),
               ir_in = pattern(admn::shape{2, 2, 1, 32, 32}, 0.13f);
  const admn::const_view inputs[] = {cam_in.view(), ir_in.view()};
  admn::workspace ws;
  const auto one = admn::kernels::with_threads(1, [&] { return t.net.run(inputs, {.budget = 7}, ws); });
  const auto two = admn::kernels::with_threads(2, [&] { return t.net.run(inputs, {.budget = 7}, ws); });
  CHECK(one.plans == two.plans);
  const auto& a = one.output("logits");
  const auto& b = two.output("logits");
  CHECK(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
  CHECK(std::equal(one.controller_logits.values().begin(), one.controller_logits.values().end(),
                   two.controller_logits.values().begin()));
}

TEST_CASE("a single head is the one-task case of the task list") {
  const auto t = admn::test::make_tiny_network("network-test");
  CHECK(t.net.task_names() == std::vector<std::string>{"output"});
  const tensor cam_in = pattern(admn::shape{2, 2, 3, 32, 32}, 0.21f),
               ir_in = pattern(admn::shape{2, 2, 1, 32, 32}, 0.13f);
  const admn::const_view inputs[] = {cam_in.view(), ir_in.view()};
  admn::workspace ws;
  const auto all = t.net.run(inputs, {.budget = 6}, ws);
  const auto named = t.net.run(inputs, {.budget = 6, .tasks = {"output"}}, ws);
  CHECK(admn::test::same_outputs(named, all));
  // Checked before anything runs: an unknown task names itself and the tasks there are.
  CHECK_THROWS_WITH_AS((void)t.net.run(inputs, {.budget = 6, .tasks = {"pose"}}, ws),
                       doctest::Contains("[admn.network.task] no task named 'pose' (tasks: output)"),
                       admn::argument_error);
  CHECK(ws.used() == 0);
}
