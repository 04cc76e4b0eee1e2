// The three ADMN reference networks against the PyTorch reference
// (tests/reference/make_network_fixtures.py): identical layer masks, controller
// logits, QoI and outputs within 1e-5 relative error, batch 1 and 3, budgets
// 2 / middle / max, antialias on and off.
#include <admn/models/registry.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

using admn::tensor;

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, sep);) out.push_back(item);
  return out;
}

void check_arch(const std::string& arch) {
  const std::string dir = std::string(ADMN_TEST_FIXTURES) + "/networks/";
  const auto model = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(dir + arch + "_small.safetensors"));
  const admn::test::fixture cases("networks/" + arch + "_small_cases.safetensors");
  for (const std::string& c : split(cases.meta("cases"), ',')) {
    CAPTURE(arch);
    CAPTURE(c);
    const bool antialias = cases.meta(c + ".antialias") == "true";
    const std::size_t budget = std::stoul(cases.meta(c + ".budget"));
    admn::models::with_network(model, antialias, [&](const auto& net, const admn::io::weight_source& weights) {
      CHECK(weights.unused_keys().empty());
      std::vector<tensor> inputs;
      std::vector<admn::const_view> views;
      for (const auto name : std::decay_t<decltype(net)>::modality_names())
        inputs.push_back(cases.get(c + "." + std::string(name)));
      for (const auto& t : inputs) views.push_back(t.view());
      const std::size_t batch = inputs.front().shape()[0];
      admn::workspace ws = net.make_workspace(batch);
      const auto result = net.run(views, {.budget = budget}, ws);

      const tensor mask = cases.get(c + ".layer_mask");
      const std::size_t depth = mask.shape()[2];
      for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t m = 0; m < 2; ++m)
          for (std::size_t l = 0; l < depth; ++l) {
            CAPTURE(b);
            CAPTURE(m);
            CAPTURE(l);
            CHECK(result.plans[b][m].kept(l) == (mask(b, m, l) == 1.0f));
          }
      admn::test::check_close(result.controller_logits, cases.get(c + ".controller_logits"));
      admn::test::check_close(result.qoi, cases.get(c + ".qoi"));
      for (const auto& [name, value] : result.outputs) {
        CAPTURE(name);
        admn::test::check_close(value, cases.get(c + "." + name));
      }
      return 0;
    });
  }
}

}  // namespace

TEST_CASE("GTDM (reduced) equals the PyTorch reference") { check_arch("gtdm"); }
TEST_CASE("AVE (reduced) equals the PyTorch reference") { check_arch("ave"); }
TEST_CASE("MMFI (reduced) equals the PyTorch reference") { check_arch("mmfi"); }
