// DynMM / AdaMML against PyTorch (tests/reference/related_dynmm.py): the gate's logits
// and choices, and per sample the chosen expert's outputs.
#include <admn/model/dynmm.hpp>

#include "common/fixture.hpp"
#include "related/dynmm_common.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using admn::tensor;
using admn::test::check_close;
using admn::test::fixture;
using admn::test::dynmm::adamml;

TEST_CASE("AdaMML selector and experts equal torch and every weight is used") {
  const fixture f("related/dynmm.safetensors");
  const auto net = adamml::load(f.weights(), admn::test::dynmm::config());
  std::vector<std::string> unused;
  for (const auto& key : f.weights().unused_keys())
    if (!key.starts_with("input.") && !key.starts_with("expert") && !key.starts_with("pred_") &&
        key != "paths" && key != "gate_logits")
      unused.push_back(key);
  CHECK(unused.empty());

  const tensor rgb = f.get("input.zed_camera_left"), depth = f.get("input.realsense_camera_depth");
  const admn::const_view inputs[] = {rgb.view(), depth.view()};
  admn::workspace ws;
  const auto result = net.run(inputs, {}, ws);
  check_close(result.gate_logits, f.get("gate_logits"));
  const tensor paths = f.get("paths");
  for (std::size_t b = 0; b < 6; ++b) {
    CAPTURE(b);
    CHECK(result.paths[b] == static_cast<std::size_t>(paths.data()[b]));
    CHECK(result.macs[b] == net.gate_macs() + net.expert_macs(result.paths[b]));
  }
  check_close(result.output("pred_mean"), f.get("pred_mean"));
  check_close(result.output("pred_cov"), f.get("pred_cov"));
  CHECK(ws.used() == 0);

  // Every expert on every sample, forced.
  for (std::size_t k = 0; k < 3; ++k) {
    CAPTURE(k);
    const auto forced = net.run(inputs, {.paths = std::vector<std::size_t>(6, k)}, ws);
    CHECK(forced.gate_logits.size() == 0);
    check_close(forced.output("pred_mean"), f.get("expert" + std::to_string(k) + ".pred_mean"));
    check_close(forced.output("pred_cov"), f.get("expert" + std::to_string(k) + ".pred_cov"));
    CHECK(forced.macs[0] == net.expert_macs(k));
  }
}
