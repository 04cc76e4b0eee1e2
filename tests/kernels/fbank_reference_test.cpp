// The Kaldi filterbank plan against torchaudio.compliance.kaldi.fbank 0.13.1
// (tests/fixtures/preprocess/fbank.safetensors, tests/reference/make_preprocess_fixtures.py).
#include "common/detgen.hpp"
#include "common/fixture.hpp"

#include <admn/kernels/fbank.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

admn::tensor run_plan(const admn::kernels::fbank_plan& plan, const std::vector<float>& wave) {
  const std::size_t frames = plan.frames(wave.size());
  admn::tensor out(admn::shape{frames, plan.mel_bins()});
  std::vector<float> scratch(plan.scratch_size());
  plan.run(wave.data(), 0, frames, out.data(), scratch.data());
  return out;
}

}  // namespace

TEST_CASE("fbank plan equals torchaudio's kaldi.fbank (AVE's arguments, 2 s of tones, chirp and noise)") {
  const admn::test::fixture f("preprocess/fbank.safetensors");
  const admn::tensor wave = f.get("short.wave");  // F16, widened exactly
  // AVE subtracts the waveform's mean before the fbank; the fixture's fbank is of that signal.
  double sum = 0.0;
  for (const float v : wave.values()) sum += v;
  const auto mean = static_cast<float>(sum / static_cast<double>(wave.size()));
  std::vector<float> centred(wave.size());
  for (std::size_t i = 0; i < wave.size(); ++i) centred[i] = wave.data()[i] - mean;
  const admn::kernels::fbank_plan plan;
  const admn::tensor out = run_plan(plan, centred);
  const admn::tensor ref = f.get("short.fbank");
  CHECK(out.shape() == ref.shape());
  CHECK(std::to_string(plan.frames(wave.size())) == f.meta("short.frames"));
  admn::test::check_close(out, ref, 1e-5);
}

TEST_CASE("fbank plan equals torchaudio's kaldi.fbank at 8 kHz, 40 bins, 60 Hz to Nyquist − 400 Hz") {
  const admn::test::fixture f("preprocess/fbank.safetensors");
  const admn::tensor w = admn::test::detgen(23, admn::shape{4000}, 0.25);
  const std::vector<float> wave(w.values().begin(), w.values().end());
  const admn::kernels::fbank_plan plan(
      {.sample_rate = 8000, .frame_shift_ms = 20, .mel_bins = 40, .low_freq = 60, .high_freq = -400});
  const admn::tensor out = run_plan(plan, wave);
  const admn::tensor ref = f.get("rate8k.fbank");
  CHECK(out.shape() == ref.shape());
  admn::test::check_close(out, ref, 1e-5);
}
