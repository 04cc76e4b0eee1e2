// AdaMTL composition: the policy's decision rule, MAC targets, mask override, errors.
#include <admn/model/adamtl.hpp>

#include "common/error_id.hpp"
#include "common/fixture.hpp"
#include "common/sized_run.hpp"

#include <doctest/doctest.h>

#include <span>
#include <string>
#include <vector>

using admn::tensor;
namespace m = admn::model;

using admn::test::error_id;

namespace {

m::multi_task_config config() {
  return {.encoder = {.heads = 2},
          .policy_prefixes = {"policy.scene.", "policy.distance."},
          .tasks = {{"scene", m::task_kind::classification}, {"distance", m::task_kind::regression}},
          .image = {32, 32}};
}

}  // namespace

TEST_CASE("the policy keeps blocks with a positive logit, the largest first under a budget") {
  const admn::test::fixture f("related/adamtl.safetensors");
  const auto net = m::multi_task_network::load(f.weights(), config());
  const float z[] = {0.5f, -1.0f, 2.0f, 0.5f, 0.0f, 1.0f};
  CHECK(net.select(z, std::nullopt).to_string() == "101101");  // 0 is not > 0
  CHECK(net.select(z, 2).to_string() == "001001");
  CHECK(net.select(z, 3).to_string() == "101001");  // tie 0.5 at blocks 0 and 3: the lower index
  CHECK(net.select(z, 0).to_string() == "000000");
  CHECK(net.select(z, 10).to_string() == "101101");
  const float nan[] = {0.5f, std::nanf(""), 0, 0, 0, 0};
  CHECK(error_id([&] { (void)net.select(nan, std::nullopt); }) == "admn.policy.nan");
  CHECK(error_id([&] { (void)net.select(std::span<const float>(z, 5), std::nullopt); }) ==
        "admn.policy.scores");
}

TEST_CASE("a MAC target becomes a block budget, a mask bypasses the policy, samples group by mask") {
  const admn::test::fixture f("related/adamtl.safetensors");
  const auto net = m::multi_task_network::load(f.weights(), config());
  const std::size_t fixed = net.fixed_macs(), block = net.encoder().block_macs(1);
  CHECK(net.budget_for(fixed) == 0);
  CHECK(net.budget_for(fixed + 2 * block + block / 2) == 2);
  CHECK(net.budget_for(fixed + 100 * block) == 6);
  CHECK(error_id([&] { (void)net.budget_for(fixed - 1); }) == "admn.budget.too_small");
  MESSAGE(net.describe());

  const tensor image = f.get("image");
  admn::workspace ws;
  const auto free =
      admn::test::sized_by_first_run([&](admn::workspace& w) { return net.run(image.view(), {}, w); });
  const auto capped = net.run(image.view(), {.max_macs = fixed + 2 * block}, ws);
  for (std::size_t b = 0; b < 4; ++b) {
    CHECK(capped.masks[b].count() <= 2);
    CHECK(capped.macs[b] <= fixed + 2 * block);
    CHECK(free.macs[b] == fixed + free.masks[b].count() * block);
  }
  // Forcing every sample to the blocks sample 2 chose reproduces sample 2's outputs.
  const auto forced = net.run(image.view(), {.mask = free.masks[2]}, ws);
  CHECK(forced.policy_logits.size() == 0);
  CHECK(forced.macs[0] == net.macs(free.masks[2], false));
  const auto& a = forced.output("scene");
  const auto& b = free.output("scene");
  for (std::size_t j = 0; j < 5; ++j) CHECK(a(2, j) == doctest::Approx(b(2, j)).epsilon(1e-6));
  // Per sample, the same as running it alone.
  for (std::size_t s = 0; s < 4; ++s) {
    const admn::const_view one(image.data() + s * 3 * 32 * 32, admn::shape{1, 3, 32, 32});
    const auto single = net.run(one, {}, ws);
    CHECK(single.masks[0] == free.masks[s]);
    CHECK(single.output("distance")(0, 1) == doctest::Approx(free.output("distance")(s, 1)).epsilon(1e-6));
  }
}

TEST_CASE("multi-task networks reject bad configs and inputs with typed errors") {
  const admn::test::fixture f("related/adamtl.safetensors");
  auto c = config();
  c.tasks.clear();
  CHECK(error_id([&] { (void)m::multi_task_network::load(f.weights(), c); }) == "admn.multitask.tasks");
  c = config();
  c.tasks.push_back({"scene"});
  CHECK(error_id([&] { (void)m::multi_task_network::load(f.weights(), c); }) == "admn.multitask.tasks");
  c = config();
  c.policy_prefixes.clear();
  CHECK(error_id([&] { (void)m::multi_task_network::load(f.weights(), c); }) == "admn.multitask.policy");
  c = config();
  c.tasks.push_back({"depth"});
  CHECK(error_id([&] { (void)m::multi_task_network::load(f.weights(), c); }) == "admn.load.missing");

  const auto net = m::multi_task_network::load(f.weights(), config());
  admn::workspace ws;
  tensor wrong(admn::shape{1, 3, 16, 16}), channels(admn::shape{1, 1, 32, 32});
  CHECK(error_id([&] { (void)net.run(wrong.view(), {}, ws); }) == "admn.multitask.input");
  CHECK(error_id([&] { (void)net.run(channels.view(), {}, ws); }) == "admn.multitask.input");
  const tensor image = f.get("image");
  CHECK(error_id([&] { (void)net.run(image.view(), {.mask = admn::adaptive::layer_mask(5)}, ws); }) ==
        "admn.multitask.mask");
  CHECK(error_id([&] { (void)net.run(image.view(), {.max_macs = 10}, ws); }) == "admn.budget.too_small");
  CHECK(error_id([&] { (void)net.run(image.view(), {}, ws).output("depth"); }) == "admn.result.output");
}

TEST_CASE("a run computes only the tasks it names, and an unknown or repeated task is an error naming it") {
  const admn::test::fixture f("related/adamtl.safetensors");
  const auto net = m::multi_task_network::load(f.weights(), config());
  CHECK(net.network().task_names() == std::vector<std::string>{"scene", "distance"});
  const tensor image = f.get("image");
  admn::workspace ws;
  const auto all = net.run(image.view(), {.budget = 3}, ws);
  REQUIRE(all.outputs.size() == 2);
  CHECK(all.outputs[0].first == "scene");
  const auto one = net.run(image.view(), {.budget = 3, .tasks = {"distance"}}, ws);
  REQUIRE(one.outputs.size() == 1);
  CHECK(one.masks == all.masks);
  const auto& d = one.output("distance");
  const auto& d_all = all.output("distance");
  for (std::size_t i = 0; i < d.size(); ++i) CHECK(d.data()[i] == d_all.data()[i]);
  CHECK(error_id([&] { (void)one.output("scene"); }) == "admn.result.output");
  for (std::size_t b = 0; b < 4; ++b) CHECK(one.macs[b] == all.macs[b] - net.head(0).macs(1));
  // Listed order is output order.
  const auto both = net.run(image.view(), {.tasks = {"distance", "scene"}}, ws);
  REQUIRE(both.outputs.size() == 2);
  CHECK(both.outputs[0].first == "distance");
  CHECK(both.outputs[1].first == "scene");

  std::string message;
  try {
    (void)net.run(image.view(), {.tasks = {"depth"}}, ws);
  } catch (const admn::argument_error& e) {
    message = e.what();
  }
  CHECK(message.find("admn.network.task") != std::string::npos);
  CHECK(message.find("'depth'") != std::string::npos);
  CHECK(error_id([&] {
          (void)net.run(image.view(), {.tasks = {"scene", "scene"}}, ws);
        }) == "admn.network.task");
  CHECK(ws.used() == 0);
}

TEST_CASE("AdaMTL is a typed network: block select on stem tokens, pass-through fusion, task heads") {
  using net_type = m::multi_task_net<>;
  static_assert(net_type::policy_reads_tokens());
  static_assert(
      !m::network<m::static_plans, m::transformer_fusion, m::gaussian_2d,
                  m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>>::policy_reads_tokens());
  const admn::test::fixture f("related/adamtl.safetensors");
  const auto wrapped = m::multi_task_network::load(f.weights(), config());
  const auto net = net_type::load(
      f.weights(),
      {.modalities = {{.backbone_prefix = "encoder.", .heads = 2, .image = {32, 32}}},
       .tasks = {{"scene", m::task_kind::classification}, {"distance", m::task_kind::regression}},
       .policy_prefixes = {"policy.scene.", "policy.distance."}});
  MESSAGE(net.describe());
  const tensor image = f.get("image");
  const admn::const_view input = image.view().reshape(admn::shape{4, 1, 3, 32, 32});
  admn::workspace ws;
  admn::workspace wws;
  const auto direct = net.run(std::span<const admn::const_view>(&input, 1), {.budget = 2}, ws);
  const auto via = wrapped.run(image.view(), {.budget = 2}, wws);
  for (std::size_t b = 0; b < 4; ++b) CHECK(direct.plans[b][0] == via.masks[b]);
  for (const char* task : {"scene", "distance"}) {
    CAPTURE(task);
    const auto& a = direct.output(task);
    const auto& b = via.output(task);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.data()[i] == b.data()[i]);
  }
  // Per-sample budgets, and each sample equal to its run alone (the executor groups them).
  const auto mixed = net.run(std::span<const admn::const_view>(&input, 1), {.budgets = {1, 6, 1, 3}}, ws);
  for (std::size_t s = 0; s < 4; ++s) {
    CAPTURE(s);
    const admn::const_view one = input.slice(s, s + 1);
    const auto alone = net.run(std::span<const admn::const_view>(&one, 1),
                               {.budget = std::vector<std::size_t>{1, 6, 1, 3}[s]}, ws);
    CHECK(alone.plans[0] == mixed.plans[s]);
    const auto& a = alone.output("scene");
    const auto& b = mixed.output("scene");
    for (std::size_t j = 0; j < 5; ++j) CHECK(a(0, j) == b(s, j));
  }
  CHECK(ws.used() == 0);
  const std::size_t sized = ws.allocations();
  (void)net.run(std::span<const admn::const_view>(&input, 1), {.budgets = {1, 6, 1, 3}}, ws);
  CHECK(ws.allocations() == sized);  // the runs above sized the workspace
  // The policy needs one modality of one instance.
  CHECK(error_id([&] {
          (void)net_type::load(
              f.weights(),
              {.modalities = {{.backbone_prefix = "encoder.", .heads = 2, .instances = 2, .image = {32, 32}}},
               .tasks = {{"scene"}},
               .policy_prefixes = {"policy.scene."}});
        }) == "admn.multitask.modalities");
}
