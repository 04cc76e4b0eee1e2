// Hostile model files and inputs, rewritten at test time from the small GTDM fixture:
// each gives a typed [admn.…] error (exit 1 from admn-run, no signal, bounded memory),
// never a crash or a silent pass.
#include <admn/io/safetensors.hpp>
#include <admn/io/writer.hpp>
#include <admn/zoo/registry.hpp>

#include "common/error_id.hpp"
#include "common/model_text.hpp"
#include "common/run_tool.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string fixture_model = std::string(ADMN_TEST_FIXTURES) + "/networks/gtdm_small.safetensors";
const std::string fixture_cases = std::string(ADMN_TEST_FIXTURES) + "/networks/gtdm_small_cases.safetensors";

using admn::test::model_text;
using admn::test::owned_tensor;

std::string temp_name(const std::string& stem) {
  return (fs::temp_directory_path() /
          ("admn-hostile-" + stem + "-" + std::to_string(getpid()) + ".safetensors"))
      .string();
}

std::string write_file(const model_text& m, const std::string& stem) {
  const std::string path = temp_name(stem);
  admn::test::write_model_text(m, path);
  return path;
}

// The fixture with `edit` applied, written to a temporary file.
std::string rewritten(const std::string& stem, const std::function<void(model_text&)>& edit) {
  model_text m = admn::test::read_model_text(fixture_model);
  edit(m);
  return write_file(m, stem);
}

// Loads the GTDM network of `path` (as admn-run does) and runs it on `inputs` with `options`.
void load_and_run(const std::string& path, const std::vector<admn::tensor>& inputs = {},
                  admn::model::run_options options = {.budget = 4}) {
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
  admn::zoo::with_network(file, true, [&](const auto& net, const admn::io::weight_source&) {
    if (inputs.empty()) return 0;
    std::vector<admn::const_view> views;
    for (const auto& t : inputs) views.push_back(t.view());
    admn::workspace ws;
    (void)net.run(views, options, ws);
    return 0;
  });
}

// The fixture's inputs of case `name` (both modalities).
std::vector<admn::tensor> case_inputs(const std::string& name = "b3_l4_aa") {
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(fixture_cases));
  const admn::io::weight_source cases(file);
  std::vector<admn::tensor> out;
  out.push_back(cases.load(name + ".zed_camera_left"));
  out.push_back(cases.load(name + ".realsense_camera_depth"));
  return out;
}

std::string inputs_file(const std::vector<admn::tensor>& inputs, const std::string& stem) {
  const std::string path = temp_name(stem);
  admn::io::save(path, std::vector{admn::io::entry("zed_camera_left", inputs[0]),
                                   admn::io::entry("realsense_camera_depth", inputs[1])});
  return path;
}

}  // namespace

TEST_CASE("a model whose backbones have no blocks is rejected at load, not run (case 1)") {
  const std::string path = rewritten("noblocks", [](model_text& m) {
    m.erase_prefix("vision.blocks.");
    m.erase_prefix("depth.blocks.");
  });
  CHECK(admn::test::error_id([&] { load_and_run(path, case_inputs()); }) == "admn.controller.depth");
  fs::remove(path);
}

TEST_CASE("an explicit size of 0 is checked, never read as 'take the stored shape'") {
  const auto file =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(fixture_model));
  const admn::io::weight_source w(file);
  const auto head = w.sub("controller.output_head.2.");
  CHECK(admn::test::error_id([&] { (void)admn::layers::linear::load(head, {.out = 0, .bias = false}); }) ==
        "admn.load.shape");
  CHECK(admn::test::error_id([&] { (void)admn::layers::linear::load(head, {.in = 0, .bias = false}); }) ==
        "admn.load.shape");
  CHECK(admn::layers::linear::load(head, {.bias = false}).out_features() == 8);
  CHECK(admn::test::error_id([&] { (void)admn::layers::class_token::load(w, "vision.cls_token", 0); }) ==
        "admn.load.shape");
  CHECK(admn::test::error_id([&] {
          (void)admn::layers::learned_position_embedding::load(w, "vision.pos_embed", 0);
        }) == "admn.load.shape");
}

TEST_CASE("a patch embedding with a zero size is rejected at load (case 2)") {
  for (const auto& dims :
       {std::vector<std::uint64_t>{32, 3, 0, 0}, {32, 3, 8, 0}, {32, 0, 8, 8}, {0, 3, 8, 8}}) {
    const std::string path = rewritten("patch0", [&](model_text& m) {
      auto* t = m.find("depth.patch_embed.proj.weight");
      t->shape = dims;
      t->bytes.clear();
    });
    CAPTURE(dims[0]);
    CAPTURE(dims[1]);
    CAPTURE(dims[3]);
    const std::string id = admn::test::error_id([&] { load_and_run(path); });
    CHECK((id == "admn.patch_embed.shape" || id == "admn.load.shape"));
    fs::remove(path);
  }
}

TEST_CASE("an image size that does not match pos_embed is rejected at load (case 4)") {
  for (const std::string size : {"[4096, 4096]", "[65536, 65536]", "[48, 32]", "[31, 32]"}) {
    CAPTURE(size);
    const std::string path = rewritten("image", [&](model_text& m) {
      m.metadata["admn.config"] =
          R"({"vit_heads": 2, "image_size": )" + size + R"(, "controller_heads": 4, "fusion_heads": 4})";
    });
    CHECK(admn::test::error_id([&] { load_and_run(path); }) == "admn.config.image_size");
    fs::remove(path);
  }
  // Partial patches are floored away, as by the convolution: 39×39 still gives 4×4 patches of 8×8.
  const std::string path = rewritten("image_floor", [&](model_text& m) {
    m.metadata["admn.config"] =
        R"({"vit_heads": 2, "image_size": [39, 39], "controller_heads": 4, "fusion_heads": 4})";
  });
  CHECK(admn::test::error_id([&] { load_and_run(path); }) == "none");
  fs::remove(path);
}

TEST_CASE("a missing block is named as a gap in the block sequence (case 10)") {
  for (const std::string to : {"vision.blocks.5.", "vision.blocks.3_old.", "vision.blocks.x."}) {
    CAPTURE(to);
    const std::string path =
        rewritten("gap", [&](model_text& m) { m.rename_prefix("vision.blocks.2.", to); });
    try {
      load_and_run(path);
      FAIL("loaded a model with a gap in its blocks");
    } catch (const admn::error& e) {
      CHECK(std::string(e.id()) == "admn.vit.block_gap");
      CHECK(std::string(e.what()).find("block 2 is missing") != std::string::npos);
    }
    fs::remove(path);
  }
  // The last block removed: no gap, but the controller head names the depths it expected.
  const std::string path = rewritten("last", [&](model_text& m) { m.erase_prefix("vision.blocks.3."); });
  try {
    load_and_run(path);
    FAIL("loaded a model whose controller does not fit its backbones");
  } catch (const admn::error& e) {
    CHECK(std::string(e.id()) == "admn.controller.depth");
    CHECK(std::string(e.what()).find("zed_camera_left: 3") != std::string::npos);
  }
  fs::remove(path);
}

TEST_CASE("inputs are checked before anything is sized from them (case 3)") {
  auto inputs = case_inputs();
  const std::string model = fixture_model;
  for (const auto& dims :
       {std::vector<std::size_t>{2000, 0, 3, 32, 32}, {0, 1, 3, 32, 32}, {3, 1, 3, 32, 0}}) {
    std::vector<admn::tensor> bad;
    bad.push_back(admn::tensor(admn::shape(std::span<const std::size_t>(dims))));
    bad.push_back(inputs[1].clone());
    CHECK(admn::test::error_id([&] { load_and_run(model, bad); }) == "admn.network.input");
  }
}

TEST_CASE("a non-finite input never becomes a valid-looking plan (case 5)") {
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(), 3e38f};
  for (const float bad : bad_values) {
    CAPTURE(bad);
    for (std::size_t m = 0; m < 2; ++m) {
      CAPTURE(m);
      auto inputs = case_inputs();
      inputs[m].data()[inputs[m].size() / 2 + 5] = bad;  // sample 1 of 3
      if (std::isfinite(bad)) {
        // Finite but huge: passes the input check. Where the controller's arithmetic
        // overflows, NaN reaches the logits and top-L refuses it; elsewhere the plan comes
        // from finite logits (admn-run then rejects the NaN outputs, see below).
        const std::string id = admn::test::error_id(
            [&] { load_and_run(fixture_model, inputs, {.budget = 4, .check_finite = true}); });
        CHECK((id == "none" || id == "admn.top_l.nan"));
        continue;
      }
      CHECK(admn::test::error_id([&] {
              load_and_run(fixture_model, inputs, {.budget = 4, .check_finite = true});
            }) == "admn.network.nonfinite");
      // Unchecked, NaN propagates through the controller (ReLU and max pooling keep NaN,
      // as in PyTorch) and top-L refuses it instead of choosing blocks from it.
      CHECK(admn::test::error_id([&] { load_and_run(fixture_model, inputs); }) == "admn.top_l.nan");
    }
  }
}

TEST_CASE("relu keeps NaN in the SIMD and the scalar path") {
  std::vector<float> x(37, -1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[33] = std::numeric_limits<float>::quiet_NaN();
  x[5] = 2.0f;
  admn::kernels::activate(admn::kernels::default_arch{}, {admn::kernels::activation::relu}, x.data(),
                          x.size());
  CHECK(std::isnan(x[3]));
  CHECK(std::isnan(x[33]));
  CHECK(x[5] == 2.0f);
  CHECK(x[4] == 0.0f);
  CHECK(std::isnan(admn::kernels::reference::apply({admn::kernels::activation::relu},
                                                   std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("a header number out of double range is rejected as serde_json does (case 9)") {
  // The same model with an unknown tensor field holding the number, spliced into the header.
  const auto with_number = [](const std::string& number) {
    std::ifstream in(fixture_model, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    std::string header = bytes.substr(8, n);
    const std::size_t at = header.find("\"dtype\"");
    header.insert(at, "\"x\":" + number + ",");
    while (header.size() % 8 != 0) header += ' ';
    const std::uint64_t size = header.size();
    std::string out(8, '\0');
    std::memcpy(out.data(), &size, 8);
    const std::string path = temp_name("number");
    std::ofstream(path, std::ios::binary) << out << header << bytes.substr(8 + n);
    return path;
  };
  for (const std::string number : {"1e999", "-1e999", "1.8e308", "123456789e305", "0.0000001e316"}) {
    CAPTURE(number);
    const std::string path = with_number(number);
    CHECK(admn::test::error_id([&] { (void)admn::io::safetensors_file::open(path); }) ==
          "admn.safetensors.number_out_of_range");
    fs::remove(path);
  }
  for (const std::string number : {"1e-999", "1.7e308", "0e999", "-0.0e99999999999999999999", "1e308"}) {
    CAPTURE(number);
    const std::string path = with_number(number);
    CHECK(admn::test::error_id([&] { (void)admn::io::safetensors_file::open(path); }) == "none");
    fs::remove(path);
  }
}

// admn-run end to end, for the cases a user meets through the command line.
#ifdef ADMN_RUN

namespace {

using admn::test::run_admn_run;
using admn::test::run_command;
using admn::test::tool_outcome;

void check_rejected(const std::string& arguments, const std::string& id) {
  CAPTURE(arguments);
  const tool_outcome r = run_admn_run(arguments);
  INFO(r.stderr_text);
  CHECK(r.code == 1);
  CHECK(r.stderr_text.find("[" + id + "]") != std::string::npos);
  CHECK(r.stderr_text.find("[admn.internal]") == std::string::npos);
  CHECK(r.max_rss_kb < 600 * 1024);  // kilobytes
}

}  // namespace

TEST_CASE("admn-run rejects every hostile model and input with a typed error, exit 1, bounded memory") {
  const std::string in = inputs_file(case_inputs(), "in");
  const std::string out = temp_name("out");
  const std::string io = " --input " + in + " --output " + out + " --budget 4";
  std::vector<std::string> made;
  const auto model = [&](const std::string& stem, const std::function<void(model_text&)>& edit) {
    made.push_back(rewritten(stem, edit));
    return "--model " + made.back();
  };
  // 1
  check_rejected(model("noblocks",
                       [](model_text& m) {
                         m.erase_prefix("vision.blocks.");
                         m.erase_prefix("depth.blocks.");
                       }) +
                     io,
                 "admn.controller.depth");
  // 2
  check_rejected(model("patch0",
                       [](model_text& m) {
                         auto* t = m.find("depth.patch_embed.proj.weight");
                         t->shape = {32, 3, 0, 0};
                         t->bytes.clear();
                       }) +
                     io,
                 "admn.patch_embed.shape");
  // 4
  for (const std::string size : {"[4096, 4096]", "[65536, 65536]"})
    check_rejected(model("image",
                         [&](model_text& m) {
                           m.metadata["admn.config"] = R"({"vit_heads": 2, "image_size": )" + size +
                                                       R"(, "controller_heads": 4, "fusion_heads": 4})";
                         }) +
                       io,
                   "admn.config.image_size");
  // 10
  check_rejected(
      model("gap", [](model_text& m) { m.rename_prefix("vision.blocks.1.", "vision.blocks.7."); }) + io,
      "admn.vit.block_gap");
  // 3
  for (const auto& dims : {std::vector<std::size_t>{2000, 0, 3, 32, 32}, {1'000'000'000'000, 0, 3, 32, 32}}) {
    auto inputs = case_inputs();
    inputs[0] = admn::tensor(admn::shape(std::span<const std::size_t>(dims)));
    const std::string bad = inputs_file(inputs, "in_shape");
    check_rejected("--model " + fixture_model + " --input " + bad + " --output " + out + " --budget 4",
                   "admn.network.input");
    fs::remove(bad);
  }
  // 5: NaN, ±Inf; --allow-nonfinite lets NaN through to the controller, whose top-L refuses it.
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()}) {
    auto inputs = case_inputs();
    inputs[1].data()[100] = bad;
    const std::string nan_in = inputs_file(inputs, "in_nan");
    check_rejected("--model " + fixture_model + " --input " + nan_in + " --output " + out + " --budget 4",
                   "admn.network.nonfinite");
    check_rejected(
        "--model " + fixture_model + " --input " + nan_in + " --output " + out + " --read --budget 4",
        "admn.network.nonfinite");
    check_rejected("--model " + fixture_model + " --input " + nan_in + " --output " + out +
                       " --budget 4 --allow-nonfinite",
                   "admn.top_l.nan");
    // 11: a bad budget or output path is reported before any compute (which would fail on NaN).
    check_rejected("--model " + fixture_model + " --input " + nan_in + " --output " + out +
                       " --budget 99 --allow-nonfinite",
                   "admn.budget.too_large");
    check_rejected("--model " + fixture_model + " --input " + nan_in +
                       " --output /no/such/dir/out.safetensors" + " --budget 4 --allow-nonfinite",
                   "admn.cli.output");
    fs::remove(nan_in);
  }
  // 5: finite but huge (3e38) passes the input check; the run then either ends in a typed
  // error (NaN logits or NaN outputs) or writes finite outputs — never NaN as a result.
  for (std::size_t m = 0; m < 2; ++m) {
    auto inputs = case_inputs();
    inputs[m].data()[77] = 3e38f;
    const std::string huge_in = inputs_file(inputs, "in_huge");
    const tool_outcome r =
        run_admn_run("--model " + fixture_model + " --input " + huge_in + " --output " + out + " --budget 4");
    INFO(r.stderr_text);
    CHECK((r.code == 0 || r.code == 1));
    if (r.code == 1) {
      CHECK((r.stderr_text.find("[admn.run.nonfinite_output]") != std::string::npos ||
             r.stderr_text.find("[admn.top_l.nan]") != std::string::npos));
    } else {
      const auto written = admn::io::safetensors_file::open(out);
      for (const std::string name : {"controller_logits", "pred_mean", "pred_cov"}) {
        const auto t = written.tensor(name);
        std::vector<float> values(t.bytes().size() / sizeof(float));
        t.to_f32(values);
        for (const float v : values) CHECK(std::isfinite(v));
      }
      fs::remove(out);
    }
    fs::remove(huge_in);
  }
  // 7
  check_rejected("--model " + fixture_model + io + " --threads 4294967298", "admn.cli.value");
  check_rejected("--model " + fixture_model + io + " --threads 1025", "admn.cli.value");
  // 9
  {
    std::ifstream src(fixture_model, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    std::string header = bytes.substr(8, n);
    header.insert(header.find("\"dtype\""), "\"x\":1e999,");
    const std::uint64_t size = header.size();
    std::string prefix(8, '\0');
    std::memcpy(prefix.data(), &size, 8);
    made.push_back(temp_name("number"));
    std::ofstream(made.back(), std::ios::binary) << prefix << header << bytes.substr(8 + n);
    check_rejected("--model " + made.back() + io, "admn.safetensors.number_out_of_range");
  }
  CHECK_FALSE(fs::exists(out));
  for (const auto& path : made) fs::remove(path);
  fs::remove(in);
}

TEST_CASE(
    "admn-run never overwrites an input file nor replaces a symbolic link; keeps an output's mode (case 8)") {
  const fs::path dir = fs::temp_directory_path() / ("admn-hostile-out-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path model = dir / "model.safetensors";
  fs::copy_file(fixture_model, model);
  const std::string in = inputs_file(case_inputs(), "in8");
  const auto size = fs::file_size(model);
  // The same file under other names: its own, a relative spelling, a hard link, a symlink.
  fs::create_hard_link(model, dir / "hard.safetensors");
  fs::create_symlink(model, dir / "soft.safetensors");
  const std::string spellings[] = {model.string(), (dir / "." / "model.safetensors").string(),
                                   (dir / "hard.safetensors").string()};
  for (const auto& target : spellings)
    check_rejected("--model " + model.string() + " --input " + in + " --output " + target + " --budget 4",
                   "admn.cli.output");
  check_rejected("--model " + model.string() + " --input " + in + " --output " + in + " --budget 4",
                 "admn.cli.output");
  check_rejected("--model " + model.string() + " --input " + in + " --output " +
                     (dir / "soft.safetensors").string() + " --budget 4",
                 "admn.cli.output");
  check_rejected("--model " + model.string() + " --input " + in + " --output " + dir.string() + " --budget 4",
                 "admn.cli.output");
  CHECK(fs::file_size(model) == size);
  CHECK(fs::is_symlink(dir / "soft.safetensors"));

  // A replaced output keeps its permissions.
  const fs::path out = dir / "out.safetensors";
  std::ofstream(out) << "old";
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_write);
  const tool_outcome r = run_admn_run("--model " + model.string() + " --input " + in + " --output " +
                                      out.string() + " --budget 4 --read");
  INFO(r.stderr_text);
  CHECK(r.code == 0);
  CHECK(fs::status(out).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(admn::io::safetensors_file::open(out).contains("layer_mask"));
  fs::remove_all(dir);
  fs::remove(in);
}

TEST_CASE("admn-inspect reports a model with a zero patch size without a signal (case 2)") {
  const std::string model = rewritten("inspect_patch0", [](model_text& m) {
    auto* t = m.find("depth.patch_embed.proj.weight");
    t->shape = {32, 3, 0, 0};
    t->bytes.clear();
  });
  for (const std::string flags : {"", " --json", " --read"}) {
    CAPTURE(flags);
    // The binding error goes to stderr, or into the JSON object with --json: read both.
    const fs::path err = fs::temp_directory_path() / ("admn-hostile-inspect-" + std::to_string(getpid()));
    const tool_outcome r =
        run_command(std::string(ADMN_INSPECT) + " " + model + flags + " > " + err.string() + " 2>&1", err);
    INFO(r.stderr_text);
    CHECK(r.code >= 0);  // no signal
    // --json lists the file without binding the network; the table binds and reports it.
    if (flags != " --json") CHECK(r.stderr_text.find("[admn.patch_embed.shape]") != std::string::npos);
  }
  fs::remove(model);
}

TEST_CASE("admn-run warns about tensors the network does not use") {
  const std::string in = inputs_file(case_inputs(), "in_extra");
  const std::string out = temp_name("out_extra");
  const std::string model = rewritten("extra", [](model_text& m) {
    owned_tensor extra = *m.find("vision.norm.bias");
    extra.name = "optimizer.state";
    m.tensors.push_back(extra);
  });
  const tool_outcome r =
      run_admn_run("--model " + model + " --input " + in + " --output " + out + " --budget 4");
  INFO(r.stderr_text);
  CHECK(r.code == 0);
  CHECK(r.stderr_text.find("warning: 1 tensors of the model are not used: 'optimizer.state'") !=
        std::string::npos);
  for (const auto& p : {in, out, model}) fs::remove(p);
}

#endif  // ADMN_RUN
