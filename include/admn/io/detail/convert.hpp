// admn/io/detail/convert.hpp — widening stored elements to f32, from bytes of any alignment.
#pragma once

#include <admn/tensor/dtype.hpp>
#include <admn/tensor/half.hpp>

#include <bit>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace admn::io::detail {

// The element type a typed view of `t` may use, as documented on tensor_data::as().
template <class T>
[[nodiscard]] constexpr bool view_type_matches(dtype t) noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>)
    return t == dtype::f32;
  else if constexpr (std::is_same_v<U, double>)
    return t == dtype::f64;
  else if constexpr (std::is_same_v<U, std::int8_t>)
    return t == dtype::i8;
  else if constexpr (std::is_same_v<U, std::uint8_t>)
    return t == dtype::u8;
  else if constexpr (std::is_same_v<U, std::int16_t>)
    return t == dtype::i16;
  else if constexpr (std::is_same_v<U, std::uint16_t>)
    return t == dtype::u16 || t == dtype::f16 || t == dtype::bf16;
  else if constexpr (std::is_same_v<U, std::int32_t>)
    return t == dtype::i32;
  else if constexpr (std::is_same_v<U, std::uint32_t>)
    return t == dtype::u32;
  else if constexpr (std::is_same_v<U, std::int64_t>)
    return t == dtype::i64;
  else if constexpr (std::is_same_v<U, std::uint64_t>)
    return t == dtype::u64;
  else if constexpr (std::is_same_v<U, std::complex<float>>)
    return t == dtype::c64;
  else
    static_assert(sizeof(T) == 0, "tensor_data::as<T>: T has no safetensors dtype");
}

// An 8-bit float with `mantissa_bits`, exponent `bias`, and NaN/inf conventions:
//   ieee  — all-ones exponent is inf/NaN (F8_E5M2)
//   fn    — only S.1111.111 is NaN, no inf (F8_E4M3, "fn" = finite)
//   fnuz  — only 0x80 (negative zero) is NaN, no inf, no -0 (the *FNUZ types)
enum class f8_kind { ieee, fn, fnuz };

template <int MantissaBits, int Bias, f8_kind Kind>
[[nodiscard]] inline float f8_to_f32(std::uint8_t bits) noexcept {
  constexpr int exponent_bits = 7 - MantissaBits;
  constexpr unsigned exponent_max = (1u << exponent_bits) - 1;
  constexpr unsigned mantissa_max = (1u << MantissaBits) - 1;
  const bool negative = (bits & 0x80u) != 0;
  const unsigned exponent = (bits >> MantissaBits) & exponent_max;
  const unsigned mantissa = bits & mantissa_max;
  if constexpr (Kind == f8_kind::fnuz) {
    if (bits == 0x80u) return std::numeric_limits<float>::quiet_NaN();
  } else if constexpr (Kind == f8_kind::fn) {
    if (exponent == exponent_max && mantissa == mantissa_max) return std::numeric_limits<float>::quiet_NaN();
  } else {
    if (exponent == exponent_max)
      return mantissa != 0 ? std::numeric_limits<float>::quiet_NaN()
                           : (negative ? -std::numeric_limits<float>::infinity()
                                       : std::numeric_limits<float>::infinity());
  }
  // Subnormals (exponent 0) have no implicit one and the exponent of 1.
  const float significand =
      exponent == 0 ? static_cast<float>(mantissa) : static_cast<float>(mantissa | (mantissa_max + 1));
  const int scale = (exponent == 0 ? 1 : static_cast<int>(exponent)) - Bias - MantissaBits;
  const float magnitude = std::ldexp(significand, scale);  // exact: every F8 value is an f32
  return negative ? -magnitude : magnitude;
}

// F8_E8M0: an unsigned power of two 2^(e−127); 0xFF is NaN.
[[nodiscard]] inline float e8m0_to_f32(std::uint8_t bits) noexcept {
  if (bits == 0xffu) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(bits) - 127);
}

template <class Stored, class Convert>
void widen(const std::byte* in, float* out, std::size_t count, Convert convert) noexcept {
  for (std::size_t i = 0; i < count; ++i) {
    Stored value;
    std::memcpy(&value, in + i * sizeof(Stored), sizeof(Stored));  // any alignment
    out[i] = convert(value);
  }
}

// True when `t` converts to f32 (everything but C64, F4 and the F6 types).
[[nodiscard]] constexpr bool converts_to_f32(dtype t) noexcept {
  return t != dtype::c64 && t != dtype::f4 && t != dtype::f6_e2m3 && t != dtype::f6_e3m2;
}

// Widens `count` elements of type `t` stored at `in` into `out`. Requires converts_to_f32(t).
inline void to_f32(dtype t, const std::byte* in, float* out, std::size_t count) noexcept {
  const auto cast = [](auto v) { return static_cast<float>(v); };
  switch (t) {
    case dtype::f32:
      if (count != 0) std::memcpy(out, in, count * sizeof(float));
      return;
    case dtype::f64:
      return widen<double>(in, out, count, cast);
    case dtype::f16:
      return widen<std::uint16_t>(in, out, count, [](std::uint16_t v) { return f16_to_f32(v); });
    case dtype::bf16:
      return widen<std::uint16_t>(in, out, count, [](std::uint16_t v) { return bf16_to_f32(v); });
    case dtype::boolean:
      return widen<std::uint8_t>(in, out, count, [](std::uint8_t v) { return v != 0 ? 1.0f : 0.0f; });
    case dtype::u8:
      return widen<std::uint8_t>(in, out, count, cast);
    case dtype::i8:
      return widen<std::int8_t>(in, out, count, cast);
    case dtype::u16:
      return widen<std::uint16_t>(in, out, count, cast);
    case dtype::i16:
      return widen<std::int16_t>(in, out, count, cast);
    case dtype::u32:
      return widen<std::uint32_t>(in, out, count, cast);
    case dtype::i32:
      return widen<std::int32_t>(in, out, count, cast);
    case dtype::u64:
      return widen<std::uint64_t>(in, out, count, cast);
    case dtype::i64:
      return widen<std::int64_t>(in, out, count, cast);
    case dtype::f8_e5m2:
      return widen<std::uint8_t>(in, out, count, f8_to_f32<2, 15, f8_kind::ieee>);
    case dtype::f8_e4m3:
      return widen<std::uint8_t>(in, out, count, f8_to_f32<3, 7, f8_kind::fn>);
    case dtype::f8_e4m3fnuz:
      return widen<std::uint8_t>(in, out, count, f8_to_f32<3, 8, f8_kind::fnuz>);
    case dtype::f8_e5m2fnuz:
      return widen<std::uint8_t>(in, out, count, f8_to_f32<2, 16, f8_kind::fnuz>);
    case dtype::f8_e8m0:
      return widen<std::uint8_t>(in, out, count, e8m0_to_f32);
    case dtype::c64:
    case dtype::f4:
    case dtype::f6_e2m3:
    case dtype::f6_e3m2:
      return;
  }
}

}  // namespace admn::io::detail
