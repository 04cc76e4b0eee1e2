// Files that are not safetensors are named for what they are, by file_kind_of(), by the
// loader's rule-1 errors (same id, a longer message) and by require_not_other_format().
#include <admn/io/file_kind.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/io/writer.hpp>

#include <doctest/doctest.h>

#include <unistd.h>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
using admn::io::file_kind;

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
  return out;
}

file_kind kind_of(std::string_view text) {
  const auto b = bytes_of(text);
  const std::size_t probe = std::min(b.size(), admn::io::file_kind_probe_bytes);
  return admn::io::file_kind_of(std::span(b.data(), probe), b.size());
}

fs::path write_file(const std::string& name, std::string_view text) {
  const fs::path path =
      fs::temp_directory_path() / ("admn-file-kind-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary).write(text.data(), static_cast<std::streamsize>(text.size()));
  return path;
}

}  // namespace

TEST_CASE("file_kind_of recognises PyTorch checkpoints, text and empty files") {
  using namespace std::string_view_literals;
  CHECK(kind_of(""sv) == file_kind::empty);
  CHECK(kind_of("PK\x03\x04\x00\x00\x08\x00"
                "archive/data.pkl"sv) == file_kind::pytorch_zip);
  CHECK(kind_of("\x80\x02\x8a\x0a"
                "lz"sv) == file_kind::pytorch_pickle);
  CHECK(kind_of("\x80\x05}q\x00"sv) == file_kind::pytorch_pickle);
  CHECK(kind_of("model weights, see README\n"sv) == file_kind::text);
  CHECK(kind_of("caf\xc3\xa9 \xe2\x82\xac\ttab\r\n"sv) == file_kind::text);
  // A UTF-8 character cut by the 64-byte probe is still text; an invalid byte is not.
  CHECK(kind_of(std::string(63, 'a') + "\xc3\xa9") == file_kind::text);
  CHECK(kind_of("abc\xff"sv) == file_kind::unknown);
  CHECK(kind_of("\xff\xff\xff\xff\xff\xff\xff\xff{}"sv) == file_kind::unknown);
  CHECK(kind_of("PK\x05\x06"sv) == file_kind::unknown);  // an empty zip is no torch.save
  CHECK(kind_of("\x80\x09"sv) == file_kind::unknown);    // not a pickle protocol
  CHECK(kind_of("abc\x01"sv) == file_kind::unknown);     // control character
  // A well-formed safetensors file is never one of them.
  const std::string minimal = std::string("\x08\x00\x00\x00\x00\x00\x00\x00{}      ", 16);
  CHECK(kind_of(minimal) == file_kind::unknown);
  CHECK(admn::io::describe(file_kind::unknown).empty());
}

TEST_CASE("the loader keeps its error id and says what the file is") {
  const fs::path zip =
      write_file("model.pt", std::string("PK\x03\x04\x14\x00\x00\x00\x08\x00", 10) + "data.pkl");
  for (const auto backend : {admn::io::backend::mmap, admn::io::backend::read}) {
    try {
      (void)admn::io::safetensors_file::open(zip, {.backend = backend});
      FAIL("a zip archive was accepted");
    } catch (const admn::format_error& e) {
      CHECK(e.id() == "admn.safetensors.header_too_large");
      CHECK(std::string(e.what()).find(
                "is a PyTorch zip archive (torch.save), not safetensors: convert it with "
                "admn-export") != std::string::npos);
    }
  }
  try {
    admn::io::require_not_other_format(zip);
    FAIL("require_not_other_format accepted a zip archive");
  } catch (const admn::format_error& e) {
    CHECK(e.id() == "admn.load.format");
    CHECK(std::string(e.what()) ==
          "[admn.load.format] '" + zip.string() +
              "' is a PyTorch zip archive (torch.save), not safetensors: convert it with "
              "admn-export");
  }
  const fs::path empty = write_file("empty.safetensors", "");
  CHECK_THROWS_WITH_AS(admn::io::require_not_other_format(empty),
                       doctest::Contains("is empty, not safetensors"), admn::format_error);
  CHECK_THROWS_WITH_AS((void)admn::io::safetensors_file::open(empty),
                       doctest::Contains("[admn.safetensors.file_too_small] the file has 0 bytes"),
                       admn::format_error);

  // A valid file and a malformed safetensors file pass require_not_other_format unchanged.
  const fs::path valid =
      fs::temp_directory_path() / ("admn-file-kind-" + std::to_string(getpid()) + "-ok.safetensors");
  admn::io::save(valid, std::span<const admn::io::tensor_entry>{});
  CHECK_NOTHROW(admn::io::require_not_other_format(valid));
  CHECK_NOTHROW((void)admn::io::safetensors_file::open(valid));
  const fs::path short_header =
      write_file("short.safetensors", std::string("\x40\x00\x00\x00\x00\x00\x00\x00{}", 10));
  CHECK_NOTHROW(admn::io::require_not_other_format(short_header));
  CHECK_THROWS_WITH_AS((void)admn::io::safetensors_file::open(short_header),
                       doctest::Contains("bytes follow the 8-byte length"), admn::format_error);
  for (const auto& p : {zip, empty, valid, short_header}) fs::remove(p);
}
