// Opening and validating a ~350 MB model file: mmap vs read backend, next to a plain
// read() of the same file, in bytes of file per second.
//
// The file (a ViT-B/16-shaped state dict, 86 M f32 parameters, 344 MB) is written once
// with admn's writer into a temporary directory at startup and removed at exit, so every
// run measures a warm page cache: the numbers compare the loaders' own costs, not the disk.
//   open_mmap            open + validate header and layout; tensor bytes are not touched
//   open_mmap_touch      the same, then read one byte of every 4 KiB page of every tensor
//   open_read            open + validate, then read() the data section into owned memory
//   plain_read           open() + read() of the whole file into a buffer allocated once
//   plain_read_fresh     the same into a newly allocated buffer each time (new char[])
#include <admn/io.hpp>

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

struct model_file {
  std::filesystem::path dir;
  std::filesystem::path path;
  std::uint64_t size = 0;

  model_file() {
    std::string pattern = (std::filesystem::temp_directory_path() / "admn-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    path = dir / "vit_b16.safetensors";

    // ViT-B/16 shapes (the keys of a timm state dict).
    std::vector<std::pair<std::string, std::vector<std::uint64_t>>> shapes{
        {"cls_token", {1, 1, 768}},
        {"pos_embed", {1, 197, 768}},
        {"patch_embed.proj.weight", {768, 3, 16, 16}},
        {"patch_embed.proj.bias", {768}},
        {"norm.weight", {768}},
        {"norm.bias", {768}},
        {"head.weight", {1000, 768}},
        {"head.bias", {1000}}};
    for (int b = 0; b < 12; ++b) {
      const std::string p = "blocks." + std::to_string(b) + ".";
      for (const auto& [name, shape] :
           std::vector<std::pair<std::string, std::vector<std::uint64_t>>>{{"norm1.weight", {768}},
                                                                           {"norm1.bias", {768}},
                                                                           {"attn.qkv.weight", {2304, 768}},
                                                                           {"attn.qkv.bias", {2304}},
                                                                           {"attn.proj.weight", {768, 768}},
                                                                           {"attn.proj.bias", {768}},
                                                                           {"norm2.weight", {768}},
                                                                           {"norm2.bias", {768}},
                                                                           {"mlp.fc1.weight", {3072, 768}},
                                                                           {"mlp.fc1.bias", {3072}},
                                                                           {"mlp.fc2.weight", {768, 3072}},
                                                                           {"mlp.fc2.bias", {768}}})
        shapes.emplace_back(p + name, shape);
    }
    std::vector<std::vector<float>> storage;
    std::vector<admn::io::tensor_entry> entries;
    storage.reserve(shapes.size());
    for (const auto& [name, shape] : shapes) {
      std::uint64_t count = 1;
      for (const auto d : shape) count *= d;
      storage.emplace_back(count);
      for (std::uint64_t i = 0; i < count; ++i) storage.back()[i] = static_cast<float>(i % 1013) * 1e-3f;
      entries.push_back({name, admn::dtype::f32, shape, std::as_bytes(std::span(storage.back()))});
    }
    admn::io::save(path, entries, {{"admn.arch", "vit_b16"}});
    size = std::filesystem::file_size(path);
  }
  model_file(const model_file&) = delete;
  model_file& operator=(const model_file&) = delete;
  ~model_file() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

const model_file& model() {
  static const model_file file;
  return file;
}

void report(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(model().size));
  state.counters["file_MB"] = static_cast<double>(model().size) / 1e6;
}

void open_mmap(benchmark::State& state) {
  const auto& m = model();
  for (auto _ : state) {
    const auto file = admn::io::safetensors_file::open(m.path);
    benchmark::DoNotOptimize(file.size());
  }
  report(state);
}

void open_mmap_touch(benchmark::State& state) {
  const auto& m = model();
  for (auto _ : state) {
    const auto file = admn::io::safetensors_file::open(m.path);
    unsigned sum = 0;
    for (const auto& t : file.tensors()) {
      const auto bytes = file.view(t).bytes();
      for (std::size_t i = 0; i < bytes.size(); i += 4096) sum += static_cast<unsigned>(bytes[i]);
    }
    benchmark::DoNotOptimize(sum);
  }
  report(state);
}

void open_read(benchmark::State& state) {
  const auto& m = model();
  for (auto _ : state) {
    const auto file = admn::io::safetensors_file::open(m.path, {.backend = admn::io::backend::read});
    benchmark::DoNotOptimize(file.tensors().data());
  }
  report(state);
}

// read() of the whole file; into fresh memory each time (as a loader must) or into one
// buffer allocated once (the page cache's copy speed alone).
template <bool Fresh>
void plain_read(benchmark::State& state) {
  const auto& m = model();
  std::unique_ptr<char[]> buffer(new char[m.size]);
  for (auto _ : state) {
    if constexpr (Fresh) buffer.reset(new char[m.size]);
    const int fd = ::open(m.path.c_str(), O_RDONLY | O_CLOEXEC);
    std::uint64_t done = 0;
    while (done < m.size) {
      const ssize_t got = ::read(fd, buffer.get() + done, m.size - done);
      if (got <= 0) break;
      done += static_cast<std::uint64_t>(got);
    }
    ::close(fd);
    if (done != m.size) state.SkipWithError("short read");
    benchmark::DoNotOptimize(buffer.get());
    benchmark::ClobberMemory();
  }
  report(state);
}

BENCHMARK(plain_read<false>)->Name("plain_read")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(plain_read<true>)->Name("plain_read_fresh")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(open_read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(open_mmap)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(open_mmap_touch)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
