// admn/io/file_kind.hpp — recognise files that are not safetensors from their first bytes.
//
// A PyTorch checkpoint handed to the loader fails rule 1 with a meaningless header length
// (a zip's "PK\3\4" reads as ~7e16). These helpers name what the file is instead, so the
// loader's errors and the tools can say "this is a torch.save archive: convert it with
// admn-export" rather than "header length 67324752 exceeds the limit".
//
//   empty            0 bytes
//   pytorch_zip      "PK\x03\x04": torch.save since PyTorch 1.6 (a zip of data.pkl + tensors)
//   pytorch_pickle   0x80 followed by a pickle protocol 2…5: torch.save(...,
//   _use_new_zipfile_serialization=False) text             the first bytes are valid UTF-8 without control
//   characters other than
//                    tab, CR and LF (a safetensors length prefix always has some)
//   unknown          anything else, including every well-formed safetensors file
#pragma once

#include <admn/error.hpp>
#include <admn/io/detail/text.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>

namespace admn::io {

enum class file_kind { unknown, empty, pytorch_zip, pytorch_pickle, text };

// Bytes file_kind_of() looks at.
inline constexpr std::size_t file_kind_probe_bytes = 64;

// Classifies `head`, the first min(file size, file_kind_probe_bytes) bytes of a file of
// `file_size` bytes.
[[nodiscard]] inline file_kind file_kind_of(std::span<const std::byte> head,
                                            std::uint64_t file_size) noexcept {
  if (file_size == 0) return file_kind::empty;
  const auto byte = [&](std::size_t i) { return i < head.size() ? static_cast<unsigned char>(head[i]) : 0u; };
  if (head.size() >= 4 && byte(0) == 'P' && byte(1) == 'K' && byte(2) == 3 && byte(3) == 4)
    return file_kind::pytorch_zip;
  if (head.size() >= 2 && byte(0) == 0x80 && byte(1) >= 2 && byte(1) <= 5) return file_kind::pytorch_pickle;
  // A safetensors file starts with a length that fits the file, then '{': never text.
  if (head.size() >= 9 && byte(8) == '{') {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(byte(i)) << (8 * i);
    if (n <= file_size - 8) return file_kind::unknown;
  }
  const bool no_controls = std::all_of(head.begin(), head.end(), [](std::byte b) {
    const auto c = static_cast<unsigned char>(b);
    return c >= 0x20 ? c != 0x7f : (c == '\n' || c == '\r' || c == '\t');
  });
  if (!no_controls) return file_kind::unknown;
  // Valid UTF-8, except that the probe may cut the last character short.
  const std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
  const auto bad = detail::invalid_utf8_position(text);
  const bool cut_short = bad && head.size() == file_kind_probe_bytes && *bad + 4 > head.size();
  return !bad || cut_short ? file_kind::text : file_kind::unknown;
}

// Reads the first bytes of `path` and classifies them; unknown when it cannot be read
// (the loader reports I/O errors itself).
[[nodiscard]] inline file_kind file_kind_of(const std::filesystem::path& path) {
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return file_kind::unknown;
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_kind::unknown;
  std::array<char, file_kind_probe_bytes> buffer{};
  in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  const auto got = static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0));
  return file_kind_of(std::as_bytes(std::span(buffer.data(), got)), size);
}

// What the file is, for a message: "a PyTorch zip archive (torch.save)"; empty for unknown.
[[nodiscard]] inline std::string_view describe(file_kind kind) noexcept {
  switch (kind) {
    case file_kind::empty:
      return "empty";
    case file_kind::pytorch_zip:
      return "a PyTorch zip archive (torch.save)";
    case file_kind::pytorch_pickle:
      return "a legacy PyTorch pickle (torch.save without the zip format)";
    case file_kind::text:
      return "a text file";
    case file_kind::unknown:
      break;
  }
  return {};
}

// The explanation the loader appends to a rule-1 error, e.g. "'m.pt' is a PyTorch zip archive
// (torch.save), not safetensors: convert it with admn-export"; empty for unknown.
[[nodiscard]] inline std::string not_safetensors_reason(const std::filesystem::path& path, file_kind kind) {
  const std::string_view what = describe(kind);
  if (what.empty()) return {};
  std::string out = "'" + path.string() + "' is " + std::string(what) + ", not safetensors";
  if (kind == file_kind::pytorch_zip || kind == file_kind::pytorch_pickle)
    out += ": convert it with admn-export";
  return out;
}

// Throws format_error [admn.load.format] when `path` is recognisably not a safetensors
// file (a PyTorch checkpoint, text, empty); returns quietly otherwise, including for files
// that are merely malformed safetensors (safetensors_file::open names their problem).
inline void require_not_other_format(const std::filesystem::path& path) {
  const std::string reason = not_safetensors_reason(path, file_kind_of(path));
  if (!reason.empty()) throw format_error("admn.load.format", reason);
}

}  // namespace admn::io
