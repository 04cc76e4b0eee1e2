// Raw frames and audio → ADMN's input tensors, against a PyTorch/OpenCV/torchaudio reference of
// docs/numerics.md §6 (tests/fixtures/preprocess/*.safetensors, make_preprocess_fixtures.py).
#include "common/detgen.hpp"
#include "common/fixture.hpp"

#include <admn/io/safetensors.hpp>
#include <admn/zoo/preprocess.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

// A U8 tensor of the fixture as a view (zero copy; the file outlives the view).
struct u8_fixture {
  std::shared_ptr<const admn::io::safetensors_file> file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(std::string(ADMN_TEST_FIXTURES) + "/preprocess/images.safetensors"));

  [[nodiscard]] admn::zoo::raw::frames_view frames(const std::string& name) const {
    const auto t = file->tensor(name);
    REQUIRE(t.dtype() == admn::dtype::u8);
    const auto bytes = t.as<std::uint8_t>();
    REQUIRE(bytes.has_value());
    const auto s = admn::shape::try_make(t.shape());
    REQUIRE(s.has_value());
    return {bytes->data(), *s};
  }
};

}  // namespace

TEST_CASE("raw frames → GTDM, AVE and MM-Fi inputs equal the PyTorch/OpenCV pipelines of §6") {
  const admn::test::fixture f("preprocess/images.safetensors");
  const u8_fixture raw;
  CHECK(f.meta("size") == "28,32");
  const admn::zoo::raw::image_size size{28, 32};
  namespace r = admn::zoo::raw;
  struct image_case {
    const char* name;
    admn::tensor (*pipeline)(r::frames_view, r::image_size, bool);
  };
  const image_case cases[] = {{"gtdm_rgb", r::gtdm_rgb},
                              {"gtdm_depth", r::gtdm_depth},
                              {"ave_image", r::ave_image},
                              {"mmfi_rgb", r::mmfi_rgb},
                              {"mmfi_depth", r::mmfi_depth}};
  for (const auto& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    const admn::tensor out = c.pipeline(raw.frames(name + ".raw"), size, true);
    const admn::tensor ref = f.get(name + ".input");
    REQUIRE(out.shape() == ref.shape());
    admn::test::check_close(out, ref, 1e-5);
  }
  // GTDM node 2 is a constant image: OpenCV's min-max maps it to 0, so it becomes ImageNet's −mean/std.
  const admn::tensor rgb = r::gtdm_rgb(raw.frames("gtdm_rgb.raw"), size, true);
  CHECK(rgb(0, 2, 0, 5, 5) == doctest::Approx(-0.485 / 0.229).epsilon(1e-6));
  CHECK(rgb(0, 2, 2, 27, 31) == doctest::Approx(-0.406 / 0.225).epsilon(1e-6));
}

TEST_CASE("raw audio → AVE's (1, 128, 1024) spectrogram equals torchaudio + ADMN's normalisation") {
  const admn::test::fixture f("preprocess/fbank.safetensors");
  namespace r = admn::zoo::raw;

  // 2 s: 198 frames, the rest zero-padded; the reference stores the frames and the pad value.
  const admn::tensor wave = f.get("short.wave");
  const admn::tensor out = r::ave_audio(wave.view().reshape(admn::shape{1, wave.size()}));
  REQUIRE(out.shape() == admn::shape{1, 1, 1, 128, 1024});
  const admn::tensor head = f.get("short.audio_head");
  const float pad = f.get("short.audio_pad").data()[0];
  const std::size_t frames = head.shape()[2];
  admn::tensor ref(admn::shape{1, 1, 1, 128, 1024});
  for (std::size_t b = 0; b < 128; ++b)
    for (std::size_t t = 0; t < 1024; ++t) ref(0, 0, 0, b, t) = t < frames ? head(0, b, t) : pad;
  admn::test::check_close(out, ref, 1e-4);
  CHECK(out(0, 0, 0, 64, 1023) == pad);

  // 10.5 s: 1048 frames cut to 1024; the reference stores columns 1000..1023.
  admn::tensor long_wave = admn::test::detgen(17, admn::shape{1, 168000}, 0.5);
  for (float& v : long_wave.values()) v += 0.25f;
  const admn::tensor long_out = r::ave_audio(long_wave.view());
  const admn::tensor tail = f.get("long.audio_tail");
  admn::tensor got(tail.shape());
  for (std::size_t b = 0; b < 128; ++b)
    for (std::size_t t = 0; t < 24; ++t) got(0, b, t) = long_out(0, 0, 0, b, 1000 + t);
  admn::test::check_close(got, tail, 1e-4);
}
