// The real FFT against a direct O(n²) DFT evaluated in long double, for every power of two up to
// 4096, in float and double, plus exact small cases and the size rule.
#include "common/detgen.hpp"
#include "common/error_id.hpp"

#include <admn/kernels/fft.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

namespace {

// X[k] = Σ x[t]·e^{−2πi·k·t/n}, k ≤ n/2, with the angle reduced mod n exactly.
std::vector<std::complex<long double>> direct_dft(const std::vector<double>& x) {
  const std::size_t n = x.size();
  std::vector<std::complex<long double>> out(n / 2 + 1);
  for (std::size_t k = 0; k <= n / 2; ++k) {
    std::complex<long double> sum = 0;
    for (std::size_t t = 0; t < n; ++t) {
      const long double angle = -2.0L * std::numbers::pi_v<long double> *
                                static_cast<long double>((k * t) % n) / static_cast<long double>(n);
      sum += static_cast<long double>(x[t]) * std::complex<long double>(std::cos(angle), std::sin(angle));
    }
    out[k] = sum;
  }
  return out;
}

// max_k |X[k] − ref[k]| / ‖x‖·√n (the scale of an FFT's rounding error).
template <class T>
double fft_error(std::size_t n, std::uint64_t seed) {
  std::vector<double> x(n);
  for (std::size_t t = 0; t < n; ++t) x[t] = admn::test::detgen_value(seed, t, 1.0);
  std::vector<T> xt(x.begin(), x.end());
  const admn::kernels::real_fft<T> fft(n);
  REQUIRE(fft.bins() == n / 2 + 1);
  std::vector<std::complex<T>> out(fft.bins(), std::complex<T>(NAN, NAN)), scratch(fft.scratch_size());
  fft.forward(xt.data(), out.data(), scratch.data());
  const auto ref = direct_dft(x);
  long double norm = 0;
  for (const double v : x) norm += static_cast<long double>(v) * v;
  double worst = 0.0;
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::complex<long double> got(out[k].real(), out[k].imag());
    worst = std::max(worst, static_cast<double>(std::abs(got - ref[k])));
  }
  return worst / std::sqrt(static_cast<double>(norm) * static_cast<double>(n));
}

}  // namespace

TEST_CASE("real FFT equals the direct DFT at every power of two (float and double)") {
  for (std::size_t n = 2; n <= 4096; n *= 2) {
    CAPTURE(n);
    const double log2n = std::log2(static_cast<double>(n));
    // Rounding error of a radix-2 FFT grows like log2(n)·ε relative to ‖X‖ = √n·‖x‖.
    const double ef = fft_error<float>(n, 3 + n);
    const double ed = fft_error<double>(n, 3 + n);
    CHECK(ef <= 2.0 * log2n * 1.2e-7);
    CHECK(ed <= 2.0 * log2n * 2.3e-16);
  }
}

TEST_CASE("real FFT: impulse, constant, cosine and the Nyquist alternation") {
  constexpr std::size_t n = 16;
  const admn::kernels::real_fft<double> fft(n);
  std::vector<std::complex<double>> out(fft.bins()), scratch(fft.scratch_size());
  std::vector<double> x(n, 0.0);
  x[0] = 1.0;  // impulse: flat spectrum of 1
  fft.forward(x.data(), out.data(), scratch.data());
  for (const auto& v : out) CHECK(std::abs(v - std::complex<double>(1.0, 0.0)) < 1e-15);
  std::fill(x.begin(), x.end(), 2.0);  // constant: 2n at DC only
  fft.forward(x.data(), out.data(), scratch.data());
  CHECK(std::abs(out[0] - std::complex<double>(32.0, 0.0)) < 1e-14);
  for (std::size_t k = 1; k < out.size(); ++k) CHECK(std::abs(out[k]) < 1e-14);
  for (std::size_t t = 0; t < n; ++t)  // cos(2π·3t/n): n/2 at bin 3
    x[t] = std::cos(2.0 * std::numbers::pi * 3.0 * static_cast<double>(t) / n);
  fft.forward(x.data(), out.data(), scratch.data());
  for (std::size_t k = 0; k < out.size(); ++k)
    CHECK(std::abs(out[k] - std::complex<double>(k == 3 ? 8.0 : 0.0, 0.0)) < 1e-14);
  for (std::size_t t = 0; t < n; ++t) x[t] = t % 2 == 0 ? 1.0 : -1.0;  // (−1)^t: n at Nyquist
  fft.forward(x.data(), out.data(), scratch.data());
  for (std::size_t k = 0; k < out.size(); ++k)
    CHECK(std::abs(out[k] - std::complex<double>(k == n / 2 ? 16.0 : 0.0, 0.0)) < 1e-14);
}

TEST_CASE("real FFT lengths must be powers of two in [2, 2^24]") {
  using admn::test::error_id;
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{400}, std::size_t{1} << 25})
    CHECK(error_id([&] { (void)admn::kernels::real_fft<float>(n); }) == "admn.fft.size");
  CHECK(error_id([] { (void)admn::kernels::real_fft<float>(2); }) == "none");
}
