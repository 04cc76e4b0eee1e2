// admn/kernels/fbank.hpp — Kaldi-compatible log-mel filterbank features of a mono waveform.
//
// What torchaudio.compliance.kaldi.fbank computes with dither = 0, window_type = 'hanning',
// use_energy = False, use_power = True, use_log_fbank = True, snip_edges = True,
// remove_dc_offset = True, round_to_power_of_two = True, subtract_mean = False, vtln_warp = 1
// (htk_compat then changes nothing), the rest from fbank_options. docs/numerics.md §6.
// With L = ⌊rate·frame_length_ms/1000⌋ samples per frame, S = ⌊rate·frame_shift_ms/1000⌋ and
// N = the next power of two ≥ L, frame f (f < 1 + ⌊(samples − L)/S⌋) is
//   x_t    = wave[f·S + t], t < L
//   x_t   −= mean_t x_t                                  (remove_dc_offset)
//   x_t    = x_t − p·x_{max(t−1, 0)}                      (pre-emphasis p, from the DC-free values)
//   x_t   *= 0.5 − 0.5·cos(2π·t/(L−1))                    (symmetric Hann window)
//   P_k    = |rfft(x zero-padded to N)_k|²,  k ≤ N/2       (kernels/fft.hpp)
//   out_b  = log(max(Σ_k mel_{b,k}·P_k, ε)),  ε = FLT_EPSILON = 2^−23
// The triangular mel filters (HTK mel = 1127·ln(1 + f/700)) have their edges at mel_low + (b+i)·Δ,
// i = 0, 1, 2, Δ = (mel_high − mel_low)/(bins + 1); the weight of FFT bin k (frequency k·rate/N) is
// max(0, min(up, down)) of its mel value's position on the two slopes, and 0 at the Nyquist bin.
// Precision follows torchaudio on float32 input: the filter edges, bin mels, slopes, window and
// spectrum are evaluated with float32 operations in torchaudio's order (only mel_low and Δ are
// double), so the bank equals torchaudio's to the last bit but for libm's ±1 ulp.
#pragma once

#include <admn/error.hpp>
#include <admn/kernels/fft.hpp>
#include <admn/kernels/kernel_table.hpp>
#include <admn/kernels/unfused.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace admn::kernels {

// The parameters of torchaudio's fbank that admn supports; the defaults are torchaudio's but for
// 128 mel bins (its default is 23).
struct fbank_options {
  double sample_rate = 16000.0;  // Hz
  double frame_length_ms = 25.0;
  double frame_shift_ms = 10.0;
  std::size_t mel_bins = 128;
  double low_freq = 20.0;  // Hz
  double high_freq = 0.0;  // Hz; ≤ 0 means Nyquist + high_freq (torchaudio's convention)
  double preemphasis = 0.97;
};

// Represents: log-mel filterbank features for one fbank_options (window, FFT and mel tables built
// once). Immutable after construction: one plan may serve many threads, each with its own scratch.
class fbank_plan {
 public:
  // Throws argument_error [admn.fbank.options] naming the first option outside torchaudio's rules:
  // rate > 0, 2 ≤ L, S ≥ 1, N ≤ 2^24, mel_bins in [4, 4096], 0 ≤ low < Nyquist,
  // 0 < high ≤ Nyquist, low < high, preemphasis in [0, 1].
  explicit fbank_plan(const fbank_options& o = {}) : options_(o), fft_(checked_fft_size(o)) {
    frame_length_ = window_samples(o.sample_rate, o.frame_length_ms);
    frame_shift_ = window_samples(o.sample_rate, o.frame_shift_ms);
    build_window();
    build_mel_bank();
  }

  [[nodiscard]] const fbank_options& options() const noexcept { return options_; }
  // L, S and N of the file comment.
  [[nodiscard]] std::size_t frame_length() const noexcept { return frame_length_; }
  [[nodiscard]] std::size_t frame_shift() const noexcept { return frame_shift_; }
  [[nodiscard]] std::size_t fft_size() const noexcept { return fft_.size(); }
  [[nodiscard]] std::size_t mel_bins() const noexcept { return options_.mel_bins; }

  // Frames in a waveform of `samples` samples: 0 when shorter than one frame (snip_edges).
  [[nodiscard]] std::size_t frames(std::size_t samples) const noexcept {
    return samples < frame_length_ ? 0 : 1 + (samples - frame_length_) / frame_shift_;
  }

  // The window w_t, t < L.
  [[nodiscard]] const std::vector<float>& window() const noexcept { return window_; }
  // mel_{b,k} for bin b and FFT bin k < N/2 + 1 (0 outside the triangle and at Nyquist).
  [[nodiscard]] float mel_weight(std::size_t b, std::size_t k) const noexcept {
    const std::size_t first = mel_first_[b];
    return k >= first && k - first < mel_count_[b] ? mel_weight_[mel_offset_[b] + (k - first)] : 0.0f;
  }

  // Floats of scratch run() needs.
  // Layout: frame (N floats), spectrum (N/2 + 1 complex), FFT scratch (N/2 complex), power (N/2 + 1).
  [[nodiscard]] std::size_t scratch_size() const noexcept {
    return 2 * fft_.size() + 3 * (fft_.size() / 2 + 1);
  }

  // out[(f − first)·mel_bins + b] for frames f in [first, first + count) of `wave` (`samples`
  // values); the caller checks first + count ≤ frames(samples). scratch holds scratch_size()
  // floats. Allocates nothing. Runs from the kernel table (kernels::active(): the level chosen
  // at run time under ADMN_DISPATCH; its a·b + c may be fused as that level's flags allow).
  // Throws as active() when ADMN_ISA is bad.
  void run(const float* wave, std::size_t first, std::size_t count, float* out, float* scratch) const {
    active().fbank(*this, wave, first, count, out, scratch);
  }
  // The same, compiled as the code of `Arch` (the table's entry for that level).
  template <class Arch>
  void run(Arch arch, const float* wave, std::size_t first, std::size_t count, float* out,
           float* scratch) const noexcept {
    const std::size_t n = fft_.size();
    const std::size_t bins = n / 2 + 1;
    float* frame = scratch;
    auto* spectrum = reinterpret_cast<std::complex<float>*>(scratch + n);  // bins values
    auto* fft_scratch = spectrum + bins;                                   // n/2 values
    float* power = scratch + n + 2 * bins + n;                             // bins values
    const auto p = static_cast<float>(options_.preemphasis);
    for (std::size_t f = 0; f < count; ++f) {
      const float* x = wave + (first + f) * frame_shift_;
      // The frame mean is the only sum torchaudio does in a reduction; double keeps it exact-ish.
      double sum = 0.0;
      for (std::size_t t = 0; t < frame_length_; ++t) sum += x[t];
      const auto mean = static_cast<float>(sum / static_cast<double>(frame_length_));
      float previous = x[0] - mean;
      for (std::size_t t = 0; t < frame_length_; ++t) {
        const float v = x[t] - mean;
        frame[t] = (v - p * previous) * window_[t];
        previous = v;
      }
      std::fill(frame + frame_length_, frame + n, 0.0f);
      fft_.forward(arch, frame, spectrum, fft_scratch);
      for (std::size_t k = 0; k < bins; ++k) {
        // torchaudio: rfft(x).abs().pow(2): the magnitude is rounded before it is squared.
        const float magnitude = std::hypot(spectrum[k].real(), spectrum[k].imag());
        power[k] = magnitude * magnitude;
      }
      float* o = out + f * options_.mel_bins;
      for (std::size_t b = 0; b < options_.mel_bins; ++b) {
        const float* w = mel_weight_.data() + mel_offset_[b];
        const float* pk = power + mel_first_[b];
        float e = 0.0f;
        for (std::size_t k = 0; k < mel_count_[b]; ++k) e += w[k] * pk[k];
        o[b] = std::log(std::max(e, std::numeric_limits<float>::epsilon()));
      }
    }
  }

 private:
  static std::size_t window_samples(double rate, double ms) {
    // torchaudio: int(sample_frequency * frame_ms * 0.001), truncating.
    const double v = rate * ms * 0.001;
    return v >= 1.0 && v < 1e9 ? static_cast<std::size_t>(v) : 0;
  }

  static std::size_t checked_fft_size(const fbank_options& o) {
    const auto fail = [](const std::string& what) { throw argument_error("admn.fbank.options", what); };
    if (!(o.sample_rate > 0.0) || !std::isfinite(o.sample_rate))
      fail("sample_rate must be a positive number of Hz, got " + std::to_string(o.sample_rate));
    const std::size_t length = window_samples(o.sample_rate, o.frame_length_ms);
    if (length < 2 || length > (std::size_t{1} << 24))
      fail("frame_length_ms " + std::to_string(o.frame_length_ms) + " gives " + std::to_string(length) +
           " samples per frame; need [2, 2^24]");
    if (window_samples(o.sample_rate, o.frame_shift_ms) < 1)
      fail("frame_shift_ms " + std::to_string(o.frame_shift_ms) + " gives no sample of shift");
    if (o.mel_bins < 4 || o.mel_bins > 4096)
      fail("mel_bins must be in [4, 4096], got " + std::to_string(o.mel_bins));
    const double nyquist = 0.5 * o.sample_rate;
    const double high = o.high_freq <= 0.0 ? o.high_freq + nyquist : o.high_freq;
    if (!(o.low_freq >= 0.0 && o.low_freq < nyquist && high > 0.0 && high <= nyquist && o.low_freq < high))
      fail("low_freq " + std::to_string(o.low_freq) + " and high_freq " + std::to_string(o.high_freq) +
           " must satisfy 0 <= low < high <= Nyquist (" + std::to_string(nyquist) + " Hz)");
    if (!(o.preemphasis >= 0.0 && o.preemphasis <= 1.0))
      fail("preemphasis must be in [0, 1], got " + std::to_string(o.preemphasis));
    std::size_t n = 1;
    while (n < length) n *= 2;
    return n;
  }

  void build_window() {
    // torch.hann_window(L, periodic=False) in float32: cos(t·float(2π/(L−1)))·(−0.5) + 0.5.
    const auto step = static_cast<float>(2.0 * std::numbers::pi / static_cast<double>(frame_length_ - 1));
    window_.resize(frame_length_);
    for (std::size_t t = 0; t < frame_length_; ++t)
      window_[t] = unfused_product(std::cos(static_cast<float>(t) * step), -0.5f) + 0.5f;
  }

  void build_mel_bank() {
    const fbank_options& o = options_;
    const double nyquist = 0.5 * o.sample_rate;
    const double high = o.high_freq <= 0.0 ? o.high_freq + nyquist : o.high_freq;
    const auto mel = [](double f) { return 1127.0 * std::log(1.0 + f / 700.0); };
    const auto mel_f = [](float f) { return 1127.0f * std::log(1.0f + f / 700.0f); };
    const double mel_low = mel(o.low_freq);
    const double delta = (mel(high) - mel_low) / static_cast<double>(o.mel_bins + 1);
    const auto low_f = static_cast<float>(mel_low);
    const auto delta_f = static_cast<float>(delta);
    const std::size_t half = fft_.size() / 2;  // the Nyquist bin gets weight 0
    const auto bin_width = static_cast<float>(o.sample_rate / static_cast<double>(fft_.size()));
    std::vector<float> bin_mel(half);
    for (std::size_t k = 0; k < half; ++k) bin_mel[k] = mel_f(bin_width * static_cast<float>(k));
    for (std::size_t b = 0; b < o.mel_bins; ++b) {
      const auto bf = static_cast<float>(b);
      const float left = low_f + unfused_product(bf, delta_f);
      const float center = low_f + unfused_product(bf + 1.0f, delta_f);
      const float right = low_f + unfused_product(bf + 2.0f, delta_f);
      std::vector<float> row(half);
      std::size_t first = half, last = 0;
      for (std::size_t k = 0; k < half; ++k) {
        const float up = (bin_mel[k] - left) / (center - left);
        const float down = (right - bin_mel[k]) / (right - center);
        row[k] = std::max(0.0f, std::min(up, down));
        if (row[k] > 0.0f) {
          first = std::min(first, k);
          last = k;
        }
      }
      if (first > last) first = last = 0;  // an empty filter (possible for tiny N): one zero weight
      mel_first_.push_back(first);
      mel_count_.push_back(last - first + 1);
      mel_offset_.push_back(mel_weight_.size());
      mel_weight_.insert(mel_weight_.end(), row.begin() + static_cast<std::ptrdiff_t>(first),
                         row.begin() + static_cast<std::ptrdiff_t>(last + 1));
    }
  }

  fbank_options options_;
  real_fft<float> fft_;
  std::size_t frame_length_ = 0, frame_shift_ = 0;
  std::vector<float> window_;
  // Filter b: weights mel_weight_[mel_offset_[b] + i] for FFT bins mel_first_[b] + i, i < mel_count_[b].
  std::vector<std::size_t> mel_first_, mel_count_, mel_offset_;
  std::vector<float> mel_weight_;
};

}  // namespace admn::kernels

// active()'s definition (it includes this header first).
#include <admn/kernels/dispatch.hpp>
