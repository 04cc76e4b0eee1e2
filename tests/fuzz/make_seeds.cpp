// Writes the seed corpus: every malformed and edge-case file of tests/io/support.hpp, plus
// files from the writer, as tests/fuzz/corpus/load/*; their header texts as
// tests/fuzz/corpus/header/*. Run by hand after changing the case table:
//   cmake --build build/io --target fuzz_make_seeds && build/io/tests/fuzz/fuzz_make_seeds tests/fuzz/corpus
#include "io/support.hpp"

#include <admn/io.hpp>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using namespace admn::test::io;

// Seeds stay small so libFuzzer's default input length stays small too.
constexpr std::size_t max_seed_bytes = 4096;

std::string file_name(const std::string& category, const std::string& name) {
  std::string out = category + "-";
  for (const char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

void write_seed(const std::filesystem::path& dir, const std::string& name, std::span<const std::byte> bytes) {
  if (bytes.size() > max_seed_bytes) return;
  write_file(dir / name, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "load");
  std::filesystem::create_directories(root / "header");

  auto cases = malformed_cases();
  const auto accepted = accepted_cases();
  cases.insert(cases.end(), accepted.begin(), accepted.end());

  // Files from the writer: every dtype, metadata, scalars, empty tensors, odd names.
  std::vector<std::vector<std::byte>> storage;
  std::vector<admn::io::tensor_entry> entries;
  for (const admn::dtype t : admn::all_dtypes()) {
    storage.emplace_back(*admn::dtype_byte_size(t, 8));
    for (std::size_t i = 0; i < storage.back().size(); ++i)
      storage.back()[i] = static_cast<std::byte>(i * 37 + 1);
  }
  std::size_t k = 0;
  for (const admn::dtype t : admn::all_dtypes())
    entries.push_back({std::string(admn::dtype_name(t)) + ".w", t, {2, 4}, storage[k++]});
  const std::vector<std::byte> scalar(4, std::byte{0x40}), letter(1, std::byte{'x'});
  entries.push_back({"scalar", admn::dtype::f32, {}, scalar});
  entries.push_back({"empty", admn::dtype::bf16, {0, 3}, {}});
  entries.push_back({"n\u00e9\"\\\n", admn::dtype::u8, {1}, letter});
  cases.push_back({"writer",
                   "every dtype",
                   admn::io::serialize(entries, {{"admn.arch", "gtdm"}, {"k", "v"}}),
                   "",
                   "",
                   {}});
  cases.push_back(
      {"writer", "metadata only", admn::io::serialize({}, {{"admn.config", "{\"depth\":12}"}}), "", "", {}});
  cases.push_back({"writer", "empty", admn::io::serialize({}), "", "", {}});
  std::vector<admn::io::tensor_entry> one{entries[17]};
  cases.push_back({"writer", "one f32", admn::io::serialize(one), "", "", {}});

  std::size_t written = 0;
  for (const auto& c : cases) {
    const std::string name = file_name(c.category, c.name);
    write_seed(root / "load", name, c.bytes);
    if (c.bytes.size() >= 8) {
      // The header text: what follows the length prefix, up to the declared length.
      std::uint64_t n = 0;
      for (int i = 7; i >= 0; --i)
        n = (n << 8) | static_cast<std::uint8_t>(c.bytes[static_cast<std::size_t>(i)]);
      const std::size_t available = c.bytes.size() - 8;
      const std::size_t length = n < available ? static_cast<std::size_t>(n) : available;
      write_seed(root / "header", name, std::span(c.bytes).subspan(8, length));
    }
    ++written;
  }
  std::printf("wrote seeds for %zu files into %s\n", written, root.c_str());
  return 0;
}
