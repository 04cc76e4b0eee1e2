// ADMN's GTDM variants against the PyTorch reference (tests/reference/make_variant_fixtures.py),
// loaded from their files as admn-run loads them (zoo::with_network): GTDM-Blur and
// GTDM-Lowlight (class-logit QoI heads), GTDM-3 (a third, range-doppler modality whose
// controller encoder has no Resize, a combiner whose inner width is not its width, k = L − 3)
// and a GTDM whose controller was initialised from the ADMN autoencoder. Layer masks
// identical, controller logits, QoI and outputs within 1e-5 relative error. Also admn-run
// end to end on GTDM-3.
#include <admn/io/writer.hpp>

#include "common/error_id.hpp"
#include "common/network_cases.hpp"
#include "common/run_tool.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace {

std::string fixture_path(const std::string& name) {
  return std::string(ADMN_TEST_FIXTURES) + "/variants/" + name + ".safetensors";
}

void check_variant(const std::string& variant) {
  admn::test::check_network_cases(fixture_path(variant + "_small"), fixture_path(variant + "_small_cases"));
}

// The network type and QoI width a variant's file binds to.
template <class Net>
void check_binds(const std::string& variant, std::size_t qoi_count) {
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(fixture_path(variant + "_small")));
  admn::zoo::with_network(file, true, [&](const auto& net, const admn::io::weight_source&) {
    CHECK(std::is_same_v<std::decay_t<decltype(net)>, Net>);
    CHECK(net.controller().qoi_count() == qoi_count);
    return 0;
  });
}

}  // namespace

TEST_CASE("GTDM-Blur (reduced, 4 + 4 blur-class QoI logits) equals the PyTorch reference") {
  check_binds<admn::zoo::gtdm::class_qoi_network>("gtdm_blur", 8);
  check_variant("gtdm_blur");
}

TEST_CASE("GTDM-Lowlight (reduced, 4 gamma-class QoI logits) equals the PyTorch reference") {
  check_binds<admn::zoo::gtdm::class_qoi_network>("gtdm_lowlight", 4);
  check_variant("gtdm_lowlight");
}

TEST_CASE("GTDM-3 (reduced: RGB, depth and range-doppler) equals the PyTorch reference") {
  check_binds<admn::zoo::gtdm_3mod::network>("gtdm_3mod", 3);
  check_variant("gtdm_3mod");
}

TEST_CASE("GTDM-3's range-doppler encoder takes the maps unresized and its combiner is narrower inside") {
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(fixture_path("gtdm_3mod_small")));
  const auto net = admn::model::load<admn::zoo::gtdm_3mod::network>(
      admn::io::weight_source(file), admn::zoo::config_of<admn::zoo::gtdm_3mod::network>(*file));
  CHECK(net.modality_names()[2] == "range_doppler");
  CHECK(net.config().modalities[2].image == std::array<std::size_t, 2>{64, 16});
  CHECK(net.controller().encoder(2).describe() == "conv encoder 64x16 -> 273 -> 18");
  CHECK(net.controller().encoder(0).describe() == "conv encoder 32x32 -> 100x100 -> 1587 -> 18");
  CHECK(net.controller().logit_count() == 12);
  CHECK(net.controller().tokens() == 10);  // CLS + 3 nodes × 3 modalities
}

TEST_CASE("A GTDM controller initialised from the ADMN autoencoder loads as GTDM and equals the reference") {
  check_binds<admn::zoo::gtdm::network>("gtdm_ae", 2);
  check_variant("gtdm_ae");
}

TEST_CASE("GTDM-3's range-doppler encoder: a Resize or pool the weights do not have is named at load") {
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(fixture_path("gtdm_3mod_small")));
  const auto load_with = [&](auto edit) {
    auto config = admn::zoo::config_of<admn::zoo::gtdm_3mod::network>(*file);
    edit(config.modalities[2].encoder);
    return admn::test::error_id([&] {
      (void)admn::model::load<admn::zoo::gtdm_3mod::network>(admn::io::weight_source(file), config);
    });
  };
  CHECK(load_with([](auto&) {}) == "none");
  // With a leading Resize the encoder's first conv would be key 1, which the file does not have.
  CHECK(load_with([](auto& e) { e.leading_resize = true; }) == "admn.load.missing");
  CHECK(load_with([](auto& e) { e.pool = {3, 3}; }) == "admn.controller.flatten");
}

// The admn-run binary exists only when the examples are built.
#ifdef ADMN_RUN

TEST_CASE("admn-run runs GTDM-3 from its file and reproduces the reference") {
  namespace fs = std::filesystem;
  const admn::test::fixture cases("variants/gtdm_3mod_small_cases.safetensors");
  const std::string c = "b3_l6_aa";
  const std::vector<std::string> modalities{"zed_camera_left", "realsense_camera_depth", "range_doppler"};
  std::vector<admn::tensor> inputs;
  for (const auto& m : modalities) inputs.push_back(cases.get(c + "." + m));
  std::vector<admn::io::tensor_entry> entries;
  for (std::size_t i = 0; i < modalities.size(); ++i)
    entries.push_back(admn::io::entry(modalities[i], inputs[i]));
  const std::string tag = std::to_string(getpid());
  const fs::path in = fs::temp_directory_path() / ("admn-run-gtdm3-in-" + tag + ".safetensors");
  const fs::path out = fs::temp_directory_path() / ("admn-run-gtdm3-out-" + tag + ".safetensors");
  admn::io::save(in, entries);
  const admn::test::tool_outcome r =
      admn::test::run_admn_run("--model " + fixture_path("gtdm_3mod_small") + " --input " + in.string() +
                               " --output " + out.string() + " --budget 6");
  INFO(r.stderr_text);
  REQUIRE(r.code == 0);

  const auto result = admn::io::safetensors_file::open(out);
  const auto mask = result.tensor("layer_mask");
  CHECK(std::vector<std::uint64_t>(mask.shape().begin(), mask.shape().end()) ==
        std::vector<std::uint64_t>{3, 3, 4});
  const admn::tensor expected_mask = cases.get(c + ".layer_mask");
  REQUIRE(mask.bytes().size() == expected_mask.size());
  for (std::size_t i = 0; i < expected_mask.size(); ++i)
    CHECK(static_cast<float>(static_cast<unsigned char>(mask.bytes()[i])) == expected_mask.data()[i]);
  for (const std::string name : {"controller_logits", "qoi", "pred_mean", "pred_cov"}) {
    CAPTURE(name);
    const admn::tensor expected = cases.get(c + "." + name);
    admn::tensor got(expected.shape());
    result.tensor(name).to_f32(got.values());
    admn::test::check_close(got, expected);
  }
  fs::remove(in);
  fs::remove(out);
}

#endif
