// The Policy slot and the run options it reads: per-sample budgets, block costs,
// Gumbel sampling, ordered plans, LayerShuffle orders, static plans, head counts.
#include <admn/adaptive/static_plan.hpp>
#include <admn/adaptive/unequal_top_l.hpp>
#include <admn/model/network.hpp>

#include "common/compare.hpp"
#include "common/error_id.hpp"
#include "common/sized_run.hpp"
#include "common/tiny_network.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace m = admn::model;
namespace ad = admn::adaptive;
using admn::tensor;
using admn::test::error_id;
using admn::test::pattern;

namespace {

struct batch3 {
  tensor cam = pattern(admn::shape{3, 2, 3, 32, 32}, 0.37f);
  tensor ir = pattern(admn::shape{3, 2, 1, 32, 32}, 0.11f);
  [[nodiscard]] std::array<admn::const_view, 2> all() const { return {cam.view(), ir.view()}; }
  [[nodiscard]] std::array<admn::const_view, 2> one(std::size_t s) const {
    return {cam.view().slice(s, s + 1), ir.view().slice(s, s + 1)};
  }
};

// Sample s's row of a (B, n) tensor equals the (1, n) tensor bit for bit.
void check_row_equal(const tensor& batched, std::size_t s, const tensor& alone) {
  const std::size_t n = alone.size();
  for (std::size_t i = 0; i < n; ++i) REQUIRE(batched.data()[s * n + i] == alone.data()[i]);
}

}  // namespace

TEST_CASE("one budget per sample equals running each sample alone with its budget") {
  const auto t = admn::test::make_tiny_network("policy-test");
  const batch3 in;
  admn::workspace ws;
  const std::vector<std::size_t> budgets{2, 7, 12};
  const auto batched = t.net.run(in.all(), {.budgets = budgets}, ws);
  for (std::size_t s = 0; s < 3; ++s) {
    CHECK(batched.plans[s].total_kept() == budgets[s]);
    const auto alone = t.net.run(in.one(s), {.budget = budgets[s]}, ws);
    CHECK(alone.plans[0] == batched.plans[s]);
    check_row_equal(batched.output("logits"), s, alone.output("logits"));
  }
  CHECK(error_id([&] { (void)t.net.run(in.all(), {.budgets = {2, 7}}, ws); }) == "admn.network.budget");
  CHECK(error_id([&] { (void)t.net.run(in.all(), {.budgets = {2, 7, 13}}, ws); }) == "admn.budget.too_large");
}

TEST_CASE("block costs select with the unequal-cost rule, the budget in cost units") {
  const auto t = admn::test::make_tiny_network("policy-test");
  const batch3 in;
  admn::workspace ws;
  const auto result = t.net.run(in.all(), {.budget = 10, .costs = {3, 1}}, ws);
  const std::vector<std::size_t> depths{6, 6}, costs{3, 1};
  const ad::unequal_top_l_selector rule(depths, costs, 10);
  for (std::size_t s = 0; s < 3; ++s) {
    const std::span<const float> logits(result.controller_logits.data() + s * 12, 12);
    CHECK(result.plans[s] == rule.select(logits));
    CHECK(rule.cost(result.plans[s]) <= 10);
  }
  // The config's costs are the default; a call's costs override them.
  auto config = admn::test::tiny_config();
  config.costs = {3, 1};
  const auto costly = m::load<admn::test::tiny_net>(t.weights, config);
  const auto by_config = costly.run(in.all(), {.budget = 10}, ws);
  for (std::size_t s = 0; s < 3; ++s) CHECK(by_config.plans[s] == result.plans[s]);
  const auto equal = costly.run(in.all(), {.budget = 10, .costs = {1, 1}}, ws);
  for (std::size_t s = 0; s < 3; ++s) CHECK(equal.plans[s].total_kept() == 10);
  CHECK(error_id([&] { (void)t.net.run(in.all(), {.budget = 10, .costs = {3}}, ws); }) == "admn.plan.costs");
  CHECK(error_id([&] {
          (void)t.net.run(in.all(), {.budget = 3, .costs = {3, 1}}, ws);
        }) == "admn.budget.too_small");
}

TEST_CASE("Gumbel sampling is seeded per sample: sample b draws from gumbel_rng(seed + b)") {
  const auto t = admn::test::make_tiny_network("policy-test");
  const batch3 in;
  admn::workspace ws;
  const m::gumbel_sampling sampling{.seed = 41, .noise = {.noise_scale = 2.0f, .temperature = 0.5f}};
  const auto a = t.net.run(in.all(), {.budget = 6, .sample = sampling}, ws);
  const auto b = t.net.run(in.all(), {.budget = 6, .sample = sampling}, ws);
  const std::vector<std::size_t> depths{6, 6};
  const ad::top_l_selector rule(depths, 6);
  bool differs_from_deterministic = false;
  for (std::size_t s = 0; s < 3; ++s) {
    CHECK(a.plans[s] == b.plans[s]);
    CHECK(a.plans[s].total_kept() == 6);
    const std::span<const float> logits(a.controller_logits.data() + s * 12, 12);
    ad::gumbel_rng rng(41 + s);
    CHECK(a.plans[s] == rule.sample(logits, rng, sampling.noise));
    differs_from_deterministic = differs_from_deterministic || !(a.plans[s] == rule.select(logits));
  }
  CHECK(differs_from_deterministic);  // noise of scale 2 moves at least one cut
}

TEST_CASE("an ordered plan runs its blocks in the order given, batched or alone") {
  const auto t = admn::test::make_tiny_network("policy-test");
  const batch3 in;
  admn::workspace ws;
  const std::vector<std::size_t> depths{6, 6};
  const ad::ordered_plan forward = ad::parse_ordered_plan("0,2,4;0,1", depths);
  const ad::ordered_plan backward = ad::parse_ordered_plan("4,2,0;1,0", depths);
  const auto f = t.net.run(in.all(), {.plan = forward}, ws);
  const auto r = t.net.run(in.all(), {.plan = backward}, ws);
  CHECK(f.plans[0] == r.plans[0]);  // the same blocks …
  CHECK(r.orders[0] == backward);
  CHECK(admn::test::relative_error(f.output("logits").values(), r.output("logits").values()) >
        1e-4);  // … in another order
  // A heterogeneous batch of orders equals each sample alone.
  const auto mixed = t.net.run(in.all(), {.plans = m::plan_list{{forward, backward, forward}}}, ws);
  for (std::size_t s = 0; s < 3; ++s) {
    const auto alone = t.net.run(in.one(s), {.plan = s == 1 ? backward : forward}, ws);
    check_row_equal(mixed.output("logits"), s, alone.output("logits"));
  }
  CHECK(error_id([] {
          (void)ad::parse_ordered_plan("0,2,0;1", std::vector<std::size_t>{6, 6});
        }) == "admn.order.repeat");
}

TEST_CASE("random block orders per sample (LayerShuffle) keep the decided blocks") {
  const auto t = admn::test::make_tiny_network("policy-test");
  const batch3 in;
  admn::workspace ws;
  const auto plain = t.net.run(in.all(), {.budget = 8}, ws);
  const auto shuffled = t.net.run(in.all(), {.budget = 8, .order_seed = 5}, ws);
  const auto again = t.net.run(in.all(), {.budget = 8, .order_seed = 5}, ws);
  bool any_reordered = false;
  for (std::size_t s = 0; s < 3; ++s) {
    CHECK(shuffled.plans[s] == plain.plans[s]);
    CHECK(shuffled.orders[s] == again.orders[s]);
    for (std::size_t mod = 0; mod < 2; ++mod) {
      CHECK(shuffled.orders[s][mod] ==
            ad::execution_order::shuffled(plain.plans[s][mod], 5 + s * ad::max_modalities + mod));
      any_reordered = any_reordered || !shuffled.orders[s][mod].is_ascending();
    }
    const auto alone = t.net.run(in.one(s), {.plan = shuffled.orders[s]}, ws);
    check_row_equal(shuffled.output("logits"), s, alone.output("logits"));
  }
  CHECK(any_reordered);
}

TEST_CASE("static_plans runs the config's plan for every sample and takes no budget") {
  using static_net = m::network<m::static_plans, m::transformer_fusion, m::classifier, admn::test::tiny_cam,
                                admn::test::tiny_ir>;
  const auto t = admn::test::make_tiny_network("policy-test");
  const batch3 in;
  auto config = admn::test::tiny_config();
  config.static_plan = "every-other:3";
  const auto net = m::load<static_net>(t.weights, config);
  CHECK_FALSE(static_net::has_controller());
  CHECK(net.describe().find("static plan 'every-other:3' (0,2,4;0,2,4)") != std::string::npos);
  admn::workspace ws;
  const auto result = net.run(in.all(), {}, ws);
  for (const auto& p : result.plans) CHECK(p.to_string() == "0,2,4;0,2,4");
  CHECK(result.controller_logits.size() == 0);
  // The same weights under ADMN's controller with that plan given: the same outputs.
  const auto given = t.net.run(in.all(), {.plan = result.plans[0]}, ws);
  CHECK(admn::test::relative_error(given.output("logits").values(), result.output("logits").values()) == 0.0);
  CHECK(error_id([&] { (void)net.run(in.all(), {.budget = 4}, ws); }) == "admn.network.budget");
  config.static_plan = "";
  const auto bare = m::load<static_net>(t.weights, config);
  CHECK(error_id([&] { (void)bare.run(in.all(), {}, ws); }) == "admn.network.budget");
  config.static_plan = "first:7";
  CHECK(error_id([&] { (void)m::load<static_net>(t.weights, config); }) == "admn.plan.depth");
}

TEST_CASE("a backbone without a head count is an error naming the modality") {
  const auto t = admn::test::make_tiny_network("policy-test");
  auto config = admn::test::tiny_config();
  config.modalities[1].heads.reset();
  try {
    (void)m::load<admn::test::tiny_net>(t.weights, config);
    FAIL("no error");
  } catch (const admn::config_error& e) {
    CHECK(std::string(e.id()) == "admn.config.heads");
    CHECK(std::string(e.what()).find("modality 'ir'") != std::string::npos);
  }
}

namespace {

// A policy on stem tokens: sample b keeps block l of modality m when (l + b) is even or
// the first patch token of its first instance is positive in feature l.
struct token_sign_policy {
  static constexpr bool is_policy = true;
  static constexpr bool learned = false;
  static constexpr m::policy_input input = m::policy_input::stem_tokens;
  struct runtime {
    std::vector<std::size_t> tokens, widths;
    static runtime load(const admn::io::weight_source&, const m::policy_setup& setup) {
      return {setup.tokens, setup.widths};
    }
    void decide(const m::policy_call& call, m::decision& d, admn::workspace&) const {
      REQUIRE(call.tokens.size() == 2);
      for (std::size_t m = 0; m < 2; ++m) {
        REQUIRE(call.tokens[m].extent(0) == call.batch * 2 * tokens[m]);  // 2 instances
        REQUIRE(call.tokens[m].extent(1) == widths[m]);
      }
      for (std::size_t b = 0; b < call.batch; ++b) {
        ad::layer_plan plan(call.depths);
        for (std::size_t m = 0; m < 2; ++m) {
          const float* patch = call.tokens[m].data() + (b * 2 * tokens[m] + 1) * widths[m];
          for (std::size_t l = 0; l < call.depths[m]; ++l)
            if ((l + b) % 2 == 0 || patch[l] > 0.0f) plan[m].keep(l);
        }
        d.plans.emplace_back(plan);
      }
    }
    [[nodiscard]] std::size_t macs(std::size_t) const { return 0; }
    [[nodiscard]] std::string describe() const { return "token signs"; }
  };
};

using token_net = m::network<token_sign_policy, m::transformer_fusion, m::classifier, admn::test::tiny_cam,
                             admn::test::tiny_ir>;

}  // namespace

TEST_CASE("a policy on stem tokens: backbones continue from the tokens, equal to the image path") {
  const auto t = admn::test::make_tiny_network("policy-test");
  static_assert(token_net::policy_reads_tokens());
  static_assert(!admn::test::tiny_net::policy_reads_tokens());
  const token_net net = m::load<token_net>(t.weights, admn::test::tiny_config());
  const std::size_t batch = 3;
  const tensor cam = pattern(admn::shape{batch, 2, 3, 32, 32}, 0.23f),
               ir = pattern(admn::shape{batch, 2, 1, 32, 32}, 0.17f);
  const admn::const_view inputs[] = {cam.view(), ir.view()};
  const auto r = admn::test::sized_by_first_run([&](admn::workspace& ws) { return net.run(inputs, {}, ws); });
  REQUIRE(r.plans.size() == batch);
  CHECK(r.plans[0] != r.plans[1]);  // the samples group into several plans
  // The same plans through the image path (preprocess → backbone) give the same bits.
  admn::workspace ws, ws2;
  const auto same = t.net.run(inputs, {.plans = r.orders}, ws2);
  CHECK(same.plans == r.plans);
  CHECK(admn::test::same_bits(same.output("logits").values(), r.output("logits").values()));
  // With random block orders too (LayerShuffle on top of a token policy).
  const auto shuffled = net.run(inputs, {.order_seed = 5}, ws);
  const auto shuffled_images = t.net.run(inputs, {.plans = shuffled.orders}, ws2);
  CHECK(admn::test::same_bits(shuffled_images.output("logits").values(), shuffled.output("logits").values()));
  // Stem and blocks are counted, the patch embedding even of a modality that runs no block.
  const ad::layer_plan none(t.net.depths());
  CHECK(net.macs(none) == t.net.macs(none, false) + t.net.backbone(0).patch_embedding().macs(2, 32, 32) +
                              t.net.backbone(1).patch_embedding().macs(2, 32, 32));
  CHECK(net.describe().find("token signs") != std::string::npos);
}
