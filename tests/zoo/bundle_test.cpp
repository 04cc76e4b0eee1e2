// Multi-budget bundles: the backbones, fusion and head once, one controller per trained
// budget under controller@L.; run({.budget = L}) uses the controller trained for L.
// The bundle is written here from the reduced GTDM: budget 4 keeps its controller, budget 6
// gets a second one (output_head.2 negated, so it picks other blocks). Each budget must equal
// the single-controller model of its controller, bit for bit.
#include <admn/io/writer.hpp>
#include <admn/zoo/registry.hpp>

#include "common/error_id.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using admn::tensor;
using admn::test::error_id;

struct files {
  fs::path bundle, single4, single6;
  ~files() {
    for (const auto& p : {bundle, single4, single6}) fs::remove(p);
  }
};

// Writes the bundle and the two single-controller models it stands for.
files write_files(const std::string& budgets_meta) {
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(std::string(ADMN_TEST_FIXTURES) + "/networks/gtdm_small.safetensors"));
  const admn::io::weight_source w(file);
  std::vector<std::pair<std::string, tensor>> shared, ctrl4, ctrl6;
  for (const auto& key : file->keys()) {
    tensor t = w.load(key);
    if (!key.starts_with("controller.")) {
      shared.emplace_back(key, std::move(t));
      continue;
    }
    const std::string rest = key.substr(std::string("controller.").size());
    tensor other = t.clone();
    if (rest == "output_head.2.weight")
      for (float& v : other.values()) v = -v;
    ctrl4.emplace_back(rest, std::move(t));
    ctrl6.emplace_back(rest, std::move(other));
  }
  const std::string tag = std::to_string(::getpid());
  files out{fs::temp_directory_path() / ("admn-bundle-" + tag + ".safetensors"),
            fs::temp_directory_path() / ("admn-bundle4-" + tag + ".safetensors"),
            fs::temp_directory_path() / ("admn-bundle6-" + tag + ".safetensors")};
  const std::map<std::string, std::string> meta{
      {"admn.arch", "gtdm"},
      {"admn.config",
       R"({"vit_heads": 2, "image_size": [32, 32], "controller_heads": 4, "fusion_heads": 4})"}};
  const auto write = [&](const fs::path& path,
                         const std::vector<std::pair<std::string, const decltype(ctrl4)*>>& ctrls,
                         std::map<std::string, std::string> m) {
    std::vector<admn::io::tensor_entry> entries;
    for (const auto& [k, t] : shared) entries.push_back(admn::io::entry(k, t));
    for (const auto& [prefix, list] : ctrls)
      for (const auto& [k, t] : *list) entries.push_back(admn::io::entry(prefix + k, t));
    admn::io::save(path, entries, m);
  };
  auto bundle_meta = meta;
  bundle_meta["admn.budgets"] = budgets_meta;
  write(out.bundle, {{"controller@4.", &ctrl4}, {"controller@6.", &ctrl6}}, bundle_meta);
  write(out.single4, {{"controller.", &ctrl4}}, meta);
  write(out.single6, {{"controller.", &ctrl6}}, meta);
  return out;
}

admn::model::network_result run_file(const fs::path& path, const admn::model::run_options& options) {
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  return admn::zoo::with_network(file, true, [&](const auto& net, const admn::io::weight_source& w) {
    CHECK(w.unused_keys().empty());
    tensor rgb(admn::shape{3, 3, 3, 32, 32}), depth(admn::shape{3, 3, 3, 32, 32});
    for (std::size_t i = 0; i < rgb.size(); ++i) {
      rgb.data()[i] = std::sin(0.37f * static_cast<float>(i));
      depth.data()[i] = std::cos(0.11f * static_cast<float>(i)) * (i < depth.size() / 3 ? 3.0f : 0.5f);
    }
    const admn::const_view inputs[] = {rgb.view(), depth.view()};
    admn::workspace ws;
    return net.run(inputs, options, ws);
  });
}

void check_same(const admn::model::network_result& a, const admn::model::network_result& b) {
  REQUIRE(a.plans.size() == b.plans.size());
  for (std::size_t s = 0; s < a.plans.size(); ++s) CHECK(a.plans[s] == b.plans[s]);
  const auto x = a.output("pred_mean").values(), y = b.output("pred_mean").values();
  REQUIRE(x.size() == y.size());
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(x[i] == y[i]);
}

}  // namespace

TEST_CASE("a bundle runs the controller trained for each budget") {
  const files f = write_files("[4, 6]");
  check_same(run_file(f.bundle, {.budget = 4}), run_file(f.single4, {.budget = 4}));
  check_same(run_file(f.bundle, {.budget = 6}), run_file(f.single6, {.budget = 6}));
  // One budget per sample: each sample with its budget's controller.
  const auto mixed = run_file(f.bundle, {.budgets = {4, 6, 4}});
  const auto four = run_file(f.single4, {.budget = 4}), six = run_file(f.single6, {.budget = 6});
  CHECK(mixed.plans[0] == four.plans[0]);
  CHECK(mixed.plans[1] == six.plans[1]);
  CHECK(mixed.plans[2] == four.plans[2]);
  // The two controllers differ, so the check above can fail.
  CHECK_FALSE(run_file(f.single6, {.budget = 4}).plans[0] == four.plans[0]);
}

TEST_CASE("a bundle names its trained budgets for any other budget, or takes the nearest lower one") {
  const files f = write_files("[4, 6]");
  try {
    (void)run_file(f.bundle, {.budget = 5});
    FAIL("no error");
  } catch (const admn::argument_error& e) {
    CHECK(std::string(e.id()) == "admn.network.budget");
    CHECK(std::string(e.what()).find("trained: 4, 6") != std::string::npos);
  }
  const auto nearest = run_file(f.bundle, {.budget = 5, .nearest_trained_budget = true});
  const auto four = run_file(f.single4, {.budget = 5});
  check_same(nearest, four);
  CHECK(error_id([&] { (void)run_file(f.bundle, {.budget = 3, .nearest_trained_budget = true}); }) ==
        "admn.network.budget");
}

TEST_CASE("admn.budgets must be a list of increasing positive budgets") {
  for (const char* bad : {"[6, 4]", "[]", "[4, 4]", "4", "[0]", "[4, -6]", "nope"}) {
    CAPTURE(bad);
    const files f = write_files(bad);
    CHECK(error_id([&] { (void)run_file(f.bundle, {.budget = 4}); }) == "admn.config.budgets");
  }
  // A budget listed without its controller tensors.
  const files f = write_files("[4, 6, 8]");
  CHECK(error_id([&] { (void)run_file(f.bundle, {.budget = 4}); }) == "admn.load.missing");
}
