// Helpers shared by the related-systems tests (tests/related/).
#pragma once

#include <admn/io/writer.hpp>
#include <admn/tensor/tensor.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

namespace admn::test {

// Splits on `sep`, keeping empty items (",a," → "", "a", "").
inline std::vector<std::string> split_all(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(sep, start);
    out.emplace_back(
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// Indices of the 1.0 entries of row `b` of a (B, depth) 0/1 tensor.
inline std::string mask_string(const tensor& mask, std::size_t b) {
  std::string out;
  for (std::size_t l = 0; l < mask.shape()[1]; ++l) out += mask(b, l) == 1.0f ? '1' : '0';
  return out;
}

// A temporary safetensors file holding `tensors`, removed with the object. Its name has the
// process id: CTest runs each test case in its own process, in parallel, and cases sharing
// a fixture would otherwise remove each other's file.
class temp_weights {
 public:
  temp_weights(const std::string& name, const std::vector<std::pair<std::string, const tensor*>>& tensors)
      : path_(std::filesystem::temp_directory_path() /
              ("admn-related-" + name + "-" + std::to_string(::getpid()) + ".safetensors")) {
    std::vector<io::tensor_entry> entries;
    for (const auto& [key, t] : tensors) entries.push_back(io::entry(key, *t));
    io::save(path_, entries, std::map<std::string, std::string>{});
  }
  ~temp_weights() { std::filesystem::remove(path_); }
  temp_weights(const temp_weights&) = delete;
  temp_weights& operator=(const temp_weights&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace admn::test
