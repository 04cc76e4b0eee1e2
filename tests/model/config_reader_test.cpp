// admn.config read into a network_config: every key, every error id.
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/model/config_reader.hpp>

#include "common/error_id.hpp"
#include "common/tiny_network.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace m = admn::model;
namespace k = admn::kernels;

namespace {

constexpr std::array<std::string_view, 3> names{"thermal", "rgb", "depth"};

m::network_config parse(const std::string& text) { return m::parse_network_config(text, names); }

// The error id and message of parsing `text`.
std::pair<std::string, std::string> failure(const std::string& text) {
  try {
    (void)parse(text);
  } catch (const admn::error& e) {
    return {e.id(), e.what()};
  }
  return {"none", ""};
}

}  // namespace

TEST_CASE("an empty admn.config keeps network_config's defaults, one modality config per modality") {
  const m::network_config c = parse("{}");
  const m::network_config d;
  REQUIRE(c.modalities.size() == 3);
  for (const auto& mc : c.modalities) {
    CHECK(mc.backbone_prefix.empty());  // the network derives "<name>."
    CHECK_FALSE(mc.heads);
    CHECK(mc.instances == 1);
    CHECK(mc.image == std::array<std::size_t, 2>{224, 224});
  }
  CHECK(c.head_prefix == d.head_prefix);
  CHECK(c.controller.prefix == d.controller.prefix);
  CHECK(c.fusion.heads == d.fusion.heads);
  CHECK(c.costs.empty());
  CHECK(c.static_plan.empty());
  CHECK(parse(R"({"description": "a model of mine"})").modalities.size() == 3);
}

TEST_CASE("admn.config sets every field of a modality, and named modalities override every_modality") {
  const m::network_config c = parse(R"({
    "modalities": {"rgb": {"heads": 6, "image_size": [48, 64], "instances": 3}},
    "every_modality": {
      "backbone_prefix": "backbones.x.", "adapter_prefix": "adapters.x.", "heads": 4, "instances": 2,
      "image_size": [32, 32], "eps": 1e-6, "activation": {"kind": "prelu", "slope": 0.25},
      "precision": "int8", "collapse_linear_mlps": 0.05, "layer_position_key": "order_table",
      "encoder": {"resize": [50, 60], "pool": [3, 6], "instances": 1}}})");
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    const auto& mc = c.modalities[i];
    CHECK(mc.backbone_prefix == "backbones.x.");
    CHECK(mc.adapter_prefix == "adapters.x.");
    CHECK(mc.eps == 1e-6f);
    CHECK(mc.mlp_activation.kind == k::activation::prelu);
    CHECK(mc.mlp_activation.slope == 0.25f);
    CHECK(mc.precision == k::precision::int8);
    CHECK(mc.collapse_linear_mlps == 0.05f);
    CHECK(mc.layer_position_key == "order_table");
    CHECK(mc.encoder.resize == std::array<std::size_t, 2>{50, 60});
    CHECK(mc.encoder.pool == std::array<std::size_t, 2>{3, 6});
    CHECK(mc.encoder.instances == 1);
  }
  CHECK(c.modalities[0].heads == 4);
  CHECK(c.modalities[0].instances == 2);
  CHECK(c.modalities[0].image == std::array<std::size_t, 2>{32, 32});
  CHECK(c.modalities[1].heads == 6);
  CHECK(c.modalities[1].instances == 3);
  CHECK(c.modalities[1].image == std::array<std::size_t, 2>{48, 64});
}

TEST_CASE("admn.config names activations and precisions by their command-line names") {
  const std::pair<const char*, k::activation> activations[] = {{"none", k::activation::none},
                                                               {"relu", k::activation::relu},
                                                               {"leaky_relu", k::activation::leaky_relu},
                                                               {"gelu_erf", k::activation::gelu_erf},
                                                               {"gelu_tanh", k::activation::gelu_tanh},
                                                               {"prelu", k::activation::prelu}};
  for (const auto& [name, kind] : activations) {
    const auto& name_ = name;  // clang 14: no structured binding in a lambda
    CAPTURE(name_);
    const auto c = parse(std::string(R"({"modalities": {"depth": {"activation": ")") + name + "\"}}}");
    CHECK(c.modalities[2].mlp_activation.kind == kind);
    CHECK(c.modalities[2].mlp_activation.slope == k::activation_fn{}.slope);
    CHECK(c.modalities[0].mlp_activation.kind == k::activation::gelu_erf);  // untouched
  }
  for (const auto p : {k::precision::fp32, k::precision::bf16, k::precision::int8}) {
    const auto c = parse(R"({"every_modality": {"precision": ")" + std::string(k::to_string(p)) + "\"}}");
    CHECK(c.modalities[1].precision == p);
  }
}

TEST_CASE("admn.config sets the controller, fusion, head, costs and static plan") {
  const m::network_config c = parse(R"({
    "controller": {"prefix": "policy.", "heads": 2, "antialias": false, "qoi_scale": 3.5, "eps": 1e-6},
    "fusion": {"heads": 8, "eps": 1e-6, "adapter_activation": {"kind": "leaky_relu", "slope": 0.2},
               "adapter_keys": {"fc1": "0.", "fc2": "2.", "act": "1."}},
    "head_prefix": "classifier.",
    "costs": [3, 1, 2],
    "static_plan": "first:2,3,4"})");
  CHECK(c.controller.prefix == "policy.");
  CHECK(c.controller.heads == 2);
  CHECK_FALSE(c.controller.antialias);
  CHECK(c.controller.qoi_scale == 3.5f);
  CHECK(c.controller.eps == 1e-6f);
  CHECK(c.fusion.heads == 8);
  CHECK(c.fusion.eps == 1e-6f);
  CHECK(c.fusion.adapter_activation.kind == k::activation::leaky_relu);
  CHECK(c.fusion.adapter_activation.slope == 0.2f);
  CHECK(c.fusion.adapter_keys.fc1 == "0.");
  CHECK(c.fusion.adapter_keys.fc2 == "2.");
  CHECK(c.fusion.adapter_keys.act == "1.");
  CHECK(c.head_prefix == "classifier.");
  CHECK(c.costs == std::vector<std::size_t>{3, 1, 2});
  CHECK(c.static_plan == "first:2,3,4");
}

TEST_CASE("admn.config rejects unknown and repeated keys, naming them: [admn.config.key]") {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"vit_heads": 12})", "'vit_heads'"},
      {R"({"modalities": {"rgb": {"head": 4}}})", "'modalities.rgb.head'"},
      {R"({"modalities": {"audio": {"heads": 4}}})", "'modalities.audio': the network has no such modality"},
      {R"({"every_modality": {"encoder": {"stride": [1, 1]}}})", "'every_modality.encoder.stride'"},
      {R"({"every_modality": {"activation": {"kind": "relu", "alpha": 1}}})",
       "'every_modality.activation.alpha'"},
      {R"({"controller": {"layers": 2}})", "'controller.layers'"},
      {R"({"fusion": {"adapter_keys": {"fc3": "x."}}})", "'fusion.adapter_keys.fc3'"},
      {R"({"fusion": {"depth": 2}})", "'fusion.depth'"},
      {R"({"head_prefix": "a.", "head_prefix": "b."})", "'head_prefix' appears twice"},
      {R"({"modalities": {"rgb": {"heads": 4, "heads": 6}}})", "'modalities.rgb.heads' appears twice"},
      {R"({"modalities": {"rgb": {}, "rgb": {}}})", "'modalities.rgb' appears twice"},
  };
  for (const auto& [text, named] : cases) {
    const auto& text_ = text;  // clang 14: no structured binding in a lambda
    CAPTURE(text_);
    const auto [id, message] = failure(text);
    CHECK(id == "admn.config.key");
    CHECK(message.find(named) != std::string::npos);
  }
}

TEST_CASE(
    "admn.config rejects values of the wrong type or out of range, naming key and value: "
    "[admn.config.value]") {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"every_modality": {"heads": 0}})",
       "'every_modality.heads' must be an integer in [1, 65536], got 0"},
      {R"({"every_modality": {"heads": 65537}})", "got 65537"},
      {R"({"every_modality": {"heads": -4}})", "got -4"},
      {R"({"every_modality": {"heads": 4.5}})", "got 4.5"},
      {R"({"every_modality": {"heads": "4"}})", "got \"4\""},
      {R"({"modalities": {"thermal": {"instances": 0}}})", "'modalities.thermal.instances'"},
      {R"({"every_modality": {"image_size": [32]}})", "must be [height, width], got [32]"},
      {R"({"every_modality": {"image_size": [32, 0]}})", "'every_modality.image_size' must be an integer"},
      {R"({"every_modality": {"eps": 0}})", "'every_modality.eps' must be a number in (0, 1], got 0"},
      {R"({"every_modality": {"eps": 2}})", "got 2"},
      {R"({"every_modality": {"activation": "swish"}})", "'every_modality.activation' must be one of"},
      {R"({"every_modality": {"activation": {"kind": "swish"}}})", "'every_modality.activation.kind'"},
      {R"({"every_modality": {"activation": {"slope": 0.1}}})", "with \"kind\""},
      {R"({"every_modality": {"activation": {"kind": "prelu", "slope": 1e300}}})", "activation.slope"},
      {R"({"every_modality": {"precision": "fp16"}})",
       "'every_modality.precision' must be \"fp32\", \"bf16\" or \"int8\""},
      {R"({"every_modality": {"collapse_linear_mlps": -0.1}})", "must be a number in [0, 1000], got -0.1"},
      {R"({"every_modality": {"backbone_prefix": 3}})", "'every_modality.backbone_prefix' must be a string"},
      {R"({"every_modality": {"layer_position_key": null}})", "got null"},
      {R"({"every_modality": {"encoder": {"resize": [100, 100, 1]}}})", "'every_modality.encoder.resize'"},
      {R"({"every_modality": {"encoder": {"pool": "3x3"}}})", "'every_modality.encoder.pool'"},
      {R"({"every_modality": {"encoder": {"instances": 70000}}})", "must be an integer in [0, 65536]"},
      {R"({"every_modality": {"encoder": []}})", "'every_modality.encoder' must be a JSON object"},
      {R"({"every_modality": 4})", "'every_modality' must be a JSON object"},
      {R"({"modalities": []})", "'modalities' must be a JSON object"},
      {R"({"controller": {"heads": 0}})", "'controller.heads'"},
      {R"({"controller": {"antialias": "no"}})", "'controller.antialias' must be true or false"},
      {R"({"controller": {"qoi_scale": 0}})", "'controller.qoi_scale' must be a number in (0, 1000000]"},
      {R"({"controller": {"eps": -1}})", "'controller.eps'"},
      {R"({"controller": {"prefix": ["controller."]}})", "'controller.prefix'"},
      {R"({"fusion": {"heads": 1.0}})", "'fusion.heads'"},
      {R"({"fusion": {"eps": "small"}})", "'fusion.eps'"},
      {R"({"fusion": {"adapter_activation": 1}})", "'fusion.adapter_activation'"},
      {R"({"fusion": {"adapter_keys": {"fc1": 1}}})", "'fusion.adapter_keys.fc1'"},
      {R"({"fusion": {"adapter_keys": "fc1."}})", "'fusion.adapter_keys' must be a JSON object"},
      {R"({"head_prefix": false})", "'head_prefix'"},
      {R"({"costs": [3, 1]})", "'costs' must be a list of 3 block costs, one per modality, got [3,1]"},
      {R"({"costs": [3, 0, 1]})", "'costs' must be an integer in [1, 1000000], got 0"},
      {R"({"costs": [3, 1, 1000001]})", "got 1000001"},
      {R"({"static_plan": 4})", "'static_plan' must be a string of at most 65536 characters"},
  };
  for (const auto& [text, named] : cases) {
    const auto& text_ = text;  // clang 14: no structured binding in a lambda
    CAPTURE(text_);
    const auto [id, message] = failure(text);
    CHECK(id == "admn.config.value");
    CHECK(message.find(named) != std::string::npos);
  }
  // Sizes are bounded: a prefix of 1025 characters, a plan of 65537.
  CHECK(failure(R"({"head_prefix": ")" + std::string(1025, 'a') + "\"}").first == "admn.config.value");
  CHECK(parse(R"({"head_prefix": ")" + std::string(1024, 'a') + "\"}").head_prefix.size() == 1024);
  CHECK(failure(R"({"static_plan": ")" + std::string(65537, '0') + "\"}").first == "admn.config.value");
}

TEST_CASE("admn.config that is not a bounded JSON object: [admn.config.json]") {
  const std::vector<std::string> texts{"{",
                                       "[]",
                                       "12",
                                       R"({"a": 1,})",
                                       "{} {}",
                                       R"({"description": ")" + std::string(1 << 20, 'x') + "\"}",
                                       R"({"description": [[[[[[[[[1]]]]]]]]]})"};
  for (const std::string& text : texts) {
    CAPTURE(text.substr(0, 40));
    CHECK(failure(text).first == "admn.config.json");
  }
  // Eight levels are allowed (the description's value is not read), nine are not.
  CHECK(failure(R"({"description": [[[[[[[1]]]]]]]})").first == "none");
  CHECK(failure(R"({"description": [[[[[[[[1]]]]]]]]})").first == "admn.config.json");
}

TEST_CASE("config_from_file reads a model file's admn.config, and the network loads with it") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("admn-config-reader-" + std::to_string(::getpid()) + ".safetensors");
  admn::examples::write_tiny_model(
      path,
      {.modalities = {{"cam", "backbone.cam.", "cam_adapter.", 3}, {"ir", "backbone.ir.", "ir_adapter.", 3}}},
      {{"admn.arch", "my_cameras"},
       {"admn.config", R"({"every_modality": {"heads": 4, "instances": 2, "image_size": [32, 32]},
                           "modalities": {"cam": {"backbone_prefix": "backbone.cam."},
                                          "ir": {"backbone_prefix": "backbone.ir."}},
                           "costs": [2, 1]})"}});
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(path, {.backend = admn::io::backend::read}));
  std::filesystem::remove(path);
  const m::network_config config = m::config_from_file<admn::test::tiny_net>(*file);
  CHECK(config.modalities[1].backbone_prefix == "backbone.ir.");
  CHECK(config.costs == std::vector<std::size_t>{2, 1});
  const admn::io::weight_source weights(file);
  const auto net = m::load<admn::test::tiny_net>(weights, config);
  CHECK(weights.unused_keys().empty());
  CHECK(net.depths() == std::array<std::size_t, 2>{6, 6});
  CHECK(net.input_specs()[1].instances == 2);
  // The same network, described by the reader instead of by code, runs as the code-built one.
  const auto reference = admn::test::make_tiny_network("config-reader");
  const admn::tensor cam = admn::test::pattern(admn::shape{1, 2, 3, 32, 32}, 0.3f),
                     ir = admn::test::pattern(admn::shape{1, 2, 1, 32, 32}, 0.7f);
  const admn::const_view inputs[] = {cam.view(), ir.view()};
  admn::workspace ws;
  const std::vector<std::size_t> depths{6, 6};
  const auto plan = admn::adaptive::layer_plan::parse("0,2;0,1,3", depths);
  const auto got = net.run(inputs, {.plan = plan}, ws);
  const auto expected = reference.net.run(inputs, {.plan = plan}, ws);
  for (std::size_t c = 0; c < 5; ++c) CHECK(got.output("logits")(0, c) == expected.output("logits")(0, c));
}

TEST_CASE("config_from_file: a file without admn.config gives the defaults, which lack the head count") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("admn-config-reader-none-" + std::to_string(::getpid()) + ".safetensors");
  admn::examples::write_tiny_model(
      path, {.modalities = {{"cam", "cam.", "cam_adapter.", 3}, {"ir", "ir.", "ir_adapter.", 3}}}, {});
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(path, {.backend = admn::io::backend::read}));
  std::filesystem::remove(path);
  const m::network_config config = m::config_from_file<admn::test::tiny_net>(*file);
  CHECK(config.modalities.size() == 2);
  const admn::io::weight_source weights(file);
  CHECK(admn::test::error_id([&] { (void)m::load<admn::test::tiny_net>(weights, config); }) ==
        "admn.config.heads");
}
