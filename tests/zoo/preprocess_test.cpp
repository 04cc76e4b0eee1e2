// Raw-input stages and pipelines: exact small cases (channel order, /255, OpenCV's min-max on a
// constant image, the AVE pad value) and the typed errors. PyTorch/torchaudio goldens:
// preprocess_reference_test.cpp.
#include "common/error_id.hpp"

#include <admn/zoo/digits.hpp>
#include <admn/zoo/preprocess.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace r = admn::zoo::raw;
using admn::test::error_id;

static_assert(r::has_pipeline<admn::zoo::gtdm::network> && r::has_pipeline<admn::zoo::ave::network> &&
              r::has_pipeline<admn::zoo::mmfi::network>);
static_assert(!r::has_pipeline<admn::zoo::digits::network>, "the demo network takes no raw input");

TEST_CASE("decode_frames: HWC → CHW, /255, BGR → RGB") {
  // One 1 × 2 image, pixels (B, G, R) = (10, 20, 30) and (40, 50, 60).
  const std::vector<std::uint8_t> bgr{10, 20, 30, 40, 50, 60};
  const r::frames_view in(bgr.data(), admn::shape{1, 1, 2, 3});
  admn::tensor out(admn::shape{1, 3, 1, 2});
  admn::model::decode_frames{.divide_by_255 = false, .reverse_channels = true}.apply(in, out.view());
  CHECK(std::vector<float>(out.values().begin(), out.values().end()) ==
        std::vector<float>{30, 60, 20, 50, 10, 40});
  admn::model::decode_frames{}.apply(in, out.view());
  CHECK(out(0, 0, 0, 1) == 40.0f / 255.0f);
  CHECK(out(0, 2, 0, 0) == 30.0f / 255.0f);
}

TEST_CASE("minmax_normalize: [min, max] → [0, 1] over all channels, a constant image → 0 (OpenCV)") {
  admn::tensor x(admn::shape{2, 2, 1, 2});
  const float values[] = {2, 4, 6, 10, 7, 7, 7, 7};
  std::copy(std::begin(values), std::end(values), x.data());
  admn::model::minmax_normalize::apply(x.view(), x.view());
  CHECK(std::vector<float>(x.values().begin(), x.values().end()) ==
        std::vector<float>{0.0f, 0.25f, 0.5f, 1.0f, 0, 0, 0, 0});
}

TEST_CASE("AVE audio: padded frames hold 4.2677393 / 9.1379948, output shape from the backbone size") {
  std::vector<float> wave(16000);
  for (std::size_t t = 0; t < wave.size(); ++t) wave[t] = 0.1f * std::sin(0.05f * static_cast<float>(t));
  const admn::tensor out = r::ave_audio(admn::const_view(wave.data(), admn::shape{1, 16000}));
  CHECK(out.shape() == admn::shape{1, 1, 1, 128, 1024});
  CHECK(out(0, 0, 0, 0, 98) == (0.0f + 4.2677393f) / (4.5689974f * 2.0f));
  CHECK(out(0, 0, 0, 0, 97) != out(0, 0, 0, 0, 98));  // 98 frames of signal
  const admn::tensor small =
      r::ave_audio(admn::const_view(wave.data(), admn::shape{2, 8000}), 16000.0, {32, 16});
  CHECK(small.shape() == admn::shape{2, 1, 1, 32, 16});
}

TEST_CASE("raw pipelines reject bad input with typed ids") {
  const std::vector<std::uint8_t> bytes(2 * 3 * 4 * 5 * 4, 9);
  const auto frames = [&](admn::shape s) { return r::frames_view(bytes.data(), s); };
  CHECK(error_id([&] { (void)r::gtdm_rgb(frames({1, 3, 4, 5, 3}), {8, 8}); }) == "none");
  CHECK(error_id([&] { (void)r::gtdm_rgb(frames({3, 4, 5, 3}), {8, 8}); }) == "admn.raw.rank");
  CHECK(error_id([&] { (void)r::gtdm_rgb(frames({1, 3, 4, 5, 4}), {8, 8}); }) == "admn.raw.channels");
  CHECK(error_id([&] { (void)r::gtdm_depth(frames({1, 3, 4, 5, 3}), {8, 8}); }) == "admn.raw.channels");
  CHECK(error_id([&] { (void)r::gtdm_depth(frames({1, 3, 4, 5}), {8, 8}); }) == "none");
  CHECK(error_id([&] { (void)r::ave_image(frames({1, 0, 4, 5, 3}), {8, 8}); }) == "admn.raw.empty");
  CHECK(error_id([&] { (void)r::mmfi_rgb(frames({1, 3, 4, 5, 3}), {0, 8}); }) == "admn.resize.shape");

  std::vector<float> wave(1000, 0.25f);
  const auto audio = [&](admn::shape s, double rate = 16000.0) {
    return error_id([&] { (void)r::ave_audio(admn::const_view(wave.data(), s), rate, {16, 8}); });
  };
  CHECK(audio({1, 1000}) == "none");
  CHECK(audio({1000}) == "admn.raw.rank");
  CHECK(audio({1, 0}) == "admn.raw.empty");
  CHECK(audio({1, 399}) == "admn.raw.audio_length");
  CHECK(audio({1, 1000}, 44100.0) == "admn.raw.sample_rate");
  wave[500] = INFINITY;
  CHECK(audio({1, 1000}) == "admn.raw.non_finite");
  wave[500] = NAN;
  CHECK(audio({2, 500}) == "admn.raw.non_finite");
}

TEST_CASE("raw pipelines treat each sample of a batch alone") {
  // Two samples of frames and of audio: the batch result equals the two single-sample results.
  std::vector<std::uint8_t> bytes(2 * 3 * 9 * 11 * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>((i * 37 + i / 7) % 251);
  const admn::tensor both = r::gtdm_rgb(r::frames_view(bytes.data(), admn::shape{2, 3, 9, 11, 3}), {6, 5});
  const std::size_t per = both.size() / 2;
  for (std::size_t b = 0; b < 2; ++b) {
    const admn::tensor one =
        r::gtdm_rgb(r::frames_view(bytes.data() + b * bytes.size() / 2, admn::shape{1, 3, 9, 11, 3}), {6, 5});
    CHECK(std::equal(one.values().begin(), one.values().end(), both.data() + b * per));
  }
  std::vector<float> wave(2 * 3000);
  for (std::size_t t = 0; t < wave.size(); ++t)
    wave[t] = 0.2f * std::sin(0.01f * static_cast<float>(t * t % 977));
  const admn::tensor audio =
      r::ave_audio(admn::const_view(wave.data(), admn::shape{2, 3000}), 16000.0, {24, 20});
  for (std::size_t b = 0; b < 2; ++b) {
    const admn::tensor one =
        r::ave_audio(admn::const_view(wave.data() + b * 3000, admn::shape{1, 3000}), 16000.0, {24, 20});
    CHECK(std::equal(one.values().begin(), one.values().end(), audio.data() + b * one.size()));
  }
}
