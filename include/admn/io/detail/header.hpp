// admn/io/detail/header.hpp — safetensors header and layout validation (docs/design.md rules 1–10).
//
// Works on the header text and the size of the data section only, so it never touches
// tensor bytes and never allocates from a declared size: every container it fills grows
// with bytes actually present in the header.
#pragma once

#include <admn/io/detail/json.hpp>
#include <admn/io/detail/text.hpp>
#include <admn/io/format.hpp>
#include <admn/tensor/dtype.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace admn::io::detail {

inline constexpr std::uint64_t length_prefix_bytes = 8;

struct parsed_header {
  std::vector<tensor_info> tensors;    // sorted by name
  std::vector<std::size_t> by_offset;  // indices into tensors, sorted by (begin, end, name)
  std::optional<std::map<std::string, std::string>> metadata;
  std::uint64_t data_bytes = 0;  // bytes the tensors tile: the last END
};

// Rule 1: reads N from the first 8 bytes of a file of `file_size` bytes and checks it
// against the cap (first) and the file size (overflow-safe). `prefix` holds at least
// min(8, file_size) bytes.
[[nodiscard]] inline std::uint64_t check_length_prefix(std::span<const std::byte> prefix,
                                                       std::uint64_t file_size, const open_options& options) {
  if (file_size < length_prefix_bytes)
    fail_format("file_too_small",
                "the file has " + std::to_string(file_size) + " bytes, fewer than the 8-byte header length");
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < length_prefix_bytes; ++i)
    n |= static_cast<std::uint64_t>(static_cast<unsigned char>(prefix[i])) << (8 * i);
  if (n > options.max_header_bytes)
    fail_format("header_too_large", "header length " + std::to_string(n) + " exceeds the limit of " +
                                        std::to_string(options.max_header_bytes) + " bytes");
  if (n > file_size - length_prefix_bytes)
    fail_format("header_out_of_bounds", "header length " + std::to_string(n) + " but only " +
                                            std::to_string(file_size - length_prefix_bytes) +
                                            " bytes follow the 8-byte length");
  return n;
}

class header_parser {
 public:
  header_parser(std::string_view text, const open_options& options)
      : text_(text), options_(options), json_(text, options.max_json_depth) {}

  [[nodiscard]] parsed_header parse(std::uint64_t data_section_bytes) {
    if (const auto bad = invalid_utf8_position(text_))
      fail_format("invalid_utf8", "the header is not valid UTF-8 at header byte " + std::to_string(*bad));
    parse_object();
    validate_layout(data_section_bytes);
    return std::move(out_);
  }

 private:
  void parse_object() {
    const int first = json_.peek();
    if (first == json_scanner::end_of_text) json_.syntax_error("expected the header object");
    if (first != '{') {
      // Valid JSON of the wrong kind is a structural error; anything else is syntax.
      json_.skip_value(0);
      expect_end();
      fail_format("invalid_header", "the header is not a JSON object");
    }
    json_.check_depth(1);
    json_.expect('{', "'{'");
    const auto keys = json_.keys().open();
    if (!json_.accept('}')) {
      for (;;) {
        json_.skip_whitespace();
        const std::size_t at = json_.position();
        json_.read_key(key_);
        if (key_ == "__metadata__")
          parse_metadata();
        else
          parse_entry(at);
        if (json_.accept(',')) continue;
        json_.expect('}', "',' or '}'");
        break;
      }
    }
    json_.keys().close(keys);
    expect_end();
    std::sort(out_.tensors.begin(), out_.tensors.end(),
              [](const tensor_info& a, const tensor_info& b) { return a.name < b.name; });
  }

  void expect_end() {
    if (json_.peek() != json_scanner::end_of_text) json_.syntax_error("expected the end of the header");
  }

  // Rule 4: a string→string object or null.
  void parse_metadata() {
    const int c = json_.peek();
    if (c == 'n') {
      (void)json_.read_literal();  // throws unless it is exactly "null"
      out_.metadata.reset();
      return;
    }
    if (c != '{') wrong_type(1, "invalid_metadata", "'__metadata__' must be an object of strings or null");
    json_.check_depth(2);
    json_.expect('{', "'{'");
    std::map<std::string, std::string> metadata;
    const auto keys = json_.keys().open();
    if (!json_.accept('}')) {
      for (;;) {
        json_.read_key(key_);
        if (json_.peek() != '"')
          wrong_type(2, "invalid_metadata",
                     "'__metadata__' value of key " + quote_name(key_) + " is not a string");
        json_.read_string(value_);
        metadata.emplace(key_, value_);
        if (json_.accept(',')) continue;
        json_.expect('}', "',' or '}'");
        break;
      }
    }
    json_.keys().close(keys);
    out_.metadata = std::move(metadata);
  }

  // A complete value of the wrong type: syntax errors inside it still win, so a type
  // error is only ever reported for valid JSON. `depth` is that of its container.
  [[noreturn]] void wrong_type(std::size_t depth, const char* id, const std::string& what) {
    json_.skip_whitespace();
    const std::size_t at = json_.position();
    json_.skip_value(depth);
    fail_format(id, what + " (value at header byte " + std::to_string(at) + ")");
  }

  // Rule 5: {"dtype": …, "shape": […], "data_offsets": [BEGIN, END], unknown fields ignored}.
  void parse_entry(std::size_t key_position) {
    tensor_info info;
    info.name = key_;
    const std::string who = "tensor " + quote_name(info.name);
    if (json_.peek() != '{')
      wrong_type(
          1, "invalid_tensor",
          who + ": the entry is not an object (key at header byte " + std::to_string(key_position) + ")");
    json_.check_depth(2);
    json_.expect('{', "'{'");
    bool has_dtype = false, has_shape = false, has_offsets = false;
    std::vector<std::uint64_t> offsets;
    const auto keys = json_.keys().open();
    if (!json_.accept('}')) {
      for (;;) {
        json_.read_key(key_);
        if (key_ == "dtype") {
          if (json_.peek() != '"') wrong_type(2, "invalid_dtype", who + ": 'dtype' is not a string");
          json_.read_string(value_);
          const auto type = parse_dtype(value_);
          if (!type) fail_format("invalid_dtype", who + ": unknown dtype " + quote_name(value_));
          info.type = *type;
          has_dtype = true;
        } else if (key_ == "shape") {
          read_integers(info.shape, "invalid_shape", who, "'shape'", options_.max_rank, "rank_too_large");
          has_shape = true;
        } else if (key_ == "data_offsets") {
          read_integers(offsets, "invalid_offsets", who, "'data_offsets'", 2, "invalid_offsets");
          has_offsets = true;
        } else {
          json_.skip_value(2);
        }
        if (json_.accept(',')) continue;
        json_.expect('}', "',' or '}'");
        break;
      }
    }
    json_.keys().close(keys);

    if (!has_dtype) fail_format("invalid_dtype", who + ": 'dtype' is missing");
    if (!has_shape) fail_format("invalid_shape", who + ": 'shape' is missing");
    if (!has_offsets) fail_format("invalid_offsets", who + ": 'data_offsets' is missing");
    if (offsets.size() != 2)
      fail_format("invalid_offsets",
                  who + ": 'data_offsets' needs exactly two entries, got " + std::to_string(offsets.size()));
    info.begin = offsets[0];
    info.end = offsets[1];
    if (info.end < info.begin)
      fail_format("invalid_offsets",
                  who + ": 'data_offsets' " + dims_string(offsets) + " end before they begin");
    check_size(info, who);
    out_.tensors.push_back(std::move(info));
  }

  // Rule 6: checked element count and byte size; END − BEGIN must equal the byte size.
  static void check_size(const tensor_info& info, const std::string& who) {
    const auto count = checked_count(info.shape);
    if (!count)
      fail_format("size_overflow",
                  who + ": the element count of shape " + dims_string(info.shape) + " exceeds 64 bits");
    const auto bytes = dtype_byte_size(info.type, *count);
    if (!bytes) {
      // count·bits mod 8, without forming the (possibly overflowing) product.
      if ((*count % 8) * dtype_bits(info.type) % 8 != 0)
        fail_format("partial_byte", who + ": " + std::to_string(*count) + " elements of " +
                                        std::string(dtype_name(info.type)) + " do not fill whole bytes");
      fail_format("size_overflow", who + ": the byte size of " + std::string(dtype_name(info.type)) + " " +
                                       dims_string(info.shape) + " exceeds 64 bits");
    }
    if (info.end - info.begin != *bytes)
      fail_format("size_mismatch", who + ": 'data_offsets' [" + std::to_string(info.begin) + "," +
                                       std::to_string(info.end) + "] hold " +
                                       std::to_string(info.end - info.begin) + " bytes, but " +
                                       std::string(dtype_name(info.type)) + " " + dims_string(info.shape) +
                                       " needs " + std::to_string(*bytes));
  }

  // An array of plain integers (shape or data_offsets). More than `cap` entries throws
  // `cap_id`, so a capped array never grows past its cap.
  void read_integers(std::vector<std::uint64_t>& out, const char* id, const std::string& who,
                     const char* field, std::optional<std::size_t> cap, const char* cap_id) {
    out.clear();
    if (json_.peek() != '[') wrong_type(2, id, who + ": " + field + " is not an array");
    json_.check_depth(3);
    json_.expect('[', "'['");
    if (json_.accept(']')) return;
    for (;;) {
      const int c = json_.peek();
      if (c != '-' && !(c >= '0' && c <= '9'))
        wrong_type(3, id, who + ": " + field + " entries must be non-negative integers");
      const json_number number = json_.read_number();
      if (!number.plain_integer)
        fail_format(id, who + ": " + field + " entry " + quote_name(number.text) +
                            " is not a plain non-negative integer");
      if (number.overflow)
        fail_format(id, who + ": " + field + " entry " + quote_name(number.text) + " exceeds 2^64-1");
      if (cap && out.size() == *cap) {
        if (std::string_view(cap_id) == "rank_too_large")
          fail_format(cap_id, who + ": rank exceeds the limit of " + std::to_string(*cap));
        fail_format(cap_id, who + ": " + field + " needs exactly two entries, got more");
      }
      out.push_back(number.value);
      if (json_.accept(',')) continue;
      json_.expect(']', "',' or ']'");
      return;
    }
  }

  // Rules 7 and 8: sorted by offsets, the tensors tile [0, last END) with no hole,
  // overlap or alias, and the last END is the end of the file.
  void validate_layout(std::uint64_t data_section_bytes) {
    auto& tensors = out_.tensors;
    auto& order = out_.by_offset;
    order.resize(tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    // Names are unique and `tensors` is sorted by name, so index order breaks ties.
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const auto& x = tensors[a];
      const auto& y = tensors[b];
      if (x.begin != y.begin) return x.begin < y.begin;
      if (x.end != y.end) return x.end < y.end;
      return a < b;
    });
    std::uint64_t covered = 0;
    const tensor_info* previous = nullptr;  // the tensor that ends at `covered`
    for (const std::size_t index : order) {
      const tensor_info& t = tensors[index];
      if (t.begin > covered)
        fail_format("layout_hole", "tensor " + quote_name(t.name) + " begins at data byte " +
                                       std::to_string(t.begin) + ", but " +
                                       (previous == nullptr ? std::string("the data section starts at 0")
                                                            : "tensor " + quote_name(previous->name) +
                                                                  " ends at " + std::to_string(covered)) +
                                       " (" + std::to_string(t.begin - covered) + " bytes no tensor covers)");
      if (t.begin < covered) {
        if (t.begin == previous->begin && t.end == previous->end)
          fail_format("layout_alias", "tensors " + quote_name(previous->name) + " and " + quote_name(t.name) +
                                          " share data bytes [" + std::to_string(t.begin) + "," +
                                          std::to_string(t.end) + ")");
        fail_format("layout_overlap",
                    "tensor " + quote_name(t.name) + " [" + std::to_string(t.begin) + "," +
                        std::to_string(t.end) + ") overlaps tensor " + quote_name(previous->name) + " [" +
                        std::to_string(previous->begin) + "," + std::to_string(previous->end) + ")");
      }
      // Empty tensors at the boundary do not move it, and must not hide the tensor
      // before them from the overlap check.
      if (t.end > covered || previous == nullptr || t.begin != t.end) previous = &t;
      covered = t.end;
    }
    if (covered > data_section_bytes)
      fail_format("truncated_data", "the tensors need " + std::to_string(covered) +
                                        " data bytes, the file holds " + std::to_string(data_section_bytes));
    if (covered < data_section_bytes && !options_.allow_trailing_bytes)
      fail_format("trailing_bytes", std::to_string(data_section_bytes - covered) +
                                        " bytes follow the last tensor (data ends at data byte " +
                                        std::to_string(covered) + ")");
    out_.data_bytes = covered;
  }

  std::string_view text_;
  const open_options& options_;
  json_scanner json_;
  parsed_header out_;
  std::string key_;
  std::string value_;
};

// Validates the header text for a data section of `data_section_bytes` bytes.
[[nodiscard]] inline parsed_header parse_header(std::string_view header, std::uint64_t data_section_bytes,
                                                const open_options& options) {
  return header_parser(header, options).parse(data_section_bytes);
}

}  // namespace admn::io::detail
