// admn/tensor/dtype.hpp — element types of the safetensors format.
//
// Every dtype the current safetensors format defines (the Rust crate's `Dtype`),
// with its width in bits, so that files holding types admn cannot compute with
// can still be validated and inspected. Names are case-sensitive, as in the format.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace admn {

enum class dtype : std::uint8_t {
  boolean,      // BOOL, one byte per element
  f4,           // F4 (E2M1 micro-scaling), 4 bits
  f6_e2m3,      // F6_E2M3, 6 bits
  f6_e3m2,      // F6_E3M2, 6 bits
  u8,           // U8
  i8,           // I8
  f8_e5m2,      // F8_E5M2
  f8_e4m3,      // F8_E4M3
  f8_e8m0,      // F8_E8M0
  f8_e4m3fnuz,  // F8_E4M3FNUZ
  f8_e5m2fnuz,  // F8_E5M2FNUZ
  i16,          // I16
  u16,          // U16
  f16,          // F16 (IEEE binary16)
  bf16,         // BF16 (bfloat16)
  i32,          // I32
  u32,          // U32
  f32,          // F32
  c64,          // C64 (two f32)
  f64,          // F64
  i64,          // I64
  u64,          // U64
};

inline constexpr std::size_t dtype_count = 22;

namespace detail {

struct dtype_entry {
  dtype type;
  std::string_view name;
  std::uint8_t bits;
};

inline constexpr std::array<dtype_entry, dtype_count> dtype_table{{
    {dtype::boolean, "BOOL", 8},
    {dtype::f4, "F4", 4},
    {dtype::f6_e2m3, "F6_E2M3", 6},
    {dtype::f6_e3m2, "F6_E3M2", 6},
    {dtype::u8, "U8", 8},
    {dtype::i8, "I8", 8},
    {dtype::f8_e5m2, "F8_E5M2", 8},
    {dtype::f8_e4m3, "F8_E4M3", 8},
    {dtype::f8_e8m0, "F8_E8M0", 8},
    {dtype::f8_e4m3fnuz, "F8_E4M3FNUZ", 8},
    {dtype::f8_e5m2fnuz, "F8_E5M2FNUZ", 8},
    {dtype::i16, "I16", 16},
    {dtype::u16, "U16", 16},
    {dtype::f16, "F16", 16},
    {dtype::bf16, "BF16", 16},
    {dtype::i32, "I32", 32},
    {dtype::u32, "U32", 32},
    {dtype::f32, "F32", 32},
    {dtype::c64, "C64", 64},
    {dtype::f64, "F64", 64},
    {dtype::i64, "I64", 64},
    {dtype::u64, "U64", 64},
}};

constexpr bool dtype_table_in_enum_order() noexcept {
  for (std::size_t i = 0; i < dtype_count; ++i)
    if (static_cast<std::size_t>(dtype_table[i].type) != i) return false;
  return true;
}
static_assert(dtype_table_in_enum_order(), "dtype_table must list dtypes in enum order");

}  // namespace detail

// All dtypes, in the enum's order.
[[nodiscard]] constexpr std::array<dtype, dtype_count> all_dtypes() noexcept {
  std::array<dtype, dtype_count> out{};
  for (std::size_t i = 0; i < dtype_count; ++i) out[i] = detail::dtype_table[i].type;
  return out;
}

// Width of one element in bits (4, 6, 8, 16, 32 or 64).
[[nodiscard]] constexpr std::size_t dtype_bits(dtype t) noexcept {
  return detail::dtype_table[static_cast<std::size_t>(t)].bits;
}

// The format's name, e.g. "BF16".
[[nodiscard]] constexpr std::string_view dtype_name(dtype t) noexcept {
  return detail::dtype_table[static_cast<std::size_t>(t)].name;
}

// Parses a format name exactly (case-sensitive); nullopt for unknown names.
[[nodiscard]] constexpr std::optional<dtype> parse_dtype(std::string_view name) noexcept {
  for (const auto& entry : detail::dtype_table)
    if (entry.name == name) return entry.type;
  return std::nullopt;
}

// Bytes taken by `count` elements, or nullopt when the size overflows or is not a
// whole number of bytes (sub-byte dtypes must fill whole bytes).
[[nodiscard]] constexpr std::optional<std::uint64_t> dtype_byte_size(dtype t, std::uint64_t count) noexcept {
  // With g = gcd(bits, 8): count·bits is a multiple of 8 iff count is a multiple of
  // 8/g, and then bytes = (count / (8/g)) · (bits/g) — computed without overflowing.
  const std::uint64_t bits = dtype_bits(t);
  const std::uint64_t g = bits % 8 == 0 ? 8 : (bits % 4 == 0 ? 4 : 2);
  const std::uint64_t group = 8 / g;
  const std::uint64_t group_bytes = bits / g;
  if (count % group != 0) return std::nullopt;
  const std::uint64_t groups = count / group;
  if (groups != 0 && groups > UINT64_MAX / group_bytes) return std::nullopt;
  return groups * group_bytes;
}

}  // namespace admn
