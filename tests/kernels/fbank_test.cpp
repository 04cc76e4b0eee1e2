// The Kaldi filterbank plan against a direct double-precision evaluation of its formulas (frame by
// frame DFT, mel triangles in double), plus the frame count, the mel bank's shape, a pure tone and
// the option checks. torchaudio itself: fbank_reference_test.cpp.
#include "common/detgen.hpp"
#include "common/error_id.hpp"

#include <admn/kernels/fbank.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <vector>

namespace {

using admn::kernels::fbank_options;
using admn::kernels::fbank_plan;

// The file comment's formulas in double (no float32 emulation), frames [0, frames).
std::vector<double> direct_fbank(const std::vector<float>& wave, const fbank_options& o) {
  const auto length = static_cast<std::size_t>(o.sample_rate * o.frame_length_ms * 0.001);
  const auto shift = static_cast<std::size_t>(o.sample_rate * o.frame_shift_ms * 0.001);
  std::size_t n = 1;
  while (n < length) n *= 2;
  const std::size_t frames = wave.size() < length ? 0 : 1 + (wave.size() - length) / shift;
  const double nyquist = o.sample_rate / 2;
  const double high = o.high_freq <= 0 ? nyquist + o.high_freq : o.high_freq;
  const auto mel = [](double f) { return 1127.0 * std::log(1.0 + f / 700.0); };
  const double delta = (mel(high) - mel(o.low_freq)) / static_cast<double>(o.mel_bins + 1);
  std::vector<double> out(frames * o.mel_bins);
  std::vector<double> x(n);
  for (std::size_t f = 0; f < frames; ++f) {
    double mean = 0;
    for (std::size_t t = 0; t < length; ++t) mean += wave[f * shift + t];
    mean /= static_cast<double>(length);
    std::fill(x.begin(), x.end(), 0.0);
    for (std::size_t t = 0; t < length; ++t) {
      const double v = wave[f * shift + t] - mean;
      const double prev = wave[f * shift + (t == 0 ? 0 : t - 1)] - mean;
      const double w =
          0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(t) / double(length - 1));
      x[t] = (v - o.preemphasis * prev) * w;
    }
    std::vector<double> power(n / 2);
    for (std::size_t k = 0; k < n / 2; ++k) {
      std::complex<double> s = 0;
      for (std::size_t t = 0; t < length; ++t)
        s += x[t] * std::polar(1.0, -2 * std::numbers::pi * static_cast<double>((k * t) % n) / double(n));
      power[k] = std::norm(s);
    }
    for (std::size_t b = 0; b < o.mel_bins; ++b) {
      const double left = mel(o.low_freq) + static_cast<double>(b) * delta;
      double e = 0;
      for (std::size_t k = 0; k < n / 2; ++k) {
        const double m = mel(static_cast<double>(k) * o.sample_rate / double(n));
        e += std::max(0.0, std::min((m - left) / delta, (left + 2 * delta - m) / delta)) * power[k];
      }
      out[f * o.mel_bins + b] = std::log(std::max(e, double(std::numeric_limits<float>::epsilon())));
    }
  }
  return out;
}

std::vector<float> run_plan(const fbank_plan& plan, const std::vector<float>& wave) {
  const std::size_t frames = plan.frames(wave.size());
  std::vector<float> out(frames * plan.mel_bins(), NAN), scratch(plan.scratch_size(), NAN);
  plan.run(wave.data(), 0, frames, out.data(), scratch.data());
  return out;
}

std::vector<float> noise(std::uint64_t seed, std::size_t n, double scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = admn::test::detgen_value(seed, i, scale) + 0.125f;
  return v;
}

}  // namespace

TEST_CASE("fbank plan equals the direct double evaluation (ADMN's options and others)") {
  struct option_case {
    fbank_options options;
    std::size_t samples;
  };
  const option_case cases[] = {
      {{}, 3200},  // ADMN: 400/160/512, 128 bins
      {{.sample_rate = 8000, .mel_bins = 40, .low_freq = 60, .high_freq = -400}, 2000},  // 200/80/256
      {{.frame_length_ms = 32, .frame_shift_ms = 16, .mel_bins = 23, .preemphasis = 0.0},
       4000}};  // N = L = 512
  for (const auto& c : cases) {
    CAPTURE(c.options.sample_rate);
    CAPTURE(c.options.mel_bins);
    const fbank_plan plan(c.options);
    const auto wave = noise(5, c.samples, 0.5);
    const auto got = run_plan(plan, wave);
    const auto ref = direct_fbank(wave, c.options);
    REQUIRE(got.size() == ref.size());
    REQUIRE(!got.empty());
    double worst = 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - ref[i]));
    MESSAGE("max |log-mel − double reference| = " << worst);
    // log energies of order 1-10: float32 spectra and filters are ~1e-6 relative from double.
    CHECK(worst <= 2e-4);
  }
}

TEST_CASE("fbank frame count, window and mel bank shape") {
  const fbank_plan plan;
  CHECK(plan.frame_length() == 400);
  CHECK(plan.frame_shift() == 160);
  CHECK(plan.fft_size() == 512);
  CHECK(plan.frames(399) == 0);
  CHECK(plan.frames(400) == 1);
  CHECK(plan.frames(559) == 1);
  CHECK(plan.frames(560) == 2);
  CHECK(plan.frames(16000) == 98);
  CHECK(plan.window().front() == 0.0f);
  CHECK(plan.window().back() == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(plan.window()[200] == doctest::Approx(1.0).epsilon(1e-4));
  std::vector<std::size_t> empty;
  for (std::size_t b = 0; b < plan.mel_bins(); ++b) {
    CHECK(plan.mel_weight(b, 256) == 0.0f);  // Nyquist
    float peak = 0.0f;
    for (std::size_t k = 0; k <= 256; ++k) {
      CHECK(plan.mel_weight(b, k) >= 0.0f);
      CHECK(plan.mel_weight(b, k) <= 1.0f);
      peak = std::max(peak, plan.mel_weight(b, k));
    }
    if (peak == 0.0f) empty.push_back(b);
  }
  // The lowest filters are narrower than an FFT bin (31.25 Hz): filter 3 falls between two bins and
  // is empty, as in torchaudio's get_mel_banks(128, 512, 16000, 20, 0, …); its output is log(ε).
  CHECK(empty == std::vector<std::size_t>{3});
}

TEST_CASE("fbank of a pure tone peaks in the filter centred nearest the tone") {
  const fbank_plan plan;
  std::vector<float> wave(8000);
  const double freq = 1000.0;
  for (std::size_t t = 0; t < wave.size(); ++t)
    wave[t] =
        static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * freq * static_cast<double>(t) / 16000.0));
  const auto out = run_plan(plan, wave);
  const auto mel = [](double f) { return 1127.0 * std::log(1.0 + f / 700.0); };
  const double delta = (mel(8000.0) - mel(20.0)) / 129.0;
  const auto expected = static_cast<std::size_t>(std::lround((mel(freq) - mel(20.0)) / delta - 1.0));
  for (std::size_t f = 0; f < plan.frames(wave.size()); ++f) {
    const float* row = out.data() + f * 128;
    const auto peak = static_cast<std::size_t>(std::max_element(row, row + 128) - row);
    CHECK(peak + 1 >= expected);
    CHECK(peak <= expected + 1);
  }
}

TEST_CASE("fbank options outside torchaudio's rules are argument errors") {
  using admn::test::error_id;
  const auto id = [](fbank_options o) { return error_id([&] { (void)fbank_plan(o); }); };
  CHECK(id({}) == "none");
  CHECK(id({.sample_rate = 0}) == "admn.fbank.options");
  CHECK(id({.sample_rate = NAN}) == "admn.fbank.options");
  CHECK(id({.frame_length_ms = 0.01}) == "admn.fbank.options");
  CHECK(id({.frame_shift_ms = 0.0}) == "admn.fbank.options");
  CHECK(id({.mel_bins = 3}) == "admn.fbank.options");
  CHECK(id({.low_freq = 9000}) == "admn.fbank.options");
  CHECK(id({.low_freq = 500, .high_freq = 400}) == "admn.fbank.options");
  CHECK(id({.high_freq = 9000}) == "admn.fbank.options");
  CHECK(id({.preemphasis = 1.5}) == "admn.fbank.options");
}
