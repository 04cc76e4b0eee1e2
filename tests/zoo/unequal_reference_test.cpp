// ADMN's unequal-cost controller (AVE-Unequal, docs/numerics.md §4.10) on the reduced AVE
// against the PyTorch reference (tests/reference/make_unequal_fixture.py): image blocks cost
// 3, audio blocks 1, budgets in cost units, one budget per call or per sample. Layer masks
// identical, outputs within 1e-5.
#include <admn/zoo/registry.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::size_t> budgets_of(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoul(item));
  return out;
}

void check_cases(const admn::zoo::ave::network& net, const admn::model::run_options& base) {
  const admn::test::fixture cases("networks/ave_unequal_cases.safetensors");
  const admn::tensor image = cases.get("image"), audio = cases.get("audio");
  const admn::const_view inputs[] = {image.view(), audio.view()};
  admn::workspace ws;
  std::stringstream names(cases.meta("cases"));
  for (std::string name; std::getline(names, name, ',');) {
    CAPTURE(name);
    const auto budgets = budgets_of(cases.meta(name + ".budgets"));
    admn::model::run_options options = base;
    if (budgets[0] == budgets[1] && budgets[1] == budgets[2])
      options.budget = budgets[0];
    else
      options.budgets = budgets;
    const auto result = net.run(inputs, options, ws);
    const admn::tensor mask = cases.get(name + ".layer_mask");
    for (std::size_t b = 0; b < 3; ++b)
      for (std::size_t m = 0; m < 2; ++m)
        for (std::size_t l = 0; l < net.depths()[m]; ++l)
          CHECK(result.plans[b][m].kept(l) == (mask.view()(b, m, l) == 1.0f));
    admn::test::check_close(result.controller_logits, cases.get(name + ".controller_logits"));
    admn::test::check_close(result.qoi, cases.get(name + ".qoi"));
    admn::test::check_close(result.output("logits"), cases.get(name + ".logits"));
  }
}

}  // namespace

TEST_CASE("AVE with block costs 3,1 in the config equals the PyTorch AVE-Unequal reference") {
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(std::string(ADMN_TEST_FIXTURES) + "/networks/ave_small.safetensors"));
  auto config = admn::zoo::config_of<admn::zoo::ave::network>(*file);
  config.costs = {3, 1};
  const auto net = admn::model::load<admn::zoo::ave::network>(admn::io::weight_source(file), config);
  check_cases(net, {});
}

TEST_CASE("AVE with block costs 3,1 given per call equals the PyTorch AVE-Unequal reference") {
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(std::string(ADMN_TEST_FIXTURES) + "/networks/ave_small.safetensors"));
  const auto net = admn::model::load<admn::zoo::ave::network>(
      admn::io::weight_source(file), admn::zoo::config_of<admn::zoo::ave::network>(*file));
  check_cases(net, {.costs = {3, 1}});
}
