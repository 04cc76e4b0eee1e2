#include <admn/tensor/half.hpp>

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

// Exact f16 → f32 by the definition of binary16: (-1)^s · 2^(e-15) · (1 + m/1024),
// subnormals 2^-14 · m/1024.
static double f16_by_definition(std::uint16_t bits) {
  const int sign = (bits >> 15) ? -1 : 1;
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(mantissa / 1024.0, -14);
  if (exponent == 31)
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  return sign * std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
}

TEST_CASE("f16 widens exactly for all 65536 bit patterns") {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float got = admn::f16_to_f32(bits);
    const double want = f16_by_definition(bits);
    if (std::isnan(want)) {
      CHECK(std::isnan(got));
    } else {
      CHECK(static_cast<double>(got) == want);
      CHECK(std::signbit(got) == bool(bits >> 15));
    }
  }
}

TEST_CASE("f16 round trip is the identity for every non-NaN pattern") {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float value = admn::f16_to_f32(bits);
    if (std::isnan(value)) {
      CHECK(std::isnan(admn::f16_to_f32(admn::f32_to_f16(value))));
    } else {
      CHECK(admn::f32_to_f16(value) == bits);
    }
  }
}

TEST_CASE("f32 to f16 rounds to nearest, ties to even") {
  // 1 + 2^-11 is exactly halfway between 1 and the next f16 (1 + 2^-10): tie → even (1).
  CHECK(admn::f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
  // 1 + 3·2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even): tie → up.
  CHECK(admn::f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  // Just above the tie rounds up.
  CHECK(admn::f32_to_f16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)) == 0x3c01);
  CHECK(admn::f32_to_f16(65504.0f) == 0x7bff);  // largest finite
  CHECK(admn::f32_to_f16(65519.0f) == 0x7bff);  // rounds down to max
  CHECK(admn::f32_to_f16(65520.0f) == 0x7c00);  // rounds up to inf
  CHECK(admn::f32_to_f16(-1e10f) == 0xfc00);
  CHECK(admn::f32_to_f16(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(admn::f32_to_f16(std::ldexp(1.0f, -25)) == 0x0000);  // tie → even (0)
  CHECK(admn::f32_to_f16(std::ldexp(1.5f, -25)) == 0x0001);
  CHECK(admn::f32_to_f16(std::ldexp(3.0f, -25)) == 0x0002);  // 1.5 ulp tie → even (2)
  CHECK(admn::f32_to_f16(-0.0f) == 0x8000);
  CHECK(admn::f32_to_f16(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26)) == 0x0400);  // carry into normal
}

TEST_CASE("f32 to f16 agrees with exhaustive nearest search on random inputs") {
  std::uint32_t state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1664525u + 1013904223u;
    // Random magnitudes across the f16 range, including subnormals.
    const float value = std::ldexp(static_cast<float>(state >> 8) / 16777216.0f, int(state % 40) - 26) *
                        ((state & 1u) ? -1.0f : 1.0f);
    const std::uint16_t got = admn::f32_to_f16(value);
    const double g = static_cast<double>(admn::f16_to_f32(got));
    const double v = value;
    // Neighbours of the result must not be strictly closer.
    const auto up = static_cast<std::uint16_t>(got + 1);
    const auto down = static_cast<std::uint16_t>(got - 1);
    if ((got & 0x7fff) != 0x7c00 && (up & 0x7fff) < 0x7c00)
      CHECK(std::abs(g - v) <= std::abs(admn::f16_to_f32(up) - v));
    if ((got & 0x7fff) != 0) CHECK(std::abs(g - v) <= std::abs(admn::f16_to_f32(down) - v));
  }
}

TEST_CASE("bf16 conversions") {
  CHECK(admn::bf16_to_f32(0x3f80) == 1.0f);
  CHECK(admn::bf16_to_f32(0xc000) == -2.0f);
  CHECK(std::isinf(admn::bf16_to_f32(0x7f80)));
  CHECK(std::isnan(admn::bf16_to_f32(0x7fc1)));
  CHECK(admn::f32_to_bf16(1.0f) == 0x3f80);
  // 1 + 2^-8 is halfway between 1 (even) and 1 + 2^-7: tie → even.
  CHECK(admn::f32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);
  CHECK(admn::f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);
  CHECK(admn::f32_to_bf16(std::nextafter(1.0f + std::ldexp(1.0f, -8), 2.0f)) == 0x3f81);
  CHECK(admn::f32_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);  // rounds to inf
  const std::uint16_t nan = admn::f32_to_bf16(std::bit_cast<float>(0x7f800001u));
  CHECK(std::isnan(admn::bf16_to_f32(nan)));  // a low-payload NaN must not become inf
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const float value = admn::bf16_to_f32(static_cast<std::uint16_t>(b));
    if (!std::isnan(value)) CHECK(admn::f32_to_bf16(value) == b);
  }
}
