// A safetensors file as editable values: the hostile-input tests and the network fuzz
// target read a valid model, rewrite names, shapes, dtypes or metadata, and write it back.
#pragma once

#include <admn/io/safetensors.hpp>
#include <admn/io/writer.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace admn::test {

// One tensor with owned bytes; any shape (the writer checks sizes, not the editor).
struct owned_tensor {
  std::string name;
  admn::dtype type{};
  std::vector<std::uint64_t> shape;
  std::vector<std::byte> bytes;
};

struct model_text {
  std::vector<owned_tensor> tensors;
  std::map<std::string, std::string> metadata;

  owned_tensor* find(const std::string& name) {
    for (auto& t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }
  void erase_prefix(const std::string& prefix) {
    std::erase_if(tensors, [&](const owned_tensor& t) { return t.name.starts_with(prefix); });
  }
  void rename_prefix(const std::string& from, const std::string& to) {
    for (auto& t : tensors)
      if (t.name.starts_with(from)) t.name = to + t.name.substr(from.size());
  }
};

inline model_text read_model_text(const std::string& path) {
  const auto file = admn::io::safetensors_file::open(path);
  model_text out;
  for (const auto& info : file.tensors()) {
    const auto bytes = file.tensor(info.name).bytes();
    out.tensors.push_back({info.name, info.type, info.shape, {bytes.begin(), bytes.end()}});
  }
  if (file.metadata()) out.metadata = *file.metadata();
  return out;
}

inline void write_model_text(const model_text& m, const std::string& path) {
  std::vector<admn::io::tensor_entry> entries;
  for (const auto& t : m.tensors) entries.push_back({t.name, t.type, t.shape, t.bytes});
  admn::io::save(path, entries, m.metadata);
}

}  // namespace admn::test
