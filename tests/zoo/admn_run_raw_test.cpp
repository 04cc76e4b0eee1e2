// admn-run --raw: raw frames and audio in, the same outputs as running on the preprocessed tensors.
#include <admn/io/safetensors.hpp>
#include <admn/io/writer.hpp>
#include <admn/zoo/preprocess.hpp>
#include <admn/zoo/registry.hpp>

#include "common/compare.hpp"
#include "common/run_tool.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

// The admn-run binary exists only when the examples are built.
#ifdef ADMN_RUN

namespace fs = std::filesystem;

namespace {

using admn::test::run_admn_run;
using admn::test::temp_path;
using admn::test::tool_outcome;

// A raw tensor to write: U8 frames or F32 samples.
struct raw_tensor {
  std::string name;
  std::vector<std::uint64_t> shape;
  std::vector<std::uint8_t> u8{};
  std::vector<float> f32{};
};

std::vector<std::uint8_t> frame_bytes(std::size_t n, unsigned seed) {
  std::vector<std::uint8_t> v(n);
  const std::vector<float> u = admn::test::uniform(n, 0.0f, 256.0f, seed);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(std::min(255.0f, u[i]));
  return v;
}

void write(const fs::path& path, const std::vector<raw_tensor>& tensors,
           const std::map<std::string, std::string>& metadata = {}) {
  std::vector<admn::io::tensor_entry> entries;
  for (const auto& t : tensors)
    entries.push_back({t.name, t.f32.empty() ? admn::dtype::u8 : admn::dtype::f32, t.shape,
                       !t.f32.empty() ? std::as_bytes(std::span<const float>(t.f32))
                                      : std::as_bytes(std::span<const std::uint8_t>(t.u8))});
  admn::io::save(path, entries, metadata);
}

admn::zoo::raw::frames_view view_of(const raw_tensor& t) {
  return {t.u8.data(), *admn::shape::try_make(std::span<const std::uint64_t>(t.shape))};
}

// Every tensor of two admn-run outputs, bit for bit.
void check_same_outputs(const fs::path& a, const fs::path& b) {
  const auto fa = admn::io::safetensors_file::open(a);
  const auto fb = admn::io::safetensors_file::open(b);
  REQUIRE(fa.keys() == fb.keys());
  for (const auto& key : fa.keys()) {
    CAPTURE(key);
    const auto ba = fa.tensor(key).bytes();
    const auto bb = fb.tensor(key).bytes();
    CHECK(std::equal(ba.begin(), ba.end(), bb.begin(), bb.end()));
  }
}

const std::string fixtures = ADMN_TEST_FIXTURES;

}  // namespace

TEST_CASE("admn-run --raw equals admn-run on the preprocessed tensors (gtdm, ave)") {
  // gtdm: BGR frames and grayscale depth (no C axis) of 3 nodes, 40 × 48 → the model's 32 × 32.
  const raw_tensor rgb{"zed_camera_left.raw", {1, 3, 40, 48, 3}, frame_bytes(3 * 40 * 48 * 3, 1)};
  const raw_tensor depth{"realsense_camera_depth.raw", {1, 3, 40, 48}, frame_bytes(3 * 40 * 48, 2)};
  // ave: 8 RGB frames and 1.3 s of audio → the model's 32 × 32 images and 32 × 128 spectrogram.
  const raw_tensor frames{"image.raw", {1, 8, 40, 48, 3}, frame_bytes(8 * 40 * 48 * 3, 3)};
  raw_tensor audio{"audio.raw", {1, 20800}};
  audio.f32 = admn::test::uniform(20800, -0.5f, 0.5f, 4);
  for (std::size_t t = 0; t < audio.f32.size(); ++t)
    audio.f32[t] += 0.3f * static_cast<float>(std::sin(0.2 * static_cast<double>(t)));

  struct arch_case {
    std::string arch;
    std::vector<raw_tensor> raw;
  };
  const arch_case cases[] = {{"gtdm", {rgb, depth}}, {"ave", {frames, audio}}};
  for (const auto& c : cases) {
    CAPTURE(c.arch);
    const std::string model = fixtures + "/networks/" + c.arch + "_small.safetensors";
    const auto file = admn::io::safetensors_file::open(model);
    const fs::path raw_in = temp_path("admn-run-raw-in"), pre_in = temp_path("admn-run-pre-in");
    const fs::path raw_out = temp_path("admn-run-raw-out"), pre_out = temp_path("admn-run-pre-out");
    write(raw_in, c.raw);
    // The same preprocessing through the library, written as ordinary inputs.
    std::vector<admn::tensor> inputs;
    std::vector<std::string> names;
    namespace r = admn::zoo::raw;
    if (c.arch == "gtdm") {
      const auto config = admn::zoo::config_of<admn::zoo::gtdm::network>(file);
      inputs.push_back(r::gtdm_rgb(view_of(rgb), config.modalities[0].image));
      inputs.push_back(r::gtdm_depth(view_of(depth), config.modalities[1].image));
      names = {"zed_camera_left", "realsense_camera_depth"};
    } else {
      const auto config = admn::zoo::config_of<admn::zoo::ave::network>(file);
      inputs.push_back(r::ave_image(view_of(frames), config.modalities[0].image));
      const admn::const_view wave(audio.f32.data(), admn::shape{1, audio.f32.size()});
      inputs.push_back(r::ave_audio(wave, 16000.0, config.modalities[1].image));
      names = {"image", "audio"};
    }
    std::vector<admn::io::tensor_entry> entries;
    for (std::size_t i = 0; i < names.size(); ++i) entries.push_back(admn::io::entry(names[i], inputs[i]));
    admn::io::save(pre_in, entries);

    const std::string common = "--model " + model + " --budget 4 --threads 2";
    const tool_outcome a =
        run_admn_run(common + " --raw --input " + raw_in.string() + " --output " + raw_out.string());
    INFO(a.stderr_text);
    REQUIRE(a.code == 0);
    const tool_outcome b =
        run_admn_run(common + " --input " + pre_in.string() + " --output " + pre_out.string());
    INFO(b.stderr_text);
    REQUIRE(b.code == 0);
    check_same_outputs(raw_out, pre_out);
    for (const auto& p : {raw_in, pre_in, raw_out, pre_out}) fs::remove(p);
  }
}

TEST_CASE("admn-run --raw reports bad raw inputs with a typed id and exit 1") {
  const std::string model = fixtures + "/networks/ave_small.safetensors";
  const raw_tensor frames{"image.raw", {1, 8, 40, 48, 3}, frame_bytes(8 * 40 * 48 * 3, 5)};
  raw_tensor audio{"audio.raw", {1, 8000}};
  audio.f32 = admn::test::uniform(8000, -0.5f, 0.5f, 6);
  raw_tensor nan_audio = audio;
  nan_audio.f32[1234] = NAN;
  raw_tensor short_audio{"audio.raw", {1, 399}};
  short_audio.f32.assign(399, 0.1f);
  raw_tensor rank1_audio{"audio.raw", {8000}};
  rank1_audio.f32 = audio.f32;
  const raw_tensor four_channels{"image.raw", {1, 8, 40, 48, 4}, frame_bytes(8 * 40 * 48 * 4, 7)};
  const raw_tensor rank4_frames{"image.raw", {8, 40, 48, 3}, frame_bytes(8 * 40 * 48 * 3, 8)};
  raw_tensor float_frames{"image.raw", {1, 8, 40, 48, 3}};
  float_frames.f32.assign(8 * 40 * 48 * 3, 0.5f);
  const raw_tensor empty_frames{"image.raw", {1, 8, 0, 48, 3}};

  struct bad_case {
    std::vector<raw_tensor> tensors;
    std::map<std::string, std::string> metadata;
    std::string id;
  };
  const bad_case bad[] = {
      {{frames}, {}, "[admn.run.missing_input]"},
      {{frames, nan_audio}, {}, "[admn.raw.non_finite]"},
      {{frames, short_audio}, {}, "[admn.raw.audio_length]"},
      {{frames, rank1_audio}, {}, "[admn.raw.rank]"},
      {{frames, audio}, {{"sample_rate", "8000"}}, "[admn.raw.sample_rate]"},
      {{frames, audio}, {{"sample_rate", "16k"}}, "[admn.raw.sample_rate]"},
      {{four_channels, audio}, {}, "[admn.raw.channels]"},
      {{rank4_frames, audio}, {}, "[admn.raw.rank]"},
      {{float_frames, audio}, {}, "[admn.raw.dtype]"},
      {{empty_frames, audio}, {}, "[admn.raw.empty]"},
  };
  const fs::path in = temp_path("admn-run-raw-bad-in"), out = temp_path("admn-run-raw-bad-out");
  for (const auto& c : bad) {
    CAPTURE(c.id);
    write(in, c.tensors, c.metadata);
    const tool_outcome r = run_admn_run("--model " + model + " --budget 4 --raw --input " + in.string() +
                                        " --output " + out.string());
    CHECK(r.code == 1);
    CHECK(r.stderr_text.find(c.id) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
  // 16000 Hz stated explicitly is accepted.
  write(in, {frames, audio}, {{"sample_rate", "16000"}});
  const tool_outcome ok = run_admn_run("--model " + model + " --budget 4 --raw --input " + in.string() +
                                       " --output " + out.string());
  INFO(ok.stderr_text);
  CHECK(ok.code == 0);
  fs::remove(in);
  fs::remove(out);
}

#endif  // ADMN_RUN
