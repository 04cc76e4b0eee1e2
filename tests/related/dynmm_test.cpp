// DynMM composition: the modality union, sample routing, MAC accounting, errors, and
// the single-network variant with empty masks.
#include <admn/model/dynmm.hpp>

#include "common/error_id.hpp"
#include "common/fixture.hpp"
#include "common/sized_run.hpp"
#include "related/dynmm_common.hpp"
#include "tiny_model.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using admn::tensor;
using admn::test::dynmm::adamml;
namespace m = admn::model;

using admn::test::error_id;

static_assert(adamml::path_count == 3);
static_assert(adamml::modality_count == 2);
static_assert(adamml::modality_names()[0] == "zed_camera_left");
static_assert(adamml::modality_names()[1] == "realsense_camera_depth");
// The union keeps first appearance: an expert list starting with depth puts depth first.
static_assert(
    m::gated_experts<admn::test::dynmm::depth_only, admn::test::dynmm::fused>::modality_names()[0] ==
    "realsense_camera_depth");

TEST_CASE("gated experts route each sample to its expert alone, whatever the batch") {
  const admn::test::fixture f("related/dynmm.safetensors");
  const auto net = adamml::load(f.weights(), admn::test::dynmm::config());
  CHECK(net.path_modalities(0).size() == 1);
  CHECK(net.path_modalities(1)[0] == 1);
  CHECK(net.path_modalities(2).size() == 2);
  // Same block evaluations (4 blocks × 2 nodes vs 2 + 2 blocks × 2 nodes), plus a second patch embedding and
  // fusion tokens.
  CHECK(net.expert_macs(2) > net.expert_macs(0));
  CHECK(net.expert_macs(0) == net.expert_macs(1));
  CHECK(net.all_experts_macs() ==
        net.gate_macs() + net.expert_macs(0) + net.expert_macs(1) + net.expert_macs(2));
  MESSAGE(net.describe());

  const tensor rgb = f.get("input.zed_camera_left"), depth = f.get("input.realsense_camera_depth");
  const admn::const_view inputs[] = {rgb.view(), depth.view()};
  admn::workspace ws;
  const auto all = admn::test::sized_by_first_run([&](admn::workspace& w) { return net.run(inputs, {}, w); });
  // One sample at a time gives the same paths and outputs.
  const std::size_t per_rgb = rgb.size() / 6, per_depth = depth.size() / 6;
  for (std::size_t b = 0; b < 6; ++b) {
    const admn::const_view one[] = {
        admn::const_view(rgb.data() + b * per_rgb, admn::shape{1, 2, 3, 16, 16}),
        admn::const_view(depth.data() + b * per_depth, admn::shape{1, 2, 3, 16, 16})};
    const auto single = net.run(one, {}, ws);
    CHECK(single.paths[0] == all.paths[b]);
    const auto& mean = single.output("pred_mean");
    CHECK(mean(0, 0) == doctest::Approx(all.output("pred_mean")(b, 0)).epsilon(1e-5));
    CHECK(mean(0, 1) == doctest::Approx(all.output("pred_mean")(b, 1)).epsilon(1e-5));
  }
  // Mixed forced paths: rows come from the right expert.
  const std::vector<std::size_t> mixed{2, 0, 1, 1, 0, 2};
  const auto routed = net.run(inputs, {.paths = mixed}, ws);
  // (Relative L2 error over the routed rows: single values near 0 of a ±200 output
  // carry float noise of ~1e-7 of the scale.)
  std::vector<float> got, want;
  for (std::size_t k = 0; k < 3; ++k) {
    const tensor expected = f.get("expert" + std::to_string(k) + ".pred_mean");
    for (std::size_t b = 0; b < 6; ++b)
      if (mixed[b] == k) {
        for (std::size_t j = 0; j < 2; ++j) {
          got.push_back(routed.output("pred_mean")(b, j));
          want.push_back(expected(b, j));
        }
        CHECK(routed.macs[b] == net.expert_macs(k));
      }
  }
  CHECK(admn::test::relative_error(got, want) <= 1e-5);
  // MACs saved per sample against computing every expert (the PyTorch baseline).
  for (std::size_t b = 0; b < 6; ++b) CHECK(all.macs[b] < net.all_experts_macs());
}

TEST_CASE("gated experts reject bad configs, inputs and paths with typed errors") {
  const admn::test::fixture f("related/dynmm.safetensors");
  auto config = admn::test::dynmm::config();
  config.experts.pop_back();
  CHECK(error_id([&] { (void)adamml::load(f.weights(), config); }) == "admn.experts.config");
  config = admn::test::dynmm::config();
  config.experts[2].modalities[0].instances = 3;
  CHECK(error_id([&] { (void)adamml::load(f.weights(), config); }) == "admn.experts.modality");
  config = admn::test::dynmm::config();
  config.expert_prefixes[1] = "nowhere.";
  CHECK(error_id([&] { (void)adamml::load(f.weights(), config); }) == "admn.load.missing");

  const auto net = adamml::load(f.weights(), admn::test::dynmm::config());
  admn::workspace ws;
  const tensor rgb = f.get("input.zed_camera_left"), depth = f.get("input.realsense_camera_depth");
  tensor small(admn::shape{6, 2, 3, 8, 16}), short_batch(admn::shape{5, 2, 3, 16, 16});
  const admn::const_view wrong_size[] = {rgb.view(), small.view()};
  CHECK(error_id([&] { (void)net.run(wrong_size, {}, ws); }) == "admn.network.input");
  const admn::const_view wrong_batch[] = {rgb.view(), short_batch.view()};
  CHECK(error_id([&] { (void)net.run(wrong_batch, {}, ws); }) == "admn.network.batch");
  const admn::const_view one[] = {rgb.view()};
  CHECK(error_id([&] { (void)net.run(one, {}, ws); }) == "admn.network.inputs");
  const admn::const_view inputs[] = {rgb.view(), depth.view()};
  CHECK(error_id([&] { (void)net.run(inputs, {.paths = {0, 1}}, ws); }) == "admn.experts.paths");
  CHECK(error_id([&] { (void)net.run(inputs, {.paths = {0, 1, 2, 3, 0, 0}}, ws); }) == "admn.experts.paths");
  const float nan_logits[] = {0.0f, std::nanf(""), 1.0f};
  CHECK(error_id([&] { (void)m::modality_gate::select(nan_logits); }) == "admn.gate.nan");
  // The gate on its own checks every input's shape against what its encoders were built for.
  tensor gate_logits(admn::shape{6, 3});
  CHECK(error_id([&] { net.gate().forward(wrong_size, gate_logits.view(), ws); }) == "admn.gate.input");
  const float tie[] = {1.0f, 3.0f, 3.0f};
  CHECK(m::modality_gate::select(tie) == 1);
}

TEST_CASE("on one shared network, a modality subset plan skips the other modalities' backbones") {
  using rgb = m::modality<"rgb", m::image_input<3>, m::preprocess<>, m::vit<3>>;
  using thermal = m::modality<"thermal", m::image_input<3>, m::preprocess<>, m::vit<3>>;
  using shared = m::network<m::no_controller, m::transformer_fusion, m::classifier, rgb, thermal>;
  const auto path = std::filesystem::temp_directory_path() / "admn-related-dynmm-shared.safetensors";
  admn::examples::write_tiny_model(
      path,
      {.modalities = {{"rgb", "rgb.", "rgb_adapter.", 3}, {"thermal", "thermal.", "thermal_adapter.", 3}}},
      {});
  const admn::io::weight_source w(
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path)));
  m::network_config config;
  for (int i = 0; i < 2; ++i) config.modalities.push_back({.heads = 4, .instances = 2, .image = {32, 32}});
  config.fusion.heads = 4;
  const auto net = m::load<shared>(w, config);
  std::filesystem::remove(path);

  const auto depths = net.depths();
  const auto both = m::modality_subset_plan(0b11, depths), rgb_only = m::modality_subset_plan(0b01, depths);
  CHECK(both.to_string() == "0,1,2,3,4,5;0,1,2,3,4,5");
  CHECK(rgb_only.to_string() == "0,1,2,3,4,5;");
  const std::size_t thermal_cost =
      net.backbone(1).patch_embedding().macs(2, 32, 32) + 6 * net.backbone(1).block_macs(2);
  CHECK(net.macs(both, false) - net.macs(rgb_only, false) == thermal_cost);

  // Per-sample paths on one batch: the empty-mask modality contributes its constant token.
  tensor a(admn::shape{2, 2, 3, 32, 32}), b(admn::shape{2, 2, 3, 32, 32});
  for (std::size_t i = 0; i < a.size(); ++i) {
    a.data()[i] = static_cast<float>(i % 13) / 13.0f;
    b.data()[i] = static_cast<float>(i % 7) / 7.0f;
  }
  const admn::const_view inputs[] = {a.view(), b.view()};
  admn::workspace ws;
  const auto mixed = net.run(inputs, {.plans = {rgb_only, both}}, ws);
  const auto full = net.run(inputs, {.plan = both}, ws);
  const auto& l_mixed = mixed.output("logits");
  const auto& l_full = full.output("logits");
  CHECK(l_mixed(1, 0) == doctest::Approx(l_full(1, 0)).epsilon(1e-5));  // sample 1 ran both modalities
  CHECK(l_mixed(0, 0) != doctest::Approx(l_full(0, 0)).epsilon(1e-5));  // sample 0 saw thermal's constant
  // Changing thermal's input does not change an rgb-only sample.
  tensor b2(admn::shape{2, 2, 3, 32, 32});
  b2.fill(3.0f);
  const admn::const_view inputs2[] = {a.view(), b2.view()};
  const auto mixed2 = net.run(inputs2, {.plans = {rgb_only, both}}, ws);
  CHECK(mixed2.output("logits")(0, 0) == l_mixed(0, 0));
}
