// Throughput of the f16/bf16 → f32 widening used when loading half-precision weights.
#include <admn/tensor/half.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

std::vector<std::uint16_t> random_halves(std::size_t count) {
  std::vector<std::uint16_t> bits(count);
  std::uint32_t state = 7;
  for (auto& b : bits) {
    state = state * 1664525u + 1013904223u;
    b = static_cast<std::uint16_t>(state >> 16);
  }
  return bits;
}

template <void (*Convert)(const std::uint16_t*, float*, std::size_t) noexcept>
void widen(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const auto in = random_halves(count);
  std::vector<float> out(count);
  for (auto _ : state) {
    Convert(in.data(), out.data(), count);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // Bytes read, as a loader sees it.
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * count * sizeof(std::uint16_t)));
}

// 768·3072 is one ViT-B MLP weight matrix.
BENCHMARK(widen<admn::f16_to_f32>)->Name("f16_to_f32")->Arg(4096)->Arg(768 * 3072);
BENCHMARK(widen<admn::bf16_to_f32>)->Name("bf16_to_f32")->Arg(4096)->Arg(768 * 3072);

}  // namespace
