// Full-size GTDM (two ViT-B/16, 3 nodes each, 224×224) against the PyTorch
// reference, generated at test time by tests/reference/gtdm_full.py (the model
// is 723 MB, too large to commit). Exits 77 (CTest: skipped) when Debian's
// python3-torch is not installed (`tools/deps.sh reference` installs it).
#include "common/network_cases.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

TEST_CASE("full-size GTDM equals the PyTorch reference") {
  if (std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") != 0) {
    std::printf("skipped: /usr/bin/python3 with torch is not available\n");
    std::exit(77);
  }
  const std::filesystem::path dir = ADMN_GTDM_FULL_DIR;
  const std::string command = "/usr/bin/python3 " + std::string(ADMN_SOURCE_DIR) +
                              "/tests/reference/gtdm_full.py " + dir.string() + " > " +
                              (dir / "generate.log").string() + " 2>&1";
  std::filesystem::create_directories(dir);
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "see " << (dir / "generate.log").string());
  admn::test::check_network_cases((dir / "model.safetensors").string(), (dir / "cases.safetensors").string());
  std::filesystem::remove_all(dir);
}
