// admn-run end to end: files in, files out, errors as exit codes.
#include <admn/io/safetensors.hpp>
#include <admn/io/writer.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct outcome {
  int code;
  std::string stderr_text;
};

outcome run_tool(const std::string& arguments) {
  const fs::path err = fs::temp_directory_path() / "admn-run-test.stderr";
  const std::string command = std::string(ADMN_RUN) + " " + arguments + " 2> " + err.string();
  const int status = std::system(command.c_str());
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

// Writes the inputs of `case_name` under their modality names.
fs::path write_inputs(const admn::test::fixture& cases, const std::string& case_name,
                      const std::vector<std::string>& modalities) {
  std::vector<admn::tensor> tensors;
  for (const auto& m : modalities) tensors.push_back(cases.get(case_name + "." + m));
  std::vector<admn::io::tensor_entry> entries;
  for (std::size_t i = 0; i < modalities.size(); ++i) entries.push_back(admn::io::entry(modalities[i], tensors[i]));
  const fs::path path = fs::temp_directory_path() / ("admn-run-in-" + case_name + ".safetensors");
  admn::io::save(path, entries);
  return path;
}

const std::string model = std::string(ADMN_TEST_FIXTURES) + "/networks/gtdm_small.safetensors";

}  // namespace

TEST_CASE("admn-run reproduces the reference networks, including per-sample plans") {
  struct arch_case {
    std::string arch;
    std::vector<std::string> modalities;
    std::vector<std::string> outputs;
  };
  const arch_case archs[] = {{"gtdm", {"zed_camera_left", "realsense_camera_depth"}, {"pred_cov", "pred_mean"}},
                             {"ave", {"image", "audio"}, {"logits"}},
                             {"mmfi", {"rgb", "depth"}, {"logits"}}};
  for (const auto& a : archs) {
    CAPTURE(a.arch);
    const admn::test::fixture cases("networks/" + a.arch + "_small_cases.safetensors");
    const fs::path in = write_inputs(cases, "b3_l4_aa", a.modalities);
    const fs::path out = fs::temp_directory_path() / "admn-run-out.safetensors";
    const std::string model_path = std::string(ADMN_TEST_FIXTURES) + "/networks/" + a.arch + "_small.safetensors";
    const outcome r = run_tool("--model " + model_path + " --input " + in.string() + " --output " + out.string() +
                               " --budget 4 --threads 2");
    INFO(r.stderr_text);
    REQUIRE(r.code == 0);
    const auto result = admn::io::safetensors_file::open(out);
    std::vector<std::string> keys{"controller_logits", "layer_mask", "qoi"};
    keys.insert(keys.end(), a.outputs.begin(), a.outputs.end());
    std::sort(keys.begin(), keys.end());
    CHECK(result.keys() == keys);
    const auto mask = result.tensor("layer_mask");
    CHECK(mask.dtype() == admn::dtype::u8);
    CHECK(std::vector<std::uint64_t>(mask.shape().begin(), mask.shape().end()) == std::vector<std::uint64_t>{3, 2, 4});
    const admn::tensor expected_mask = cases.get("b3_l4_aa.layer_mask");
    for (std::size_t i = 0; i < expected_mask.size(); ++i)
      CHECK(static_cast<float>(static_cast<unsigned char>(mask.bytes()[i])) == expected_mask.data()[i]);
    for (const auto& name : keys) {
      if (name == "layer_mask") continue;
      CAPTURE(name);
      admn::tensor got(cases.get("b3_l4_aa." + name).shape());
      result.tensor(name).to_f32(got.values());
      admn::test::check_close(got, cases.get("b3_l4_aa." + name));
    }
    fs::remove(in);
    fs::remove(out);
  }
}

TEST_CASE("admn-run --plan bypasses the controller") {
  const admn::test::fixture cases("networks/gtdm_small_cases.safetensors");
  const fs::path in = write_inputs(cases, "b1_l8_noaa", {"zed_camera_left", "realsense_camera_depth"});
  const fs::path out = fs::temp_directory_path() / "admn-run-plan.safetensors";
  const outcome r = run_tool("--model " + model + " --input " + in.string() + " --output " + out.string() +
                             " --plan all --no-antialias");
  INFO(r.stderr_text);
  REQUIRE(r.code == 0);
  const auto result = admn::io::safetensors_file::open(out);
  CHECK_FALSE(result.contains("controller_logits"));
  admn::tensor mean(admn::shape{1, 2});
  result.tensor("pred_mean").to_f32(mean.values());
  // The reference case keeps all 8 blocks, as `all` does.
  admn::test::check_close(mean, cases.get("b1_l8_noaa.pred_mean"));
  fs::remove(in);
  fs::remove(out);
}

TEST_CASE("admn-run reports bad arguments and inputs with an [admn.…] message and exit 1") {
  const admn::test::fixture cases("networks/gtdm_small_cases.safetensors");
  const fs::path in = write_inputs(cases, "b1_l2_aa", {"zed_camera_left"});
  const fs::path out = fs::temp_directory_path() / "admn-run-bad.safetensors";
  const std::string files = " --input " + in.string() + " --output " + out.string();
  const std::pair<std::string, std::string> bad[] = {
      {"--model " + model + files + " --budget 4", "[admn.run.missing_input]"},
      {"--model " + model + files + " --budget x", "[admn.cli.value]"},
      {"--model " + model + files, "[admn.cli.budget]"},
      {"--model " + model + files + " --budget 4 --plan all", "[admn.cli.conflict]"},
      {"--model " + model + files + " --frobnicate", "[admn.cli.unknown_flag]"},
      {"--model /no/such/file" + files + " --budget 4", "[admn.safetensors.io]"},
      {"--model " + in.string() + files + " --budget 4", "[admn.config.arch]"},
      {"--model " + model + " --output " + out.string() + " --budget 4", "[admn.cli.missing_flag]"},
  };
  for (const auto& [arguments, id] : bad) {
    CAPTURE(arguments);
    const outcome r = run_tool(arguments);
    CHECK(r.code == 1);
    CHECK(r.stderr_text.find(id) != std::string::npos);
  }
  // A budget outside [2, 8] for 2 × 4 blocks.
  const fs::path full = write_inputs(cases, "b1_l2_aa", {"zed_camera_left", "realsense_camera_depth"});
  const outcome r = run_tool("--model " + model + " --input " + full.string() + " --output " + out.string() + " --budget 9");
  CHECK(r.code == 1);
  CHECK(r.stderr_text.find("[admn.budget.too_large]") != std::string::npos);
  CHECK_FALSE(fs::exists(out));
  fs::remove(in);
  fs::remove(full);
}
