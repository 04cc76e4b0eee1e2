// Helpers for the io tests: tiny safetensors files built byte by byte, temp directories,
// and the table of malformed files (also the fuzzers' seed corpus, see tests/fuzz/).
#pragma once

#include <admn/io.hpp>

#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace admn::test::io {

inline std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
  return out;
}

inline void append_u64(std::vector<std::byte>& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xffu));
}

// A file: the 8-byte length (of `header`, unless `declared` overrides it), the header,
// then `data_bytes` bytes counting 0, 1, 2, …
inline std::vector<std::byte> make_file(std::string_view header, std::size_t data_bytes = 0,
                                        std::optional<std::uint64_t> declared = std::nullopt) {
  std::vector<std::byte> out;
  append_u64(out, declared.value_or(header.size()));
  for (const char c : header) out.push_back(static_cast<std::byte>(c));
  for (std::size_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<std::byte>(i & 0xffu));
  return out;
}

// One tensor entry's JSON: "name":{"dtype":…,"shape":…,"data_offsets":[b,e]}.
inline std::string entry_json(std::string_view name, std::string_view dtype, std::string_view shape,
                              std::uint64_t begin, std::uint64_t end) {
  // append() rather than operator+: GCC 12 raises a false -Wrestrict on long + chains.
  std::string out = "\"";
  out.append(name).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":").append(shape);
  out.append(",\"data_offsets\":[")
      .append(std::to_string(begin))
      .append(",")
      .append(std::to_string(end))
      .append("]}");
  return out;
}

// A header with one F32 tensor 'a' of shape [2] whose entry has `fields` spliced in
// place of its usual three fields.
inline std::string with_fields(std::string_view fields) { return "{\"a\":{" + std::string(fields) + "}}"; }

inline constexpr std::string_view good_fields = R"("dtype":"F32","shape":[2],"data_offsets":[0,8])";

struct file_case {
  std::string category;
  std::string name;
  std::vector<std::byte> bytes;
  std::string id;        // expected error id; empty: the file is valid
  std::string mentions;  // a substring the message must contain (tensor name, position)
  admn::io::open_options options{};
};

inline std::vector<file_case> malformed_cases() {
  using admn::io::open_options;
  std::vector<file_case> c;
  const auto add = [&](std::string category, std::string name, std::vector<std::byte> bytes, std::string id,
                       std::string mentions = {}, open_options options = {}) {
    c.push_back({std::move(category), std::move(name), std::move(bytes), "admn.safetensors." + id,
                 std::move(mentions), options});
  };
  const std::string a8 = "{" + entry_json("a", "F32", "[2]", 0, 8) + "}";

  // Rule 1: the length prefix.
  add("length", "empty file", {}, "file_too_small", "0 bytes");
  add("length", "seven bytes", std::vector<std::byte>(7), "file_too_small", "7 bytes");
  add("length", "length above the default cap", make_file("{}", 0, 100'000'001), "header_too_large",
      "100000001");
  add("length", "length 2^64-1", make_file("{}", 0, UINT64_MAX), "header_too_large", "18446744073709551615");
  add("length", "cap is checked before the file size", make_file("{}", 0, 3), "header_too_large", "",
      open_options{.max_header_bytes = 2});
  add("length", "length past the end of the file", make_file("{}", 0, 100), "header_out_of_bounds", "100");
  add("length", "8 + N overflows", make_file("{}", 0, UINT64_MAX - 3), "header_out_of_bounds", "",
      open_options{.max_header_bytes = UINT64_MAX});
  add("length", "zero-length header", make_file(""), "invalid_json", "header byte 0");

  // Rule 2: UTF-8, then strict JSON.
  add("utf8", "byte FF in a key", make_file("{\"\xff\":1}"), "invalid_utf8", "header byte 2");
  add("utf8", "overlong '/' (C0 AF)", make_file("{\"\xc0\xaf\":1}"), "invalid_utf8", "header byte 2");
  add("utf8", "encoded surrogate (ED A0 80)", make_file("{\"\xed\xa0\x80\":1}"), "invalid_utf8");
  add("utf8", "above U+10FFFF (F4 90 80 80)", make_file("{\"\xf4\x90\x80\x80\":1}"), "invalid_utf8");
  add("utf8", "lone continuation byte", make_file("{\"\x80\":1}"), "invalid_utf8");
  add("utf8", "sequence cut by the end", make_file("{}\xe2\x82"), "invalid_utf8", "header byte 2");
  add("utf8", "invalid byte in the padding", make_file("{}  \xfe"), "invalid_utf8");

  add("json", "whitespace only", make_file(" \n\t\r "), "invalid_json", "end of header");
  add("json", "byte order mark", make_file("\xef\xbb\xbf{}"), "invalid_json", "header byte 0");
  add("json", "trailing comma in the object", make_file("{" + entry_json("a", "F32", "[2]", 0, 8) + ",}", 8),
      "invalid_json");
  add("json", "trailing comma in an array",
      make_file(with_fields(R"("dtype":"F32","shape":[2,],"data_offsets":[0,8])"), 8), "invalid_json");
  add("json", "line comment", make_file("{} // x"), "invalid_json", "header byte 3");
  add("json", "block comment", make_file("{/* x */}"), "invalid_json");
  add("json", "single quotes", make_file("{'a':1}"), "invalid_json");
  add("json", "unquoted key", make_file("{a:1}"), "invalid_json");
  add("json", "raw tab in a string", make_file("{\"a\tb\":1}"), "invalid_json", "control character");
  add("json", "raw newline in a string", make_file("{\"a\nb\":1}"), "invalid_json");
  add("json", "invalid escape", make_file(R"({"\x41":1})"), "invalid_json", "escape");
  add("json", "lone high surrogate", make_file(R"({"\ud800":1})"), "invalid_json", "surrogate");
  add("json", "lone low surrogate", make_file(R"({"\udc00":1})"), "invalid_json", "surrogate");
  add("json", "high surrogate then a non-surrogate", make_file(R"({"\ud800\u0041":1})"), "invalid_json");
  add("json", "short \\u escape", make_file(R"({"\u12":1})"), "invalid_json");
  add("json", "two objects", make_file("{}{}"), "invalid_json", "header byte 2");
  add("json", "truncated object", make_file("{\"a\":"), "invalid_json", "end of header");
  add("json", "unterminated string", make_file("{\"a"), "invalid_json");
  add("json", "NUL padding", make_file(std::string("{}\0\0", 4)), "invalid_json");
  add("json", "missing colon", make_file("{\"a\" {}}"), "invalid_json");
  add("json", "missing comma",
      make_file("{" + entry_json("a", "F32", "[1]", 0, 4) + " " + entry_json("b", "F32", "[1]", 4, 8) + "}",
                8),
      "invalid_json", "expected ',' or '}'");
  add("json", "wrong-type value that is not JSON either", make_file(with_fields(R"("dtype":[1,)")),
      "invalid_json");
  add("json", "leading zero", make_file(with_fields(R"("dtype":"F32","shape":[02],"data_offsets":[0,8])"), 8),
      "invalid_json");
  add("json", "leading plus", make_file(with_fields(R"("dtype":"F32","shape":[+2],"data_offsets":[0,8])"), 8),
      "invalid_json");
  add("json", "fraction without digits", make_file(with_fields(R"("x":1.,)" + std::string(good_fields)), 8),
      "invalid_json");
  add("json", "NaN", make_file(with_fields(R"("x":NaN,)" + std::string(good_fields)), 8), "invalid_json");
  add("json", "Infinity", make_file(with_fields(R"("x":-Infinity,)" + std::string(good_fields)), 8),
      "invalid_json");
  add("json", "misspelt literal", make_file(R"({"__metadata__":nul})"), "invalid_json");
  add("json", "top-level array", make_file("[]"), "invalid_header");
  add("json", "top-level string", make_file("\"{}\""), "invalid_header");
  add("json", "top-level null", make_file(" null "), "invalid_header");
  add("json", "broken top-level array", make_file("[1,"), "invalid_json");
  add("json", "entry is an array", make_file(R"({"a":[0,8]})"), "invalid_tensor", "'a'");
  add("json", "entry is null", make_file(R"({"w":null})"), "invalid_tensor", "'w'");

  // Depth cap (default 64): the entry is depth 2, so 62 arrays inside reach 64.
  add("depth", "65 levels in an unknown field",
      make_file(with_fields("\"x\":" + std::string(63, '[') + std::string(63, ']') + "," +
                            std::string(good_fields)),
                8),
      "json_too_deep", "nesting deeper than 64");
  add("depth", "100000 levels at the top", make_file(std::string(100000, '[') + std::string(100000, ']')),
      "json_too_deep");
  add("depth", "100000 open levels, never closed", make_file(std::string(100000, '{')), "invalid_json");
  add("depth", "cap 2 rejects a shape array", make_file(a8, 8), "json_too_deep", "",
      open_options{.max_json_depth = 2});
  add("depth", "cap 1 rejects the metadata object", make_file(R"({"__metadata__":{}})"), "json_too_deep", "",
      open_options{.max_json_depth = 1});
  add("depth", "cap 0 rejects the header object", make_file("{}"), "json_too_deep", "",
      open_options{.max_json_depth = 0});

  // Rule 3: duplicate keys anywhere.
  add("duplicates", "tensor name twice",
      make_file("{" + entry_json("a", "F32", "[1]", 0, 4) + "," + entry_json("a", "F32", "[1]", 4, 8) + "}",
                8),
      "duplicate_key", "'a'");
  add("duplicates", "__metadata__ twice", make_file(R"({"__metadata__":{},"__metadata__":null})"),
      "duplicate_key", "'__metadata__'");
  add("duplicates", "metadata key twice", make_file(R"({"__metadata__":{"k":"1","k":"2"}})"), "duplicate_key",
      "'k' at header byte 25");
  add("duplicates", "dtype twice", make_file(with_fields(R"("dtype":"F32",)" + std::string(good_fields)), 8),
      "duplicate_key", "'dtype'");
  add("duplicates", "data_offsets twice",
      make_file(with_fields(std::string(good_fields) + R"(,"data_offsets":[0,8])"), 8), "duplicate_key");
  add("duplicates", "key twice in a nested unknown object",
      make_file(with_fields(R"("x":{"y":[{"z":1,"z":1}]},)" + std::string(good_fields)), 8), "duplicate_key",
      "'z'");
  add("duplicates", "same key after unescaping", make_file(R"({"__metadata__":{"a":"1","\u0061":"2"}})"),
      "duplicate_key", "'a'");
  add("duplicates", "inside a top-level array", make_file(R"([{"a":1,"a":2}])"), "duplicate_key");

  // Rule 4: __metadata__ is an object of strings or null.
  add("metadata", "array", make_file(R"({"__metadata__":[]})"), "invalid_metadata");
  add("metadata", "string", make_file(R"({"__metadata__":"x"})"), "invalid_metadata");
  add("metadata", "true", make_file(R"({"__metadata__":true})"), "invalid_metadata");
  add("metadata", "number", make_file(R"({"__metadata__":0})"), "invalid_metadata");
  add("metadata", "number value", make_file(R"({"__metadata__":{"n":1}})"), "invalid_metadata", "'n'");
  add("metadata", "null value", make_file(R"({"__metadata__":{"n":null}})"), "invalid_metadata", "'n'");
  add("metadata", "object value", make_file(R"({"__metadata__":{"cfg":{"depth":"12"}}})"), "invalid_metadata",
      "'cfg'");
  add("metadata", "array value", make_file(R"({"__metadata__":{"l":["a"]}})"), "invalid_metadata", "'l'");

  // Rule 5: dtype.
  add("dtype", "unknown name",
      make_file(with_fields(R"("dtype":"F128","shape":[2],"data_offsets":[0,8])"), 8), "invalid_dtype",
      "'F128'");
  add("dtype", "lower case", make_file(with_fields(R"("dtype":"f32","shape":[2],"data_offsets":[0,8])"), 8),
      "invalid_dtype", "'f32'");
  add("dtype", "trailing space",
      make_file(with_fields(R"("dtype":"F32 ","shape":[2],"data_offsets":[0,8])"), 8), "invalid_dtype");
  add("dtype", "a number", make_file(with_fields(R"("dtype":32,"shape":[2],"data_offsets":[0,8])"), 8),
      "invalid_dtype", "'a'");
  add("dtype", "null", make_file(with_fields(R"("dtype":null,"shape":[2],"data_offsets":[0,8])"), 8),
      "invalid_dtype");
  add("dtype", "missing", make_file(with_fields(R"("shape":[2],"data_offsets":[0,8])"), 8), "invalid_dtype",
      "'dtype' is missing");

  // Rule 5: shape, parsed exactly.
  const auto shape_case = [&](std::string name, std::string shape) {
    add("shape", std::move(name),
        make_file(with_fields(R"("dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,8])"), 8),
        "invalid_shape", "'a'");
  };
  shape_case("fraction 2.0", "[2.0]");
  shape_case("exponent 2e0", "[2e0]");
  shape_case("negative zero", "[-0,2]");
  shape_case("negative", "[-2]");
  shape_case("2^64", "[18446744073709551616]");
  shape_case("20 digits above 2^64", "[99999999999999999999]");
  shape_case("string entry", R"(["2"])");
  shape_case("nested array", "[[2]]");
  shape_case("null entry", "[null]");
  shape_case("not an array", "2");
  shape_case("an object", R"({"0":2})");
  add("shape", "missing", make_file(with_fields(R"("dtype":"F32","data_offsets":[0,8])"), 8), "invalid_shape",
      "'shape' is missing");
  add("shape", "rank 3 above a cap of 2",
      make_file(with_fields(R"("dtype":"F32","shape":[1,1,2],"data_offsets":[0,8])"), 8), "rank_too_large",
      "'a'", open_options{.max_rank = 2});
  add("shape", "rank 1 above a cap of 0", make_file(a8, 8), "rank_too_large", "",
      open_options{.max_rank = 0});

  // Rule 5: data_offsets.
  const auto offsets_case = [&](std::string name, std::string offsets) {
    add("offsets", std::move(name),
        make_file(with_fields(R"("dtype":"F32","shape":[2],"data_offsets":)" + offsets), 8),
        "invalid_offsets", "'a'");
  };
  offsets_case("one entry", "[8]");
  offsets_case("three entries", "[0,8,8]");
  offsets_case("empty", "[]");
  offsets_case("end before begin", "[8,0]");
  offsets_case("fraction", "[0,8.0]");
  offsets_case("negative", "[-8,0]");
  offsets_case("string", R"(["0","8"])");
  offsets_case("not an array", R"({"begin":0,"end":8})");
  offsets_case("2^64", "[0,18446744073709551616]");
  add("offsets", "missing", make_file(with_fields(R"("dtype":"F32","shape":[2])"), 8), "invalid_offsets",
      "'data_offsets' is missing");

  // Rule 6: checked sizes.
  add("size", "element count 2^64",
      make_file(with_fields(R"("dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,8])"), 8),
      "size_overflow", "'a'");
  add("size", "byte size 2^64",
      make_file(with_fields(R"("dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8])"), 8),
      "size_overflow");
  add("size", "a zero dimension does not excuse an overflow",
      make_file(with_fields(R"("dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0])")),
      "size_overflow");
  add("size", "F4 count not filling a byte",
      make_file(with_fields(R"("dtype":"F4","shape":[3],"data_offsets":[0,2])"), 2), "partial_byte",
      "3 elements of F4");
  add("size", "F6 count not filling a byte",
      make_file(with_fields(R"("dtype":"F6_E2M3","shape":[2],"data_offsets":[0,2])"), 2), "partial_byte");
  add("size", "offsets too short for the shape",
      make_file(with_fields(R"("dtype":"F32","shape":[2],"data_offsets":[0,4])"), 4), "size_mismatch",
      "needs 8");
  add("size", "offsets too long for the shape",
      make_file(with_fields(R"("dtype":"BF16","shape":[2],"data_offsets":[0,8])"), 8), "size_mismatch");
  add("size", "scalar with no bytes",
      make_file(with_fields(R"("dtype":"F64","shape":[],"data_offsets":[0,0])")), "size_mismatch");

  // Rule 7: tiling from 0.
  const auto two = [](std::string_view first, std::string_view second) {
    std::string out = "{";
    out.append(first).append(",").append(second).append("}");
    return out;
  };
  add("layout", "first tensor starts at 4", make_file("{" + entry_json("a", "F32", "[1]", 4, 8) + "}", 8),
      "layout_hole", "the data section starts at 0");
  add("layout", "hole between tensors",
      make_file(two(entry_json("a", "F32", "[1]", 0, 4), entry_json("b", "F32", "[1]", 8, 12)), 12),
      "layout_hole", "'b' begins at data byte 8");
  add("layout", "partial overlap",
      make_file(two(entry_json("a", "F32", "[2]", 0, 8), entry_json("b", "F32", "[2]", 4, 12)), 12),
      "layout_overlap", "'b'");
  add("layout", "range inside another",
      make_file(two(entry_json("a", "F32", "[4]", 0, 16), entry_json("b", "F32", "[1]", 4, 8)), 16),
      "layout_overlap");
  add("layout", "same start, shorter",
      make_file(two(entry_json("a", "F32", "[4]", 0, 16), entry_json("b", "F32", "[2]", 0, 8)), 16),
      "layout_overlap");
  add("layout", "alias: identical ranges",
      make_file(two(entry_json("a", "F32", "[2]", 0, 8), entry_json("b", "I32", "[2]", 0, 8)), 8),
      "layout_alias", "'a' and 'b'");
  add("layout", "empty tensor inside another",
      make_file(two(entry_json("a", "F32", "[2]", 0, 8), entry_json("e", "F32", "[0]", 4, 4)), 8),
      "layout_overlap", "'e'");
  add("layout", "empty tensor past the end",
      make_file(two(entry_json("a", "F32", "[2]", 0, 8), entry_json("e", "F32", "[0]", 12, 12)), 8),
      "layout_hole");

  // Rule 8: the last END is the end of the file.
  add("end", "data section too short", make_file(a8, 4), "truncated_data", "need 8");
  add("end", "no data at all", make_file(a8), "truncated_data");
  add("end", "offsets far beyond the file",
      make_file(with_fields(
                    R"("dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615])"),
                8),
      "truncated_data");
  add("end", "four trailing bytes", make_file(a8, 12), "trailing_bytes", "4 bytes");
  add("end", "no tensors, one data byte", make_file("{}", 1), "trailing_bytes", "1 bytes");
  return c;
}

// Valid files at the edges of the rules.
inline std::vector<file_case> accepted_cases() {
  using admn::io::open_options;
  std::vector<file_case> c;
  const auto add = [&](std::string name, std::vector<std::byte> bytes, open_options options = {}) {
    c.push_back({"accepted", std::move(name), std::move(bytes), {}, {}, options});
  };
  const std::string a8 = "{" + entry_json("a", "F32", "[2]", 0, 8) + "}";
  add("empty header object", make_file("{}"));
  add("header at exactly the cap", make_file("{}"), open_options{.max_header_bytes = 2});
  add("whitespace around the object", make_file(" \t\r\n" + a8 + "\n   ", 8));
  add("metadata only", make_file(R"({"__metadata__":{"admn.arch":"gtdm","":""}})"));
  add("metadata null", make_file(R"({"__metadata__":null})"));
  add("metadata empty", make_file(R"({"__metadata__":{}})"));
  add("scalar", make_file("{" + entry_json("s", "F64", "[]", 0, 8) + "}", 8));
  add("zero-sized tensors",
      make_file("{" + entry_json("z", "F32", "[0]", 0, 0) + "," + entry_json("y", "F32", "[2,0,3]", 0, 0) +
                    "," + entry_json("a", "F32", "[2]", 0, 8) + "," + entry_json("x", "U8", "[0]", 8, 8) +
                    "}",
                8));
  add("unknown fields ignored",
      make_file(with_fields(R"("x":{"y":[1.5e3,-0,true,null,"s",{}]},)" + std::string(good_fields) +
                            R"(,"z":18446744073709551616999)"),
                8));
  add("escaped names",
      make_file("{" + entry_json(R"(a\nb\u00e9\ud83d\ude00\/\"\\)", "U8", "[1]", 0, 1) + "}", 1));
  add("depth 64 exactly", make_file(with_fields("\"x\":" + std::string(62, '[') + std::string(62, ']') + "," +
                                                std::string(good_fields)),
                                    8));
  add("trailing bytes allowed", make_file(a8, 12), open_options{.allow_trailing_bytes = true});
  add("rank at the cap", make_file(a8, 8), open_options{.max_rank = 1});
  add("F4 and F6 filling whole bytes", make_file("{" + entry_json("f4", "F4", "[2]", 0, 1) + "," +
                                                     entry_json("f6", "F6_E3M2", "[4]", 1, 4) + "}",
                                                 4));
  add("largest exact integer in a shape",
      make_file(with_fields(R"("dtype":"U8","shape":[18446744073709551615,0],"data_offsets":[0,0])")));
  add("odd header length, unaligned data", make_file("{" + entry_json("a", "F32", "[2]", 0, 8) + "} ", 8));
  return c;
}

// A fresh directory under the system temp dir, removed with its contents on destruction.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "admn-io-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

inline std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  for (std::size_t i = 0; i < chars.size(); ++i) out[i] = static_cast<std::byte>(chars[i]);
  return out;
}

}  // namespace admn::test::io
