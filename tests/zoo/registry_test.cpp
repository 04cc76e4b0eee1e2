// zoo/registry.hpp: the arch dispatch and the configs it makes from admn.config.
#include <admn/io/writer.hpp>
#include <admn/zoo/registry.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>

namespace {

std::shared_ptr<const admn::io::safetensors_file> file(const std::string& arch,
                                                       const std::string& config = "") {
  std::map<std::string, std::string> meta{{"admn.arch", arch}};
  if (!config.empty()) meta["admn.config"] = config;
  return std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::from_bytes(admn::io::serialize({}, meta)));
}

}  // namespace

TEST_CASE("config_of applies admn.config to the arch's reference hyper-parameters") {
  const auto ave = admn::zoo::config_of<admn::zoo::ave::network>(
      *file("ave", R"({"vit_heads": 2, "image_size": [32, 32], "fusion_heads": 8})"));
  CHECK(ave.modalities[0].heads == 2);
  CHECK(ave.modalities[0].image == std::array<std::size_t, 2>{32, 32});
  CHECK(ave.modalities[1].image == admn::zoo::ave::default_audio_size);  // absent: the arch's default
  CHECK(ave.fusion.heads == 8);
  CHECK(ave.controller.heads == 4);
  // Absent sizes keep each arch's own defaults, which differ between archs.
  const auto digits =
      admn::zoo::config_of<admn::zoo::digits::network>(*file("digits", R"({"vit_heads": 3})"));
  CHECK(digits.modalities[0].image == admn::zoo::digits::default_image_size);
  CHECK(digits.modalities[1].image == admn::zoo::digits::default_audio_size);
  CHECK(admn::zoo::config_of<admn::zoo::gtdm::network>(*file("gtdm")).modalities[0].image ==
        admn::zoo::gtdm::default_image_size);
}

TEST_CASE("config_of rejects a file of another or an unknown arch") {
  for (const std::string arch : {"mmfi", "resnet"}) {
    CAPTURE(arch);
    try {
      (void)admn::zoo::config_of<admn::zoo::gtdm::network>(*file(arch));
      FAIL("no error");
    } catch (const admn::config_error& e) {
      CHECK(std::string(e.id()) == "admn.config.arch");
    }
  }
}
