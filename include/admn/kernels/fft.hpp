// admn/kernels/fft.hpp — the discrete Fourier transform of a real signal of power-of-two length.
//
//   X[k] = Σ_{t<n} x[t] · e^{−2πi·k·t/n},  k = 0 … n/2     (numpy.fft.rfft / torch.fft.rfft, unscaled)
//
// Used by the Kaldi filterbank (kernels/fbank.hpp: 512 points per 25 ms frame at 16 kHz).
// Method: the n real samples are packed as n/2 complex ones z[t] = x[2t] + i·x[2t+1], transformed
// by an iterative radix-2 decimation-in-time FFT (bit-reversal permutation, then log2(n/2) passes of
// butterflies), and split into the spectrum of the real signal:
//   E[k] = (Z[k] + conj Z[m−k]) / 2,  O[k] = (Z[k] − conj Z[m−k]) / 2i,  X[k] = E[k] + w^k·O[k]
// with m = n/2, Z[m] = Z[0] and w = e^{−2πi/n}. Twiddle factors are evaluated in double and rounded
// once to T; the arithmetic is in T (float: error ~ log2(n)·ε·‖x‖, like PocketFFT's float path).
#pragma once

#include <admn/error.hpp>

#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <string>
#include <vector>

namespace admn::kernels {

// Represents: the FFT of real signals of one length n (a power of two ≥ 2); tables built once.
// Immutable after construction: one plan may serve many threads (each with its own scratch).
template <class T = float>
class real_fft {
 public:
  using complex = std::complex<T>;

  // Throws argument_error [admn.fft.size] unless n is a power of two in [2, 2^24].
  explicit real_fft(std::size_t n) : n_(n) {
    if (n < 2 || n > (std::size_t{1} << 24) || (n & (n - 1)) != 0)
      throw argument_error("admn.fft.size",
                           "real FFT length " + std::to_string(n) + " is not a power of two in [2, 2^24]");
    const std::size_t m = n / 2;
    std::size_t bits = 0;
    while ((std::size_t{1} << bits) < m) ++bits;
    reversed_.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
      std::size_t r = 0;
      for (std::size_t b = 0; b < bits; ++b) r |= ((i >> b) & 1u) << (bits - 1 - b);
      reversed_[i] = r;
    }
    // e^{−2πi·j/n} for j < n/2: the half-length FFT uses the even ones, the split all of them.
    twiddle_.resize(m);
    for (std::size_t j = 0; j < m; ++j) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(n);
      twiddle_[j] = complex(static_cast<T>(std::cos(angle)), static_cast<T>(std::sin(angle)));
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  // Output bins: n/2 + 1 (DC … Nyquist).
  [[nodiscard]] std::size_t bins() const noexcept { return n_ / 2 + 1; }
  // Complex values of scratch forward() needs.
  [[nodiscard]] std::size_t scratch_size() const noexcept { return n_ / 2; }

  // out[k] = X[k] for k ≤ n/2; x holds n values, out bins() values, scratch scratch_size() values.
  // x, out and scratch must not overlap. Allocates nothing.
  void forward(const T* x, complex* out, complex* scratch) const noexcept {
    forward(plain{}, x, out, scratch);
  }
  // The same, compiled as the code of `Tag` (a kernel level's architecture tag: the filterbank
  // runs from the kernel table, kernels/dispatch.hpp, so each level has its own copy).
  template <class Tag>
  void forward(Tag, const T* x, complex* out, complex* scratch) const noexcept {
    const std::size_t m = n_ / 2;
    complex* z = scratch;
    for (std::size_t t = 0; t < m; ++t) z[reversed_[t]] = complex(x[2 * t], x[2 * t + 1]);
    // Butterflies: a pass of span s combines pairs s/2 apart with twiddles e^{−2πi·j/s}, which are
    // twiddle_[j·n/s] (every (n/s)-th entry of the length-n table).
    for (std::size_t span = 2; span <= m; span *= 2) {
      const std::size_t half = span / 2;
      const std::size_t stride = n_ / span;
      for (std::size_t start = 0; start < m; start += span)
        for (std::size_t j = 0; j < half; ++j) {
          const complex w = twiddle_[j * stride];
          const complex a = z[start + j];
          const complex b = mul<Tag>(w, z[start + j + half]);
          z[start + j] = a + b;
          z[start + j + half] = a - b;
        }
    }
    // Split: X[0] and X[m] are real sums of the even and odd samples' transforms.
    out[0] = complex(z[0].real() + z[0].imag(), T(0));
    out[m] = complex(z[0].real() - z[0].imag(), T(0));
    for (std::size_t k = 1; k < m; ++k) {
      const complex a = z[k];
      const complex b = std::conj(z[m - k]);
      const complex even = (a + b) * T(0.5);
      const complex odd_times_i = (a - b) * T(0.5);  // = i·O[k]
      // w^k·O[k] = w^k·(odd_times_i / i) = w^k·(−i)·odd_times_i
      const complex odd(odd_times_i.imag(), -odd_times_i.real());
      out[k] = even + mul<Tag>(twiddle_[k], odd);
    }
  }

 private:
  struct plain {};

  // The textbook product (std::complex's operator* adds NaN/inf recovery we do not want here).
  template <class Tag>
  static complex mul(complex a, complex b) noexcept {
    return complex(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
  }

  std::size_t n_;
  std::vector<std::size_t> reversed_;  // bit reversal of log2(n/2) bits
  std::vector<complex> twiddle_;       // e^{−2πi·j/n}, j < n/2
};

}  // namespace admn::kernels
