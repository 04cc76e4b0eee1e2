// Sinusoidal positional encoding (float32, torch's order) against the exact formula in double.
#include <admn/kernels/posenc.hpp>
#include <admn/kernels/reference_conv.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

TEST_CASE("sinusoidal positional encoding matches the exact formula") {
  // The controller (d 256 / 512, ≤ 10 tokens), the fusion encoders (d 256 / 64, ≤ 30 tokens), and
  // sizes that are not multiples of any SIMD width.
  for (const std::size_t d : {2, 14, 34, 64, 256, 512})
    for (const std::size_t length : {1, 7, 17, 30}) {
      std::vector<float> pe(length * d);
      admn::kernels::sinusoidal_positional_encoding(pe.data(), length, d);
      std::vector<double> exact(length * d);
      admn::kernels::reference::sinusoidal_positional_encoding(exact.data(), length, d);
      double max_err = 0.0;
      for (std::size_t i = 0; i < pe.size(); ++i) max_err = std::max(max_err, std::abs(pe[i] - exact[i]));
      INFO("d ", d, " length ", length);
      // float32 rounding of the frequency, grown by the position (≤ 29), then of sin/cos.
      CHECK(max_err <= 1e-5);
    }
}

TEST_CASE("sinusoidal positional encoding: known values") {
  std::vector<float> pe(3 * 4);
  admn::kernels::sinusoidal_positional_encoding(pe.data(), 3, 4);
  // Position 0: sin 0 = 0, cos 0 = 1 in every pair.
  CHECK(pe[0] == 0.0f);
  CHECK(pe[1] == 1.0f);
  CHECK(pe[2] == 0.0f);
  CHECK(pe[3] == 1.0f);
  // Pair 0 has frequency exp(0) = 1.
  CHECK(pe[4] == std::sin(1.0f));
  CHECK(pe[5] == std::cos(1.0f));
  CHECK(pe[8] == std::sin(2.0f));
  // Pair 1 (d 4): frequency exp(2·(−ln(10000)/4)) = 0.01.
  CHECK(pe[6] == doctest::Approx(std::sin(0.01)).epsilon(1e-6));
  CHECK(pe[7] == doctest::Approx(std::cos(0.01)).epsilon(1e-6));
}

TEST_CASE("sinusoidal positional encoding rejects an odd d_model") {
  std::vector<float> pe(10);
  for (const std::size_t d : {0, 3, 5}) {
    try {
      admn::kernels::sinusoidal_positional_encoding(pe.data(), 2, d);
      FAIL("expected an argument_error");
    } catch (const admn::argument_error& e) {
      CHECK(e.id() == "admn.posenc.d_model");
      CHECK(std::string(e.what()).find(std::to_string(d)) != std::string::npos);
    }
  }
}
