// examples/my_admn_run.cpp (admn::cli::run_main over a user's three-modality network type) end
// to end: a model file of that network with its admn.config, inputs, the program's outputs
// against the same network run in process, and its errors.
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/io/writer.hpp>
#include <admn/model/config_reader.hpp>
#include <admn/model/network.hpp>

#include "common/compare.hpp"
#include "common/run_tool.hpp"
#include "my_net.hpp"
#include "tiny_model.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

// The program exists only when the examples are built.
#ifdef ADMN_MY_ADMN_RUN

namespace fs = std::filesystem;
namespace m = admn::model;

namespace {

// The network of examples/my_admn_run.cpp, to run the same model in process.
using my_net = my::net;

fs::path my_run_path(const std::string& stem) { return admn::test::temp_path("my-admn-run-" + stem); }

admn::test::tool_outcome run_program(const std::string& arguments) {
  return admn::test::run_tool(ADMN_MY_ADMN_RUN, arguments);
}

// The three-modality model (6 blocks each, width 48, 32×32 images, 2 per sample) with `config`.
fs::path write_model(const std::string& stem, const std::string& config) {
  const fs::path path = my_run_path(stem);
  std::map<std::string, std::string> metadata{{"admn.arch", "thermal_rgb_depth"}};
  if (!config.empty()) metadata.emplace("admn.config", config);
  admn::examples::write_tiny_model(path,
                                   {.modalities = {{"thermal", "thermal.", "thermal_adapter.", 3},
                                                   {"rgb", "rgb.", "rgb_adapter.", 3},
                                                   {"depth", "depth.", "depth_adapter.", 3}},
                                    .qoi_outputs = 3,
                                    .seed = 7},
                                   metadata);
  return path;
}

const std::string model_config =
    R"({"description": "thermal, RGB and depth cameras",
        "every_modality": {"heads": 4, "instances": 2, "image_size": [32, 32]},
        "fusion": {"heads": 4}})";

admn::tensor pattern(const admn::shape& s, float step) {
  admn::tensor t(s);
  for (std::size_t i = 0; i < t.size(); ++i)
    t.data()[i] = 0.5f + 0.5f * std::sin(static_cast<float>(i) * step);
  return t;
}

struct inputs {
  admn::tensor thermal = pattern(admn::shape{2, 2, 1, 32, 32}, 0.13f);
  admn::tensor rgb = pattern(admn::shape{2, 2, 3, 32, 32}, 0.41f);
  admn::tensor depth = pattern(admn::shape{2, 2, 1, 32, 32}, 0.07f);

  fs::path write() const {
    const fs::path path = my_run_path("in");
    const std::vector<admn::io::tensor_entry> entries{
        admn::io::entry("thermal", thermal), admn::io::entry("rgb", rgb), admn::io::entry("depth", depth)};
    admn::io::save(path, entries);
    return path;
  }
};

std::vector<float> floats(const admn::io::safetensors_file& file, const std::string& name) {
  const auto t = file.tensor(name);
  std::vector<float> out(t.element_count());
  t.to_f32(out);
  return out;
}

}  // namespace

TEST_CASE("my_admn_run runs a user's network from its admn.config, as the network runs in process") {
  const fs::path model = write_model("model", model_config);
  const inputs in;
  const fs::path input = in.write(), output = my_run_path("out");
  const admn::test::tool_outcome r =
      run_program("--model " + model.string() + " --input " + input.string() + " --output " +
                  output.string() + " --budget 5,9 --threads 2");
  INFO(r.stderr_text);
  REQUIRE(r.code == 0);
  CHECK(r.stderr_text.find("my_admn_run: thermal_rgb_depth, batch 2, budget 5,9, fp32 weights") !=
        std::string::npos);

  const auto file = admn::io::safetensors_file::open(output);
  CHECK(file.keys() ==
        std::vector<std::string>{"controller_logits", "layer_mask", "layer_order", "logits", "qoi"});
  REQUIRE(file.metadata());
  CHECK(file.metadata()->at("admn.arch") == "thermal_rgb_depth");
  const auto mask = file.tensor("layer_mask");
  CHECK(std::vector<std::uint64_t>(mask.shape().begin(), mask.shape().end()) ==
        std::vector<std::uint64_t>{2, 3, 6});

  // The same file loaded in process with the same reader and run under the same budgets.
  const auto shared =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(model));
  const admn::io::weight_source weights(shared);
  const my_net net = m::load<my_net>(weights, m::config_from_file<my_net>(*shared));
  const admn::const_view views[] = {in.thermal.view(), in.rgb.view(), in.depth.view()};
  admn::workspace ws;
  const auto expected = net.run(views, {.budgets = {5, 9}}, ws);
  for (std::size_t b = 0; b < 2; ++b) {
    std::size_t kept = 0;
    for (std::size_t mod = 0; mod < 3; ++mod)
      for (std::size_t l = 0; l < 6; ++l) {
        const bool ran = static_cast<unsigned char>(mask.bytes()[(b * 3 + mod) * 6 + l]) != 0;
        CHECK(ran == expected.plans[b][mod].kept(l));
        kept += ran;
      }
    CHECK(kept == (b == 0 ? 5u : 9u));
  }
  const auto logits = floats(file, "logits");
  CHECK(admn::test::relative_error(logits, expected.output("logits").values()) <= 1e-6);
  CHECK(admn::test::relative_error(floats(file, "controller_logits"), expected.controller_logits.values()) <=
        1e-6);
  CHECK(admn::test::relative_error(floats(file, "qoi"), expected.qoi.values()) <= 1e-6);
  fs::remove(output);

  // A static plan, one block list per modality, run in the order written.
  const admn::test::tool_outcome p = run_program("--model " + model.string() + " --input " + input.string() +
                                                 " --output " + output.string() + " --plan '0,3;0;0,5,2'");
  INFO(p.stderr_text);
  REQUIRE(p.code == 0);
  CHECK(p.stderr_text.find("plan 0,3;0;0,5,2") != std::string::npos);
  const auto planned = admn::io::safetensors_file::open(output);
  CHECK_FALSE(planned.contains("controller_logits"));
  const auto order = floats(planned, "layer_order");
  const std::vector<float> row_orders{0, 3, -1, -1, -1, -1, 0, -1, -1, -1, -1, -1, 0, 5, 2, -1, -1, -1};
  for (std::size_t b = 0; b < 2; ++b)
    CHECK(std::vector<float>(order.begin() + static_cast<std::ptrdiff_t>(b * 18),
                             order.begin() + static_cast<std::ptrdiff_t>(b * 18 + 18)) == row_orders);
  fs::remove(output);
  fs::remove(model);
  fs::remove(input);
}

TEST_CASE("my_admn_run reports bad options, configs and inputs with an [admn.…] message and exit 1") {
  const fs::path model = write_model("bad-model", model_config);
  const fs::path typo = write_model("typo-model", R"({"every_modality": {"heads": 4}, "vit_heads": 4})");
  const fs::path no_heads = write_model("no-heads-model", "");
  const fs::path moved = write_model("moved-model", R"({"every_modality": {"heads": 4, "instances": 2,
      "image_size": [32, 32]}, "modalities": {"rgb": {"backbone_prefix": "camera."}}})");
  const inputs in;
  const fs::path input = in.write(), output = my_run_path("bad-out");
  const std::string files = " --input " + input.string() + " --output " + output.string();
  const std::pair<std::string, std::string> bad[] = {
      {"--model " + model.string() + files + " --budget 5 --frobnicate",
       "my_admn_run: [admn.cli.unknown_flag] unknown argument '--frobnicate'"},
      {"--model " + model.string() + files, "my_admn_run: [admn.cli.budget]"},
      {"--model " + model.string() + files + " --budget 2", "[admn.budget.too_small]"},
      {"--model " + model.string() + files + " --plan '0;0'", "[admn.plan."},
      {"--model " + model.string() + files + " --budget 5 --raw", "[admn.run.raw]"},
      {"--model " + typo.string() + files + " --budget 5",
       "[admn.config.key] unknown admn.config key 'vit_heads'"},
      {"--model " + no_heads.string() + files + " --budget 5", "[admn.config.heads]"},
      {"--model " + moved.string() + files + " --budget 5", "[admn.load.missing] "},
  };
  for (const auto& [arguments, message] : bad) {
    const auto& arguments_ = arguments;  // clang 14: no structured binding in a lambda
    CAPTURE(arguments_);
    const admn::test::tool_outcome r = run_program(arguments);
    CHECK(r.code == 1);
    CHECK(r.stderr_text.find(message) != std::string::npos);
    CHECK(r.stderr_text.find("\n") == r.stderr_text.size() - 1);  // one line
  }
  CHECK_FALSE(fs::exists(output));
  const admn::test::tool_outcome help = run_program("--help");
  CHECK(help.code == 0);
  CHECK(help.stdout_text.find("usage: my_admn_run --model M.safetensors") != std::string::npos);
  // Continuation lines aligned under --model.
  CHECK(help.stdout_text.find("\n" + std::string(std::string_view("usage: my_admn_run ").size(), ' ') +
                              "(--budget L") != std::string::npos);
  for (const auto& path : {model, typo, no_heads, moved, input}) fs::remove(path);
}

#endif
