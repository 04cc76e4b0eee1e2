// admn/io/writer.hpp — writing safetensors files.
//
//   std::vector<admn::io::tensor_entry> entries{admn::io::entry("head.weight", w),
//                                               admn::io::entry("head.bias", b)};
//   admn::io::save("model.safetensors", entries, {{"admn.arch", "gtdm"}});
//
// The header lists "__metadata__" first (omitted when the map is empty, so it reads
// back as absent), then the tensors in data order. Data order is by element width,
// widest first, then by name: with the header padded with spaces to a multiple of 8,
// every tensor of a file written here starts aligned to its element size, so typed views
// of a mapped file are zero-copy. Entries are checked before anything is written
// (argument_error ids in format.hpp: reserved_name, duplicate_name, aliased_input,
// entry_size, invalid_utf8, not_contiguous).
#pragma once

#include <admn/error.hpp>
#include <admn/io/detail/header.hpp>
#include <admn/io/detail/posix.hpp>
#include <admn/io/detail/text.hpp>
#include <admn/io/format.hpp>
#include <admn/tensor/dtype.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/view.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace admn::io {

// One tensor to write: its bytes are viewed, not owned, and must outlive the call.
struct tensor_entry {
  std::string name;
  admn::dtype type{};
  std::vector<std::uint64_t> shape;
  std::span<const std::byte> bytes;
};

// An F32 entry viewing `t`'s elements.
[[nodiscard]] inline tensor_entry entry(std::string name, const admn::tensor& t) {
  std::vector<std::uint64_t> shape(t.shape().dims().begin(), t.shape().dims().end());
  return {std::move(name), dtype::f32, std::move(shape), std::as_bytes(t.values())};
}

// An F32 entry viewing a contiguous view; throws argument_error
// [admn.safetensors.not_contiguous] for a strided one (copy it with tensor::copy_of).
[[nodiscard]] inline tensor_entry entry(std::string name, admn::const_view v) {
  if (!v.is_contiguous())
    throw argument_error(
        "admn.safetensors.not_contiguous",
        "tensor " + detail::quote_name(name) + ": the view " + v.shape().to_string() + " is strided");
  std::vector<std::uint64_t> shape(v.shape().dims().begin(), v.shape().dims().end());
  return {std::move(name), dtype::f32, std::move(shape),
          std::span<const std::byte>(reinterpret_cast<const std::byte*>(v.data()), v.size() * sizeof(float))};
}

namespace detail {

inline void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

inline void require_utf8(std::string_view text, const char* what) {
  if (const auto bad = invalid_utf8_position(text))
    throw argument_error(
        "admn.safetensors.invalid_utf8",
        std::string(what) + " " + quote_name(text) + " is not valid UTF-8 at byte " + std::to_string(*bad));
}

// What save() writes: the length prefix and padded header, then the entries in `order`.
struct write_plan {
  std::string head;                // 8-byte length + header, a multiple of 8 bytes
  std::vector<std::size_t> order;  // entry indices in data order
  std::uint64_t data_bytes = 0;
};

[[nodiscard]] inline write_plan plan_write(std::span<const tensor_entry> entries,
                                           const std::map<std::string, std::string>& metadata) {
  for (const auto& e : entries) {
    require_utf8(e.name, "tensor name");
    if (e.name == "__metadata__")
      throw argument_error("admn.safetensors.reserved_name", "a tensor may not be named '__metadata__'");
    const auto count = checked_count(e.shape);
    std::optional<std::uint64_t> bytes;
    if (count) bytes = dtype_byte_size(e.type, *count);
    if (!bytes || *bytes != e.bytes.size())
      throw argument_error(
          "admn.safetensors.entry_size",
          "tensor " + quote_name(e.name) + ": " + std::string(dtype_name(e.type)) + " " +
              dims_string(e.shape) + " needs " +
              (bytes ? std::to_string(*bytes) + " bytes" : std::string("an unrepresentable size")) +
              ", got " + std::to_string(e.bytes.size()));
  }
  for (const auto& [key, value] : metadata) {
    require_utf8(key, "metadata key");
    require_utf8(value, "metadata value");
  }

  write_plan plan;
  plan.order.resize(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) plan.order[i] = i;
  std::sort(plan.order.begin(), plan.order.end(), [&](std::size_t a, std::size_t b) {
    const std::size_t wa = dtype_bits(entries[a].type), wb = dtype_bits(entries[b].type);
    return wa != wb ? wa > wb : entries[a].name < entries[b].name;
  });
  {
    std::vector<std::string_view> names;
    names.reserve(entries.size());
    for (const auto& e : entries) names.push_back(e.name);
    std::sort(names.begin(), names.end());
    const auto twin = std::adjacent_find(names.begin(), names.end());
    if (twin != names.end())
      throw argument_error("admn.safetensors.duplicate_name", "two entries are named " + quote_name(*twin));
  }
  {  // Aliased inputs: two non-empty byte ranges that overlap in memory.
    std::vector<std::size_t> by_address;
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (!entries[i].bytes.empty()) by_address.push_back(i);
    const auto address = [&](std::size_t i) {
      return reinterpret_cast<std::uintptr_t>(entries[i].bytes.data());
    };
    std::sort(by_address.begin(), by_address.end(),
              [&](std::size_t a, std::size_t b) { return address(a) < address(b); });
    for (std::size_t k = 1; k < by_address.size(); ++k) {
      const std::size_t a = by_address[k - 1], b = by_address[k];
      if (address(b) < address(a) + entries[a].bytes.size())
        throw argument_error("admn.safetensors.aliased_input", "entries " + quote_name(entries[a].name) +
                                                                   " and " + quote_name(entries[b].name) +
                                                                   " share memory");
    }
  }

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ',';
      first = false;
      append_json_string(header, key);
      header += ':';
      append_json_string(header, value);
    }
    header += '}';
  }
  std::uint64_t offset = 0;
  for (const std::size_t i : plan.order) {
    const auto& e = entries[i];
    if (header.size() > 1) header += ',';
    append_json_string(header, e.name);
    header += ":{\"dtype\":\"";
    header += dtype_name(e.type);
    header += "\",\"shape\":";
    header += dims_string(e.shape);
    header +=
        ",\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + e.bytes.size()) + "]}";
    offset += e.bytes.size();
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');  // data then starts 8-aligned in the file

  plan.head.resize(length_prefix_bytes);
  const std::uint64_t n = header.size();
  for (std::size_t i = 0; i < length_prefix_bytes; ++i)
    plan.head[i] = static_cast<char>((n >> (8 * i)) & 0xffu);
  plan.head += header;
  plan.data_bytes = offset;
  return plan;
}

}  // namespace detail

// The complete file in memory. Throws argument_error for bad entries (see above).
[[nodiscard]] inline std::vector<std::byte> serialize(
    std::span<const tensor_entry> entries, const std::map<std::string, std::string>& metadata = {}) {
  const detail::write_plan plan = detail::plan_write(entries, metadata);
  std::vector<std::byte> out(plan.head.size() + plan.data_bytes);
  std::memcpy(out.data(), plan.head.data(), plan.head.size());
  std::size_t at = plan.head.size();
  for (const std::size_t i : plan.order) {
    if (!entries[i].bytes.empty())
      std::memcpy(out.data() + at, entries[i].bytes.data(), entries[i].bytes.size());
    at += entries[i].bytes.size();
  }
  return out;
}

// Writes the file to a temporary name beside `path`, flushes it and renames it over
// `path`, so a crash never leaves a half-written model (nor destroys the old one).
// The tensors stream from their memory; nothing is copied whole. Throws argument_error
// for bad entries (before creating any file), load_error [admn.safetensors.io] when
// writing fails (the temporary file is removed).
inline void save(const std::filesystem::path& path, std::span<const tensor_entry> entries,
                 const std::map<std::string, std::string>& metadata = {}) {
  const detail::write_plan plan = detail::plan_write(entries, metadata);
  detail::write_atomically(path, [&](int fd, const std::filesystem::path& temp) {
    detail::write_all(fd, std::as_bytes(std::span(plan.head)), temp);
    for (const std::size_t i : plan.order) detail::write_all(fd, entries[i].bytes, temp);
  });
}

}  // namespace admn::io
