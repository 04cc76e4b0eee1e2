// AdaMTL against PyTorch (tests/reference/related_adamtl.py): the task-aware block
// policy's logits and decisions under several budgets, and every task head's output.
#include <admn/model/adamtl.hpp>

#include "common/fixture.hpp"
#include "related/related_common.hpp"

#include <doctest/doctest.h>

#include <string>

using admn::tensor;
using admn::test::check_close;
using admn::test::fixture;
namespace m = admn::model;

TEST_CASE("AdaMTL policy, block choices and task heads equal torch") {
  const fixture f("related/adamtl.safetensors");
  const m::multi_task_config config{
      .encoder_prefix = "encoder.",
      .encoder = {.heads = 2},
      .policy_prefixes = {"policy.scene.", "policy.distance."},
      .tasks = {{"scene", m::task_kind::classification}, {"distance", m::task_kind::regression}},
      .image = {32, 32}};
  const auto net = m::multi_task_network::load(f.weights(), config);
  CHECK(net.depth() == 6);
  CHECK(net.head(0).outputs() == 5);
  CHECK(net.head(1).outputs() == 2);
  const tensor image = f.get("image");
  admn::workspace ws;
  for (const std::string& c : admn::test::split_all(f.meta("cases"), ',')) {
    CAPTURE(c);
    const std::string budget = f.meta(c + ".budget");
    m::multi_task_options options;
    if (budget != "none") options.budget = std::stoul(budget);
    const auto result = net.run(image.view(), options, ws);
    check_close(result.policy_logits, f.get("policy_logits"));
    const tensor mask = f.get(c + ".mask");
    for (std::size_t b = 0; b < 4; ++b) {
      CAPTURE(b);
      CHECK(result.masks[b].to_string() == admn::test::mask_string(mask, b));
      CHECK(result.macs[b] == net.macs(result.masks[b]));
    }
    check_close(result.output("scene"), f.get(c + ".scene"));
    check_close(result.output("distance"), f.get(c + ".distance"));
    CHECK(ws.used() == 0);
  }
}
