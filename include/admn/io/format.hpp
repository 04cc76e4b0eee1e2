// admn/io/format.hpp — the safetensors vocabulary: options, tensor_info and the error ids.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON
// (the header), then the data section. The header maps tensor names to
//   {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}
// with offsets relative to the data section, plus an optional "__metadata__" object of
// strings. admn follows the reference implementation (the Rust crate
// huggingface/safetensors) and is stricter in three places: duplicate keys are rejected
// at every nesting level, bytes after the last tensor are an error of their own
// (opt-in allowance), and the rank may be capped.
//
// Every rejection throws admn::format_error (admn::load_error for I/O and lookups) whose
// message starts with one of these stable ids and names the tensor or the header byte
// position. Header positions count from the first byte after the 8-byte length.
//
//   admn.safetensors.file_too_small        fewer than 8 bytes
//   admn.safetensors.header_too_large      N > open_options::max_header_bytes (checked first)
//   admn.safetensors.header_out_of_bounds  8 + N > file size
//   admn.safetensors.invalid_utf8          the header is not valid UTF-8 (also: a writer input)
//   admn.safetensors.invalid_json          not strict JSON: syntax, comments, trailing commas,
//                                          control characters or lone surrogates in strings,
//                                          a number where a sign/zero is misplaced, a byte
//                                          order mark, anything after the object
//   admn.safetensors.json_too_deep         nesting deeper than open_options::max_json_depth
//   admn.safetensors.duplicate_key         a key appears twice in one object, at any level
//                                          (keys compare after unescaping: "a" == "\u0061")
//   admn.safetensors.invalid_header        valid JSON whose top level is not an object
//   admn.safetensors.invalid_metadata      "__metadata__" is not null or an object of strings
//   admn.safetensors.invalid_tensor        a tensor's entry is not an object
//   admn.safetensors.invalid_dtype         "dtype" missing, not a string, or not a known name
//   admn.safetensors.invalid_shape         "shape" missing, not an array of exact integers
//   admn.safetensors.rank_too_large        more dimensions than open_options::max_rank
//   admn.safetensors.invalid_offsets       "data_offsets" missing, not exactly two exact
//                                          integers, or END < BEGIN
//   admn.safetensors.size_overflow         element count or byte size exceeds 64 bits
//   admn.safetensors.partial_byte          a sub-byte dtype (F4, F6_*) not filling whole bytes
//   admn.safetensors.size_mismatch         END − BEGIN differs from the dtype/shape byte size
//   admn.safetensors.layout_hole           data bytes no tensor covers (or not starting at 0)
//   admn.safetensors.layout_overlap        two tensors' byte ranges overlap
//   admn.safetensors.layout_alias          two non-empty tensors share the very same bytes
//   admn.safetensors.truncated_data        the tensors need more bytes than the file holds
//   admn.safetensors.trailing_bytes        bytes after the last tensor (unless allowed)
//   admn.safetensors.io                    load_error: open/stat/read/mmap/write failed
//   admn.safetensors.missing_tensor        load_error: info()/tensor() of an absent name
//   admn.safetensors.unsupported_dtype     format_error: to_f32() of a dtype with no conversion
//   admn.safetensors.output_size           argument_error: to_f32() output of the wrong size
// Writer inputs (admn::argument_error):
//   admn.safetensors.reserved_name         a tensor named "__metadata__"
//   admn.safetensors.duplicate_name        two entries with one name
//   admn.safetensors.aliased_input         two entries whose byte ranges overlap in memory
//   admn.safetensors.entry_size            bytes.size() differs from dtype × shape
//   admn.safetensors.not_contiguous        entry() of a strided view
//
// Numbers: shapes and offsets accept exactly the JSON integers 0 … 18446744073709551615
// written as plain digits. "1.0", "1e3", "-0", "-1" and larger values are rejected with the
// field's id; "+1" and "01" are not JSON at all (invalid_json). Numbers in unknown fields
// only need to be valid JSON.
//
// Checks run front to back through the header (the first problem wins), then over the
// layout sorted by offset, so one file always yields the same id. When a file that fails
// the length prefix or the header text is recognisably something else (a PyTorch .pt,
// text, empty: io/file_kind.hpp), safetensors_file::open keeps the id and says what it is.
#pragma once

#include <admn/tensor/dtype.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace admn::io {

// safetensors stores little-endian numbers; typed views hand them out unconverted.
static_assert(std::endian::native == std::endian::little, "admn::io needs a little-endian host");

enum class backend {
  mmap,  // read-only shared mapping of the whole file; tensor bytes are paged in on use
  read,  // plain read() of the header, then of the validated data section into owned memory
};

struct open_options {
  io::backend backend = backend::mmap;
  // Cap on the declared header length N, checked before anything else (the crate's value).
  std::uint64_t max_header_bytes = 100'000'000;
  // Cap on JSON nesting, counted in containers: the top-level object is depth 1, a tensor
  // entry 2, its shape array 3 (so values below 3 reject every file with tensors). 64 leaves
  // room for any sane unknown field. Parsing is iterative: deeper nesting costs no stack,
  // only 24 bytes of heap per open level.
  std::size_t max_json_depth = 64;
  // Cap on the number of dimensions of any tensor; none by default (as the crate).
  std::optional<std::size_t> max_rank{};
  // Accept bytes after the last tensor (other writers sometimes pad files).
  bool allow_trailing_bytes = false;
};

// One header entry, validated.
struct tensor_info {
  std::string name;
  admn::dtype type{};
  std::vector<std::uint64_t> shape;
  // data_offsets: [begin, end) in bytes, relative to the start of the data section.
  std::uint64_t begin = 0;
  std::uint64_t end = 0;

  // Product of the dimensions (1 for a scalar, 0 when any dimension is 0); validated
  // against overflow when the file was opened.
  [[nodiscard]] std::uint64_t element_count() const noexcept {
    std::uint64_t count = 1;
    for (const std::uint64_t d : shape) count *= d;
    return count;
  }
  [[nodiscard]] std::uint64_t byte_size() const noexcept { return end - begin; }
};

}  // namespace admn::io
