// DynMM's modality gate as the policy of one shared network (model/gate_policy.hpp): the
// gate and fused expert of tests/fixtures/related/dynmm.safetensors as one network.
#include <admn/model/gate_policy.hpp>

#include "common/error_id.hpp"
#include "common/fixture.hpp"
#include "common/sized_run.hpp"
#include "related/dynmm_common.hpp"
#include "related/related_common.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace gate_policy_test {

namespace m = admn::model;
using shared = m::network<m::modality_gate_policy, m::transformer_fusion, m::gaussian_2d,
                          admn::test::dynmm::rgb, admn::test::dynmm::depth>;

constexpr const char* rgb_name = "zed_camera_left";
constexpr const char* depth_name = "realsense_camera_depth";

// The fixture's gate (selector.*) and its fused expert (fused.*, keys moved to the root),
// written to one temporary file: one network whose gate picks image, depth or both.
class shared_weights {
 public:
  shared_weights() {
    const auto& file = fixture_.weights().file();
    for (const std::string& key : file.keys()) {
      if (key.starts_with("selector."))
        tensors_.emplace_back(key, fixture_.get(key));
      else if (key.starts_with("fused."))
        tensors_.emplace_back(key.substr(6), fixture_.get(key));
    }
    std::vector<std::pair<std::string, const admn::tensor*>> entries;
    for (const auto& [key, t] : tensors_) entries.emplace_back(key, &t);
    file_ = std::make_unique<admn::test::temp_weights>("gate-policy", entries);
    weights_.emplace(
        std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(file_->path())));
  }
  [[nodiscard]] const admn::io::weight_source& weights() const { return *weights_; }
  [[nodiscard]] const admn::test::fixture& fixture() const { return fixture_; }

 private:
  admn::test::fixture fixture_{"related/dynmm.safetensors"};
  std::vector<std::pair<std::string, admn::tensor>> tensors_;
  std::unique_ptr<admn::test::temp_weights> file_;
  std::optional<admn::io::weight_source> weights_;
};

m::network_config shared_config() {
  m::network_config c;
  for (const char* prefix : {"vision", "depth"})
    c.modalities.push_back({.backbone_prefix = std::string(prefix) + ".",
                            .adapter_prefix = std::string(prefix) + "_adapter.",
                            .heads = 2,
                            .instances = 2,
                            .image = {16, 16}});
  c.fusion.heads = 4;
  c.controller = {.prefix = "selector.", .heads = 4};
  c.paths = {rgb_name, depth_name, std::string(rgb_name) + "+" + depth_name};
  return c;
}

bool same_bits(const admn::tensor& a, const admn::tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace gate_policy_test

TEST_CASE("a modality gate policy runs each sample on its path's modalities of one shared network") {
  using namespace gate_policy_test;
  const shared_weights sw;
  const auto net = m::load<shared>(sw.weights(), shared_config());
  static_assert(!shared::has_controller());
  const auto& policy = net.policy();
  REQUIRE(policy.paths() == 3);
  CHECK(policy.path_modalities(0) == 0b01u);
  CHECK(policy.path_modalities(1) == 0b10u);
  CHECK(policy.path_modalities(2) == 0b11u);
  CHECK(policy.path_plan(0).to_string() == "0,1;");
  CHECK(policy.path_plan(2).to_string() == "0,1;0,1");
  const std::string described = net.describe();
  CHECK(described.find("modality gate choosing among zed_camera_left | realsense_camera_depth | "
                       "zed_camera_left+realsense_camera_depth; gate over 3 paths") != std::string::npos);
  std::vector<std::string> unused;
  for (const auto& key : sw.weights().unused_keys()) unused.push_back(key);
  CHECK(unused.empty());

  const admn::test::fixture& f = sw.fixture();
  const admn::tensor rgb = f.get("input.zed_camera_left"), depth = f.get("input.realsense_camera_depth");
  const admn::const_view inputs[] = {rgb.view(), depth.view()};
  admn::workspace ws;
  const auto result =
      admn::test::sized_by_first_run([&](admn::workspace& w) { return net.run(inputs, {}, w); });

  // The gate on its own: the policy's logits and plans are its logits and their argmax paths.
  admn::tensor logits(admn::shape{6, 3});
  admn::workspace gate_ws;
  policy.gate().forward(inputs, logits.view(), gate_ws);
  CHECK(same_bits(result.controller_logits, logits));
  CHECK(result.qoi.size() == 0);
  admn::test::check_close(logits, f.get("gate_logits"));  // and PyTorch's
  const admn::tensor torch_paths = f.get("paths");
  const auto depths = net.depths();
  std::vector<admn::adaptive::layer_plan> plans;
  std::vector<std::size_t> chosen;
  for (std::size_t b = 0; b < 6; ++b) {
    const std::size_t k = m::modality_gate::select(std::span<const float>(logits.data() + b * 3, 3));
    CAPTURE(b);
    CHECK(k == static_cast<std::size_t>(torch_paths.data()[b]));
    plans.push_back(m::modality_subset_plan(static_cast<std::uint32_t>(k + 1), depths));
    CHECK(result.plans[b] == plans.back());
    chosen.push_back(k);
  }
  // Every path is taken in this batch (the fixture's seed is chosen for it).
  for (std::size_t k = 0; k < 3; ++k) CHECK(std::count(chosen.begin(), chosen.end(), k) > 0);

  // The same plans given explicitly: the same outputs, bit for bit.
  const auto explicit_plans = net.run(inputs, {.plans = plans}, ws);
  CHECK(explicit_plans.controller_logits.size() == 0);
  CHECK(same_bits(result.output("pred_mean"), explicit_plans.output("pred_mean")));
  CHECK(same_bits(result.output("pred_cov"), explicit_plans.output("pred_cov")));

  // A sample on the fused path ran the fused expert whole: PyTorch's expert 2.
  const admn::tensor fused_mean = f.get("expert2.pred_mean");
  std::vector<float> got, want;
  for (std::size_t b = 0; b < 6; ++b)
    if (chosen[b] == 2)
      for (std::size_t j = 0; j < 2; ++j) {
        got.push_back(result.output("pred_mean")(b, j));
        want.push_back(fused_mean(b, j));
      }
  CHECK(admn::test::relative_error(got, want) <= 1e-5);

  // MACs: the gate counts with the policy, once per sample.
  CHECK(net.macs(plans[0]) - net.macs(plans[0], false) == policy.gate().macs(1));
  CHECK(policy.macs(1) == policy.gate().macs(1));
}

TEST_CASE("a modality gate policy rejects bad paths and budgets with typed errors") {
  using namespace gate_policy_test;
  using admn::test::error_id;
  const shared_weights sw;
  const auto load_with = [&](std::vector<std::string> paths) {
    auto c = shared_config();
    c.paths = std::move(paths);
    return [&sw, c] { (void)m::load<shared>(sw.weights(), c); };
  };
  const std::string both = std::string(rgb_name) + "+" + depth_name;
  CHECK(error_id(load_with({})) == "admn.gate.paths");
  CHECK(error_id(load_with({rgb_name, "thermal", both})) == "admn.gate.modality");
  CHECK(error_id(load_with({rgb_name, depth_name, std::string(rgb_name) + "+"})) == "admn.gate.modality");
  CHECK(error_id(load_with({rgb_name, depth_name, std::string(rgb_name) + "+" + rgb_name})) ==
        "admn.gate.duplicate");
  CHECK(error_id(load_with({rgb_name, depth_name, std::string(depth_name) + "+" + rgb_name, both})) ==
        "admn.gate.duplicate");
  CHECK(error_id(load_with({rgb_name, both})) == "admn.gate.width");
  // Messages name the offending value.
  try {
    load_with({rgb_name, "thermal", both})();
    FAIL("no error");
  } catch (const admn::config_error& e) {
    CHECK(std::string(e.what()).find("'thermal'") != std::string::npos);
  }
  try {
    load_with({rgb_name, both})();
    FAIL("no error");
  } catch (const admn::config_error& e) {
    CHECK(std::string(e.what()).find("scores 3 paths, the config lists 2") != std::string::npos);
  }
  auto c = shared_config();
  c.controller.prefix = "nowhere.";
  CHECK(error_id([&] { (void)m::load<shared>(sw.weights(), c); }) == "admn.load.missing");

  const auto net = m::load<shared>(sw.weights(), shared_config());
  const admn::test::fixture& f = sw.fixture();
  const admn::tensor rgb = f.get("input.zed_camera_left"), depth = f.get("input.realsense_camera_depth");
  const admn::const_view inputs[] = {rgb.view(), depth.view()};
  admn::workspace ws;
  CHECK(error_id([&] { (void)net.run(inputs, {.budget = 2}, ws); }) == "admn.network.budget");
  CHECK(error_id([&] {
          (void)net.run(inputs, {.budgets = {1, 2, 3, 4, 1, 2}}, ws);
        }) == "admn.network.budget");
  CHECK(error_id([&] { (void)net.run(inputs, {.costs = {3, 1}}, ws); }) == "admn.gate.options");
  CHECK(error_id([&] { (void)net.run(inputs, {.sample = m::gumbel_sampling{}}, ws); }) ==
        "admn.gate.options");
  CHECK(ws.used() == 0);
}
