// admn-run end to end: files in, files out, errors as exit codes.
#include <admn/adaptive/planner.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/io/writer.hpp>
#include <admn/kernels/gemm_bf16.hpp>
#include <admn/profiling/latency_profile.hpp>

#include "common/fixture.hpp"
#include "common/run_tool.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

// The admn-run binary exists only when the examples are built.
#ifdef ADMN_RUN

namespace fs = std::filesystem;

namespace {

using admn::test::read_text;
using admn::test::run_admn_run;
using admn::test::temp_path;
using admn::test::tool_outcome;

// Writes the inputs of `case_name` under their modality names.
fs::path write_inputs(const admn::test::fixture& cases, const std::string& case_name,
                      const std::vector<std::string>& modalities) {
  std::vector<admn::tensor> tensors;
  for (const auto& m : modalities) tensors.push_back(cases.get(case_name + "." + m));
  std::vector<admn::io::tensor_entry> entries;
  for (std::size_t i = 0; i < modalities.size(); ++i)
    entries.push_back(admn::io::entry(modalities[i], tensors[i]));
  const fs::path path = fs::temp_directory_path() /
                        ("admn-run-in-" + case_name + "-" + std::to_string(getpid()) + ".safetensors");
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
  const arch_case archs[] = {
      {"gtdm", {"zed_camera_left", "realsense_camera_depth"}, {"pred_cov", "pred_mean"}},
      {"ave", {"image", "audio"}, {"logits"}},
      {"mmfi", {"rgb", "depth"}, {"logits"}}};
  for (const auto& a : archs) {
    CAPTURE(a.arch);
    const admn::test::fixture cases("networks/" + a.arch + "_small_cases.safetensors");
    const fs::path in = write_inputs(cases, "b3_l4_aa", a.modalities);
    const fs::path out = fs::temp_directory_path() / "admn-run-out.safetensors";
    const std::string model_path =
        std::string(ADMN_TEST_FIXTURES) + "/networks/" + a.arch + "_small.safetensors";
    const tool_outcome r = run_admn_run("--model " + model_path + " --input " + in.string() + " --output " +
                                        out.string() + " --budget 4 --threads 2");
    INFO(r.stderr_text);
    REQUIRE(r.code == 0);
    const auto result = admn::io::safetensors_file::open(out);
    std::vector<std::string> keys{"controller_logits", "layer_mask", "layer_order", "qoi"};
    keys.insert(keys.end(), a.outputs.begin(), a.outputs.end());
    std::sort(keys.begin(), keys.end());
    CHECK(result.keys() == keys);
    const auto mask = result.tensor("layer_mask");
    CHECK(mask.dtype() == admn::dtype::u8);
    CHECK(std::vector<std::uint64_t>(mask.shape().begin(), mask.shape().end()) ==
          std::vector<std::uint64_t>{3, 2, 4});
    const admn::tensor expected_mask = cases.get("b3_l4_aa.layer_mask");
    for (std::size_t i = 0; i < expected_mask.size(); ++i)
      CHECK(static_cast<float>(static_cast<unsigned char>(mask.bytes()[i])) == expected_mask.data()[i]);
    for (const auto& name : keys) {
      if (name == "layer_mask") continue;
      CAPTURE(name);
      if (name == "layer_order") {  // ADMN's order: each row's kept blocks ascending, then −1
        admn::tensor order(admn::shape{3, 2, 4});
        result.tensor(name).to_f32(order.values());
        for (std::size_t row = 0; row < 6; ++row) {
          std::size_t p = 0;
          for (std::size_t l = 0; l < 4; ++l)
            if (expected_mask.data()[row * 4 + l] == 1.0f)
              CHECK(order.data()[row * 4 + p++] == static_cast<float>(l));
          for (; p < 4; ++p) CHECK(order.data()[row * 4 + p] == -1.0f);
        }
        continue;
      }
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
  const tool_outcome r = run_admn_run("--model " + model + " --input " + in.string() + " --output " +
                                      out.string() + " --plan all --no-antialias");
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
    const auto& arguments_ = arguments;  // clang 14: no structured binding in a lambda
    CAPTURE(arguments_);
    const tool_outcome r = run_admn_run(arguments);
    CHECK(r.code == 1);
    CHECK(r.stderr_text.find(id) != std::string::npos);
  }
  // A budget outside [2, 8] for 2 × 4 blocks.
  const fs::path full = write_inputs(cases, "b1_l2_aa", {"zed_camera_left", "realsense_camera_depth"});
  const tool_outcome r = run_admn_run("--model " + model + " --input " + full.string() + " --output " +
                                      out.string() + " --budget 9");
  CHECK(r.code == 1);
  CHECK(r.stderr_text.find("[admn.budget.too_large]") != std::string::npos);
  CHECK_FALSE(fs::exists(out));
  fs::remove(in);
  fs::remove(full);
}

namespace {

// layer_mask of an admn-run output as "1100|1010" (modalities separated by '|').
std::string masks_of(const fs::path& out) {
  const auto result = admn::io::safetensors_file::open(out);
  const auto mask = result.tensor("layer_mask");
  std::string text;
  for (std::size_t i = 0; i < mask.bytes().size(); ++i) {
    if (i != 0 && i % 4 == 0) text += '|';
    text += static_cast<unsigned char>(mask.bytes()[i]) ? '1' : '0';
  }
  return text;
}

}  // namespace

TEST_CASE("admn-run --plan takes static plans: first, every-other, explicit") {
  const admn::test::fixture cases("networks/gtdm_small_cases.safetensors");
  const fs::path in = write_inputs(cases, "b1_l8_noaa", {"zed_camera_left", "realsense_camera_depth"});
  const fs::path out = temp_path("admn-run-static", ".safetensors");
  const std::string files = "--model " + model + " --input " + in.string() + " --output " + out.string();
  const std::pair<std::string, std::string> plans[] = {
      {"first:2", "1100|1100"},         {"first:1,3", "1000|1110"}, {"every-other:2", "1010|1010"},
      {"every-other:4,1", "1111|1000"}, {"0,3;1,2", "1001|0110"},   {"all", "1111|1111"},
  };
  for (const auto& [plan, expected] : plans) {
    const auto& plan_ = plan;  // clang 14: no structured binding in a lambda
    CAPTURE(plan_);
    const tool_outcome r = run_admn_run(files + " --plan '" + plan + "'");
    INFO(r.stderr_text);
    REQUIRE(r.code == 0);
    CHECK(masks_of(out) == expected);
    CHECK(r.stderr_text.find("plan " + plan) != std::string::npos);
  }
  const std::pair<std::string, std::string> bad[] = {
      {"first:5", "[admn.plan.depth]"},
      {"top:3", "[admn.plan.parse]"},
      {"first:1,1,1", "[admn.plan.modalities]"},
      {"0,4;0", "[admn.mask.block]"},
  };
  for (const auto& [plan, id] : bad) {
    const auto& plan_ = plan;  // clang 14: no structured binding in a lambda
    CAPTURE(plan_);
    const tool_outcome r = run_admn_run(files + " --plan '" + plan + "'");
    CHECK(r.code == 1);
    CHECK(r.stderr_text.find(id) != std::string::npos);
  }
  fs::remove(in);
  fs::remove(out);
}

TEST_CASE("admn-run --latency-budget profiles the host once, picks L and reports the time") {
  const admn::test::fixture cases("networks/gtdm_small_cases.safetensors");
  const fs::path in = write_inputs(cases, "b1_l8_noaa", {"zed_camera_left", "realsense_camera_depth"});
  const fs::path out = temp_path("admn-run-latency", ".safetensors");
  const fs::path profile = temp_path("admn-run-test-profile", ".json");
  fs::remove(profile);
  const std::string files = "--model " + model + " --input " + in.string() + " --output " + out.string() +
                            " --threads 1 --profile " + profile.string();
  // A generous budget: the largest L (2 × 4 blocks); the profile is measured and saved.
  tool_outcome r = run_admn_run(files + " --latency-budget 100000");
  INFO(r.stderr_text);
  REQUIRE(r.code == 0);
  CHECK(r.stderr_text.find("profiling this host") != std::string::npos);
  CHECK(r.stderr_text.find("saved profile " + profile.string()) != std::string::npos);
  CHECK(r.stderr_text.find("chose L = 8") != std::string::npos);
  CHECK(r.stderr_text.find("within budget") != std::string::npos);
  CHECK(masks_of(out) == "1111|1111");
  REQUIRE(fs::exists(profile));
  // Second use: the profile is loaded, not measured again.
  r = run_admn_run(files + " --latency-budget 100000");
  CHECK(r.code == 0);
  CHECK(r.stderr_text.find("loaded profile " + profile.string()) != std::string::npos);
  CHECK(r.stderr_text.find("profiling") == std::string::npos);

  // A budget between the predictions of L = 2 and L = 8 picks the L the planner gives.
  const admn::profiling::latency_profile p = admn::profiling::latency_profile::load(profile);
  const double middle = 0.5 * (p.ms.budget_cost(4) + p.ms.budget_cost(5));
  const std::size_t expected = admn::adaptive::plan_for_latency(p.ms, middle).layers;
  r = run_admn_run(files + " --latency-budget " + std::to_string(middle));
  CHECK(r.code == 0);
  CHECK(r.stderr_text.find("chose L = " + std::to_string(expected) + ",") != std::string::npos);

  // Below the smallest plan: a typed error.
  r = run_admn_run(files + " --latency-budget 0.0001");
  CHECK(r.code == 1);
  CHECK(r.stderr_text.find("[admn.budget.unreachable]") != std::string::npos);

  // A profile of another thread count, another network, or a broken file is refused.
  r = run_admn_run("--model " + model + " --input " + in.string() + " --output " + out.string() +
                   " --threads 2 --latency-budget 1000 --profile " + profile.string());
  CHECK(r.code == 1);
  CHECK(r.stderr_text.find("[admn.profile.threads]") != std::string::npos);
  std::string text = read_text(profile);
  text.replace(text.find("\"network\": \"") + 12, 0, "other ");
  std::ofstream(profile) << text;
  r = run_admn_run(files + " --latency-budget 1000");
  CHECK(r.code == 1);
  CHECK(r.stderr_text.find("[admn.profile.mismatch]") != std::string::npos);
  std::ofstream(profile) << "{ not json";
  r = run_admn_run(files + " --latency-budget 1000");
  CHECK(r.code == 1);
  CHECK(r.stderr_text.find("[admn.profile.parse]") != std::string::npos);

  const std::pair<std::string, std::string> bad[] = {
      {" --latency-budget 10 --budget 4", "[admn.cli.conflict]"},
      {" --latency-budget 10 --plan all", "[admn.cli.conflict]"},
      {" --latency-budget -5", "[admn.cli.value]"},
      {" --latency-budget fast", "[admn.cli.value]"},
  };
  for (const auto& [arguments, id] : bad) {
    const auto& arguments_ = arguments;  // clang 14: no structured binding in a lambda
    CAPTURE(arguments_);
    r = run_admn_run("--model " + model + " --input " + in.string() + " --output " + out.string() +
                     arguments);
    CHECK(r.code == 1);
    CHECK(r.stderr_text.find(id) != std::string::npos);
  }
  r = run_admn_run("--model " + model + " --input " + in.string() + " --output " + out.string() +
                   " --budget 4 --profile " + profile.string());
  CHECK(r.code == 1);
  CHECK(r.stderr_text.find("[admn.cli.conflict] --profile") != std::string::npos);
  fs::remove(profile);
  fs::remove(in);
  fs::remove(out);
}

#endif  // ADMN_RUN

TEST_CASE("admn-run --bf16 keeps the controller's masks and stays within 1e-2") {
  if constexpr (!admn::kernels::bf16_available) return;
  const admn::test::fixture cases("networks/ave_small_cases.safetensors");
  const fs::path in = write_inputs(cases, "b3_l4_aa", {"image", "audio"});
  const fs::path out = fs::temp_directory_path() / "admn-run-bf16.safetensors";
  const tool_outcome r =
      run_admn_run("--model " + std::string(ADMN_TEST_FIXTURES) + "/networks/ave_small.safetensors" +
                   " --input " + in.string() + " --output " + out.string() + " --budget 4 --bf16");
  INFO(r.stderr_text);
  REQUIRE(r.code == 0);
  CHECK(r.stderr_text.find("bf16 weights") != std::string::npos);
  const auto result = admn::io::safetensors_file::open(out);
  const auto mask = result.tensor("layer_mask");
  const admn::tensor expected_mask = cases.get("b3_l4_aa.layer_mask");
  for (std::size_t i = 0; i < expected_mask.size(); ++i)
    CHECK(static_cast<float>(static_cast<unsigned char>(mask.bytes()[i])) == expected_mask.data()[i]);
  admn::tensor logits(cases.get("b3_l4_aa.logits").shape());
  result.tensor("logits").to_f32(logits.values());
  admn::test::check_close(logits, cases.get("b3_l4_aa.logits"), 1e-2);
  fs::remove(in);
  fs::remove(out);
}
