// admn/io/detail/text.hpp — UTF-8 validation and safe quoting of untrusted names in messages.
#pragma once

#include <admn/error.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace admn::io::detail {

[[noreturn]] inline void fail_format(std::string_view id_suffix, const std::string& detail) {
  throw format_error(std::string("admn.safetensors.").append(id_suffix), detail);
}

// Position of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no encoded
// surrogates, nothing above U+10FFFF), or nullopt when `text` is valid.
[[nodiscard]] inline std::optional<std::size_t> invalid_utf8_position(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    // Bounds of the second byte; the later continuation bytes are always 80..BF.
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c == 0xe0) {
      length = 3, lo = 0xa0;  // below A0 would be overlong
    } else if (c == 0xed) {
      length = 3, hi = 0x9f;  // A0..BF would encode surrogates
    } else if (c >= 0xe1 && c <= 0xef) {
      length = 3;
    } else if (c == 0xf0) {
      length = 4, lo = 0x90;  // overlong below 90
    } else if (c >= 0xf1 && c <= 0xf3) {
      length = 4;
    } else if (c == 0xf4) {
      length = 4, hi = 0x8f;  // above 8F exceeds U+10FFFF
    } else {
      return i;  // 80..C1 (continuation or overlong lead) or F5..FF
    }
    if (n - i < length) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < length; ++k)
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return i;
    i += length;
  }
  return std::nullopt;
}

// `name` in single quotes for an error message: control characters escaped so a hostile
// name cannot drive a terminal, and cut (on a character boundary) past `limit` bytes.
[[nodiscard]] inline std::string quote_name(std::string_view name, std::size_t limit = 200) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  std::size_t i = 0;
  for (; i < name.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f || c == '\\' || c == '\'') {
      out += '\\';
      if (c == '\\' || c == '\'') {
        out += static_cast<char>(c);
      } else {
        out += 'x';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  if (i < name.size()) {
    // When the cut splits a UTF-8 character, drop its first bytes too.
    if ((static_cast<unsigned char>(name[i]) & 0xc0) == 0x80) {
      while (out.size() > 1 && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
      if (out.size() > 1 && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
    }
    out += "...(" + std::to_string(name.size()) + " bytes)";
  }
  return out + "'";
}

// "[2,3]"; a scalar is "[]".
[[nodiscard]] inline std::string dims_string(std::span<const std::uint64_t> dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(dims[i]);
  }
  return out + "]";
}

// Element count of `dims`, or nullopt when the product of the non-zero dimensions exceeds
// 64 bits. Stricter than multiplying left to right: no order of multiplication overflows.
[[nodiscard]] inline std::optional<std::uint64_t> checked_count(
    std::span<const std::uint64_t> dims) noexcept {
  std::uint64_t product = 1;
  bool has_zero = false;
  for (const std::uint64_t d : dims) {
    if (d == 0) {
      has_zero = true;
      continue;
    }
    if (product > UINT64_MAX / d) return std::nullopt;
    product *= d;
  }
  return has_zero ? 0 : product;
}

}  // namespace admn::io::detail
