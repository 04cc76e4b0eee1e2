// Full-size AVE-Unequal (two ViT-B/16; image blocks cost 3, audio blocks 1) through
// admn-run --costs 3,1 against the PyTorch reference, generated at test time by
// tests/reference/make_unequal_fixture.py --full (the model is 776 MB, too large to
// commit). Exits 77 (CTest: skipped) when Debian's python3-torch is not installed.
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>

#include "common/fixture.hpp"
#include "common/run_tool.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

TEST_CASE("admn-run --costs 3,1 reproduces the full-size AVE-Unequal controller") {
  namespace fs = std::filesystem;
  if (std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") != 0) {
    std::printf("skipped: /usr/bin/python3 with torch is not available\n");
    std::exit(77);
  }
  const fs::path dir = ADMN_AVE_UNEQUAL_FULL_DIR;
  fs::create_directories(dir);
  const std::string command = "/usr/bin/python3 " + std::string(ADMN_SOURCE_DIR) +
                              "/tests/reference/make_unequal_fixture.py --full " + dir.string() + " > " +
                              (dir / "generate.log").string() + " 2>&1";
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "see " << (dir / "generate.log").string());

  const admn::io::weight_source cases(std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(dir / "ave_unequal_full_cases.safetensors")));
  const auto expected = [&](const std::string& name) { return cases.load(name); };
  // The cases' budgets, as the script names them; per_sample gives each sample its own.
  for (const auto& [name, budget] : {std::pair<std::string, std::string>{"l6", "6"},
                                     {"l9", "9"},
                                     {"l13", "13"},
                                     {"per_sample", "5,10,16"}}) {
    const auto& name_ = name;  // clang 14: no structured binding in a lambda
    CAPTURE(name_);
    const fs::path out = dir / ("out_" + name + ".safetensors");
    const admn::test::tool_outcome r =
        admn::test::run_admn_run("--model " + (dir / "ave_unequal_full.safetensors").string() + " --input " +
                                 (dir / "ave_unequal_full_inputs.safetensors").string() + " --output " +
                                 out.string() + " --costs 3,1 --budget " + budget);
    INFO(r.stderr_text);
    REQUIRE(r.code == 0);
    const auto result = admn::io::safetensors_file::open(out);
    const admn::tensor expected_mask = expected(name + ".layer_mask");
    const auto mask = result.tensor("layer_mask");
    REQUIRE(mask.bytes().size() == expected_mask.size());
    for (std::size_t i = 0; i < expected_mask.size(); ++i)
      CHECK(static_cast<float>(static_cast<unsigned char>(mask.bytes()[i])) == expected_mask.data()[i]);
    for (const std::string output : {"controller_logits", "qoi", "logits"}) {
      CAPTURE(output);
      const admn::tensor want = expected(name + "." + output);
      admn::tensor got(want.shape());
      result.tensor(output).to_f32(got.values());
      admn::test::check_close(got, want);
    }
  }
  fs::remove_all(dir);
}
