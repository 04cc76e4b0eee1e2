// admn/tensor/half.hpp — exact conversions between f32 and the 16-bit floats.
//
// f16 (IEEE 754 binary16) and bf16 widen to f32 exactly. Narrowing rounds to
// nearest, ties to even, as PyTorch's `.half()` / `.bfloat16()` do; overflow gives
// ±inf, NaN stays NaN (quiet), subnormals are produced and read correctly.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace admn {

// bf16 bits → f32: the bf16 value is the top half of an f32.
[[nodiscard]] constexpr float bf16_to_f32(std::uint16_t bits) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

// f32 → bf16 bits, round to nearest even; NaN → quiet NaN with the sign kept.
[[nodiscard]] constexpr std::uint16_t f32_to_bf16(float value) noexcept {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x0040u);
  const std::uint32_t rounding_bias = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>((u + rounding_bias) >> 16);
}

// f16 bits → f32, exact for every input including subnormals, inf and NaN payloads.
[[nodiscard]] constexpr float f16_to_f32(std::uint16_t bits) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  std::uint32_t exponent = (bits >> 10) & 0x1fu;
  std::uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1fu)  // inf or NaN: keep the payload
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0) return std::bit_cast<float>(sign);
    // Subnormal: normalise the mantissa into an f32 normal number.
    exponent = 127 - 15 + 1;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    mantissa &= 0x3ffu;
    return std::bit_cast<float>(sign | (exponent << 23) | (mantissa << 13));
  }
  return std::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

// f32 → f16 bits, round to nearest even; overflow → ±inf; NaN → quiet NaN.
[[nodiscard]] constexpr std::uint16_t f32_to_f16(float value) noexcept {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t magnitude = u & 0x7fffffffu;
  if (magnitude > 0x7f800000u)  // NaN: keep the top payload bits, force quiet
    return static_cast<std::uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  if (magnitude >= 0x47800000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // ≥ 65536 → inf
  const std::int32_t exponent = static_cast<std::int32_t>(magnitude >> 23) - 127 + 15;
  if (exponent >= 1) {
    // Normal f16: drop 13 mantissa bits with round-to-nearest-even; a carry may
    // roll into the exponent and up to inf, which is the correct result.
    const std::uint32_t base = (static_cast<std::uint32_t>(exponent) << 10) | ((magnitude >> 13) & 0x3ffu);
    const std::uint32_t rest = magnitude & 0x1fffu;
    const std::uint32_t round_up = (rest > 0x1000u || (rest == 0x1000u && (base & 1u))) ? 1u : 0u;
    return static_cast<std::uint16_t>(sign | (base + round_up));
  }
  if (exponent < -10) return sign;  // below half the smallest subnormal: ±0
  // Subnormal f16: shift the full 24-bit significand right, rounding to nearest even.
  const std::uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
  const auto shift = static_cast<std::uint32_t>(14 - exponent);  // 14..24
  const std::uint32_t base = significand >> shift;
  const std::uint32_t rest = significand & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1u);
  const std::uint32_t round_up = (rest > half || (rest == half && (base & 1u))) ? 1u : 0u;
  return static_cast<std::uint16_t>(sign | (base + round_up));
}

// Bulk widening of `count` elements from raw 16-bit patterns into f32.
inline void f16_to_f32(const std::uint16_t* in, float* out, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) out[i] = f16_to_f32(in[i]);
}
inline void bf16_to_f32(const std::uint16_t* in, float* out, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) out[i] = bf16_to_f32(in[i]);
}

}  // namespace admn
