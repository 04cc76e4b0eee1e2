#include <admn/tensor/dtype.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>

using admn::dtype;

TEST_CASE("every safetensors dtype has its name and width") {
  struct expected {
    const char* name;
    std::size_t bits;
  };
  // The 22 dtypes of the safetensors format, from its Rust crate.
  const expected table[] = {
      {"BOOL", 8},    {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6},     {"U8", 8},          {"I8", 8},
      {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8}, {"I16", 16},
      {"U16", 16},    {"F16", 16},    {"BF16", 16},   {"I32", 32},        {"U32", 32},        {"F32", 32},
      {"C64", 64},    {"F64", 64},    {"I64", 64},    {"U64", 64}};
  CHECK(std::size(table) == admn::dtype_count);
  std::set<std::string> seen;
  for (const auto& row : table) {
    const auto parsed = admn::parse_dtype(row.name);
    REQUIRE(parsed.has_value());
    CHECK(admn::dtype_name(*parsed) == row.name);
    CHECK(admn::dtype_bits(*parsed) == row.bits);
    seen.insert(row.name);
  }
  CHECK(seen.size() == admn::dtype_count);
  for (const dtype t : admn::all_dtypes()) CHECK(admn::parse_dtype(admn::dtype_name(t)) == t);
}

TEST_CASE("dtype names are case-sensitive and exact") {
  CHECK_FALSE(admn::parse_dtype("f32").has_value());
  CHECK_FALSE(admn::parse_dtype("Bf16").has_value());
  CHECK_FALSE(admn::parse_dtype("F32 ").has_value());
  CHECK_FALSE(admn::parse_dtype("").has_value());
  CHECK_FALSE(admn::parse_dtype("F8").has_value());
  CHECK_FALSE(admn::parse_dtype(std::string_view("F32\0", 4)).has_value());
}

TEST_CASE("byte sizes are checked for overflow and whole bytes") {
  CHECK(admn::dtype_byte_size(dtype::f32, 0) == 0u);
  CHECK(admn::dtype_byte_size(dtype::f32, 3) == 12u);
  CHECK(admn::dtype_byte_size(dtype::c64, 2) == 16u);
  CHECK(admn::dtype_byte_size(dtype::f4, 2) == 1u);
  CHECK_FALSE(admn::dtype_byte_size(dtype::f4, 3).has_value());  // 12 bits
  CHECK(admn::dtype_byte_size(dtype::f6_e2m3, 4) == 3u);
  CHECK_FALSE(admn::dtype_byte_size(dtype::f6_e3m2, 1).has_value());
  CHECK_FALSE(admn::dtype_byte_size(dtype::f64, UINT64_MAX / 4).has_value());
  CHECK(admn::dtype_byte_size(dtype::u8, UINT64_MAX) == UINT64_MAX);
  CHECK_FALSE(admn::dtype_byte_size(dtype::u16, UINT64_MAX / 2 + 1).has_value());
  CHECK(admn::dtype_byte_size(dtype::u16, UINT64_MAX / 2) == UINT64_MAX - 1);
  CHECK(admn::dtype_byte_size(dtype::f4, UINT64_MAX - 1) == UINT64_MAX / 2);
}
