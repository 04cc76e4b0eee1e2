// DynMM's fusion-level gating (model/gated_fusion.hpp): grouping by operator, bit identity
// with per-sample runs, MAC accounting, describe(), and errors; weights from
// tests/fixtures/related/dynmm_fusion.safetensors.
#include <admn/model/gate_policy.hpp>
#include <admn/model/gated_fusion.hpp>
#include <admn/model/network.hpp>

#include "common/error_id.hpp"
#include "common/fixture.hpp"
#include "common/sized_run.hpp"
#include "related/related_common.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace gated_fusion_unit {

namespace m = admn::model;
using rgb = m::modality<"rgb", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using depth = m::modality<"depth", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using gated = m::gated_fusion<m::mean_fusion, m::transformer_fusion>;
using net_type = m::network<m::static_plans, gated, m::classifier, rgb, depth>;

// A mean fusion that records the batch of every call (to see which samples an operator ran on).
template <std::size_t K>
struct recording_mean {
  static constexpr bool is_fusion = true;
  struct runtime : m::adapter_mean {
    explicit runtime(m::adapter_mean a) : m::adapter_mean(std::move(a)) {}
    static runtime load(const admn::io::weight_source& w, const m::fusion_spec& spec) {
      return runtime(m::adapter_mean::load(w, spec));
    }
    void forward(std::span<const admn::const_view> features, std::size_t batch, admn::mutable_view out,
                 admn::workspace& ws) const {
      calls.push_back(batch);
      m::adapter_mean::forward(features, batch, out, ws);
    }
    static inline std::vector<std::size_t> calls{};
  };
};
using recording_net = m::network<m::static_plans, m::gated_fusion<recording_mean<0>, recording_mean<1>>,
                                 m::classifier, rgb, depth>;

m::network_config fusion_config() {
  m::network_config c;
  for (int i = 0; i < 2; ++i) c.modalities.push_back({.heads = 2, .instances = 2, .image = {16, 16}});
  c.fusion.heads = 4;
  c.static_plan = "all";
  return c;
}

// The fixture's tensors with some replaced or added, as a temporary file.
class changed_weights {
 public:
  changed_weights(const admn::test::fixture& f, std::map<std::string, admn::tensor> changes) {
    for (const std::string& key : f.weights().file().keys()) {
      const auto it = changes.find(key);
      if (it == changes.end()) {
        tensors_.emplace_back(key, f.get(key));
        continue;
      }
      tensors_.emplace_back(key, std::move(it->second));
      changes.erase(it);
    }
    for (auto& [key, t] : changes) tensors_.emplace_back(key, std::move(t));
    std::vector<std::pair<std::string, const admn::tensor*>> entries;
    for (const auto& [key, t] : tensors_) entries.emplace_back(key, &t);
    file_ = std::make_unique<admn::test::temp_weights>("gated-fusion", entries);
    weights_.emplace(
        std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(file_->path())));
  }
  [[nodiscard]] const admn::io::weight_source& weights() const { return *weights_; }

 private:
  std::vector<std::pair<std::string, admn::tensor>> tensors_;
  std::unique_ptr<admn::test::temp_weights> file_;
  std::optional<admn::io::weight_source> weights_;
};

bool same_row(const admn::tensor& a, std::size_t row_a, const admn::tensor& b, std::size_t row_b) {
  const std::size_t width = a.shape()[1];
  return width == b.shape()[1] &&
         std::memcmp(a.data() + row_a * width, b.data() + row_b * width, width * sizeof(float)) == 0;
}

// Runs each sample of the batch alone, in a workspace sized for one sample (a short one
// throws), and checks its plan, fusion operator and logits against the batch's, bit for bit.
template <class Net>
void check_per_sample(const Net& net, const admn::tensor& rgb_in, const admn::tensor& depth_in,
                      const m::network_result& batch) {
  const std::size_t samples = rgb_in.shape()[0], per = rgb_in.size() / samples;
  admn::workspace ws;
  for (std::size_t b = 0; b < samples; ++b) {
    CAPTURE(b);
    const admn::const_view one[] = {
        admn::const_view(rgb_in.data() + b * per, admn::shape{1, 2, 3, 16, 16}),
        admn::const_view(depth_in.data() + b * per, admn::shape{1, 2, 3, 16, 16})};
    const auto single = net.run(one, {}, ws);
    REQUIRE(single.fusion_paths.size() == 1);
    CHECK(single.plans[0] == batch.plans[b]);
    CHECK(single.fusion_paths[0] == batch.fusion_paths[b]);
    CHECK(same_row(single.output("logits"), 0, batch.output("logits"), b));
  }
}

}  // namespace gated_fusion_unit

TEST_CASE("a gated fusion runs each operator once on its samples, as per-sample runs do, bit for bit") {
  using namespace gated_fusion_unit;
  const admn::test::fixture f("related/dynmm_fusion.safetensors");
  const auto net = m::load<net_type>(f.weights(), fusion_config());
  const admn::tensor rgb_in = f.get("input.rgb"), depth_in = f.get("input.depth");
  const admn::const_view inputs[] = {rgb_in.view(), depth_in.view()};
  admn::workspace ws;
  const auto batch =
      admn::test::sized_by_first_run([&](admn::workspace& w) { return net.run(inputs, {}, w); });
  // Both operators are chosen, and neither's samples are adjacent: both groups are gathered.
  const std::vector<std::size_t> expected_paths{1, 0, 0, 0, 0, 0, 1, 0};
  CHECK(batch.fusion_paths == expected_paths);

  check_per_sample(net, rgb_in, depth_in, batch);
  const std::size_t per = rgb_in.size() / 8;
  // A batch whose samples of one operator are adjacent runs them in place: same rows again.
  const admn::const_view tail[] = {admn::const_view(rgb_in.data() + 1 * per, admn::shape{5, 2, 3, 16, 16}),
                                   admn::const_view(depth_in.data() + 1 * per, admn::shape{5, 2, 3, 16, 16})};
  admn::workspace tail_ws;
  const auto adjacent = net.run(tail, {}, tail_ws);
  CHECK(adjacent.fusion_paths == std::vector<std::size_t>(5, 0));
  for (std::size_t b = 0; b < 5; ++b)
    CHECK(same_row(adjacent.output("logits"), b, batch.output("logits"), b + 1));

  // Operators that record their calls: one call each, on exactly the samples that chose it.
  const auto recording = m::load<recording_net>(f.weights(), fusion_config());
  admn::workspace recording_ws;
  recording_mean<0>::runtime::calls.clear();
  recording_mean<1>::runtime::calls.clear();
  const auto recorded = recording.run(inputs, {}, recording_ws);
  CHECK(recorded.fusion_paths == expected_paths);
  CHECK(recording_mean<0>::runtime::calls == std::vector<std::size_t>{6});
  CHECK(recording_mean<1>::runtime::calls == std::vector<std::size_t>{2});
  CHECK(recording_ws.used() == 0);
}

TEST_CASE("a gated fusion accounts MACs per operator and describes itself") {
  using namespace gated_fusion_unit;
  const admn::test::fixture f("related/dynmm_fusion.safetensors");
  const auto net = m::load<net_type>(f.weights(), fusion_config());
  const auto& fusion = net.fusion();
  // Gate: (16 + 24)·8 + 8·2; mean fusion: per instance 16·12 + 12·16 (rgb), 24·12 + 12·16 (depth).
  CHECK(fusion.gate_macs() == 336);
  CHECK(fusion.operator_macs(0) == 2 * 384 + 2 * 480);
  CHECK(fusion.operator_macs(1) > fusion.operator_macs(0));
  CHECK(fusion.operator_macs(1) == fusion.op<1>().macs(1));
  CHECK(fusion.sample_macs(0) == 336 + 1728);
  CHECK(fusion.sample_macs(1) == 336 + fusion.operator_macs(1));
  CHECK(fusion.macs(1) == fusion.sample_macs(1));  // the bound: the dearest operator
  CHECK(fusion.macs(3) == fusion.gate_macs(3) + fusion.operator_macs(1, 3));

  const std::string described = fusion.describe();
  MESSAGE(described);
  CHECK(described ==
        "gated fusion over 2 operators, gate 40 -> 8 -> 2 (336 MAC); operator 0: mean of 4 adapted "
        "tokens, width 16 (1728 MAC per sample); operator 1: transformer fusion of 4 tokens, width "
        "16, 1 layers (" +
            std::to_string(fusion.operator_macs(1)) + " MAC per sample)");
  CHECK(net.describe().find("\n  fusion: gated fusion over 2 operators") != std::string::npos);
}

TEST_CASE("a gated fusion rejects operators of different widths, a wrong gate and NaN logits") {
  using namespace gated_fusion_unit;
  using admn::test::error_id;
  const admn::test::fixture f("related/dynmm_fusion.safetensors");
  {
    // The mean operator's adapters give width 8, the transformer's 16.
    std::map<std::string, admn::tensor> narrow;
    for (const char* mod : {"rgb", "depth"}) {
      narrow.emplace("fusion.0." + std::string(mod) + "_adapter.fc2.weight",
                     admn::tensor(admn::shape{8, 12}));
      narrow.emplace("fusion.0." + std::string(mod) + "_adapter.fc2.bias", admn::tensor(admn::shape{8}));
    }
    const changed_weights w(f, std::move(narrow));
    try {
      (void)m::load<net_type>(w.weights(), fusion_config());
      FAIL("no error");
    } catch (const admn::shape_error& e) {
      CHECK(e.id() == "admn.fusion_gate.shape");
      const std::string what = e.what();
      CHECK(what.find("operator 0 (mean of 4 adapted tokens, width 8) gives width 8") != std::string::npos);
      CHECK(what.find("operator 1 (transformer fusion") != std::string::npos);
      CHECK(what.find(") gives 16") != std::string::npos);
    }
  }
  {
    // A gate that scores three operators.
    std::map<std::string, admn::tensor> three;
    three.emplace("fusion_gate.2.weight", admn::tensor(admn::shape{3, 8}));
    three.emplace("fusion_gate.2.bias", admn::tensor(admn::shape{3}));
    const changed_weights w(f, std::move(three));
    CHECK(error_id([&] { (void)m::load<net_type>(w.weights(), fusion_config()); }) == "admn.load.shape");
  }
  {
    // A gate that takes other feature widths than the backbones give.
    std::map<std::string, admn::tensor> wide;
    wide.emplace("fusion_gate.0.weight", admn::tensor(admn::shape{8, 48}));
    const changed_weights w(f, std::move(wide));
    CHECK(error_id([&] { (void)m::load<net_type>(w.weights(), fusion_config()); }) == "admn.load.shape");
  }

  const auto net = m::load<net_type>(f.weights(), fusion_config());
  admn::tensor rgb_f = f.get("feature.rgb");
  const admn::tensor depth_f = f.get("feature.depth");
  rgb_f(6, 3) = std::nanf("");  // sample 3's first rgb instance
  const admn::const_view features[] = {rgb_f.view(), depth_f.view()};
  admn::tensor out(admn::shape{8, 16});
  admn::workspace ws;
  std::vector<std::size_t> paths;
  try {
    net.fusion().forward(features, 8, out.view(), ws, paths);
    FAIL("no error");
  } catch (const admn::argument_error& e) {
    CHECK(e.id() == "admn.fusion_gate.nan");
    CHECK(std::string(e.what()).find("sample 3:") != std::string::npos);
  }
  CHECK(ws.used() == 0);
  const float tie[] = {0.5f, 0.5f};
  CHECK(gated::runtime::select(tie) == 0);
  const float second[] = {0.5f, 0.75f};
  CHECK(gated::runtime::select(second) == 1);
}

TEST_CASE("both of DynMM's decisions in one network: a modality gate policy and a gated fusion") {
  using namespace gated_fusion_unit;
  // dynmm_fusion's network plus dynmm's modality gate (its encoders renamed to this network's
  // modalities; both fixtures take 2 instances of 3x16x16 per modality).
  const admn::test::fixture f("related/dynmm_fusion.safetensors"), d("related/dynmm.safetensors");
  std::map<std::string, admn::tensor> gate;
  for (const std::string& key : d.weights().file().keys()) {
    if (!key.starts_with("selector.")) continue;
    std::string renamed = key;
    const std::pair<std::string, std::string> renames[] = {
        {"selector.encoder_dict.zed_camera_left.", "selector.encoder_dict.rgb."},
        {"selector.encoder_dict.realsense_camera_depth.", "selector.encoder_dict.depth."}};
    for (const auto& rename : renames)
      if (renamed.starts_with(rename.first)) renamed = rename.second + renamed.substr(rename.first.size());
    gate.emplace(renamed, d.get(key));
  }
  const changed_weights w(f, std::move(gate));
  using both = m::network<m::modality_gate_policy, gated, m::classifier, rgb, depth>;
  auto config = fusion_config();
  config.static_plan.clear();
  config.controller = {.prefix = "selector.", .heads = 4};
  config.paths = {"rgb", "depth", "rgb+depth"};
  const auto net = m::load<both>(w.weights(), config);

  const admn::tensor rgb_in = f.get("input.rgb"), depth_in = f.get("input.depth");
  const admn::const_view inputs[] = {rgb_in.view(), depth_in.view()};
  admn::workspace ws;
  const auto result = net.run(inputs, {}, ws);
  REQUIRE(result.fusion_paths.size() == 8);
  std::string chosen;
  for (std::size_t b = 0; b < 8; ++b) {
    const std::size_t k =
        m::modality_gate::select(std::span<const float>(result.controller_logits.data() + b * 3, 3));
    CHECK(result.plans[b] == net.policy().path_plan(k));
    chosen +=
        net.policy().path_name(k) + " / " + (result.fusion_paths[b] == 0 ? "mean" : "transformer") + "; ";
  }
  MESSAGE("modality paths / fusion operators: " << chosen);

  // The policy's plans given explicitly: the same fusion choices and logits, bit for bit.
  const auto given = net.run(inputs, {.plans = result.orders}, ws);
  CHECK(given.fusion_paths == result.fusion_paths);
  CHECK(std::memcmp(given.output("logits").data(), result.output("logits").data(), 8 * 5 * sizeof(float)) ==
        0);
  // And one sample at a time.
  check_per_sample(net, rgb_in, depth_in, result);
}
