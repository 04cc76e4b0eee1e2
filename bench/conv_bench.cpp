// Convolution-side kernels at the ADMN controller shapes (docs/numerics.md §4.1-4.2): conv2d with both
// algorithms (GFLOP/s, 2 FLOP per multiply-accumulate), the 224→100 resize with and without
// antialias and the AVE audio resize (bytes/s of input read + output written), max pooling and
// BatchNorm (bytes/s).
#include <admn/kernels/batch_norm.hpp>
#include <admn/kernels/conv2d.hpp>
#include <admn/kernels/pooling.hpp>
#include <admn/kernels/resize.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

using admn::kernels::conv2d_algorithm;
using admn::kernels::conv2d_shape;

std::vector<float> filled(std::size_t n, std::uint32_t seed) {
  std::vector<float> v(n);
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) - 0.5f;
  }
  return v;
}

// docs/numerics.md §4.2 encoder convolutions, stride 1, no padding.
const conv2d_shape conv_shapes[] = {
    {.in_channels = 3, .in_h = 100, .in_w = 100, .out_channels = 6, .kernel_h = 10, .kernel_w = 10},
    {.in_channels = 6, .in_h = 91, .in_w = 91, .out_channels = 6, .kernel_h = 10, .kernel_w = 10},
    {.in_channels = 6, .in_h = 27, .in_w = 27, .out_channels = 3, .kernel_h = 5, .kernel_w = 5},
    {.in_channels = 1, .in_h = 128, .in_w = 512, .out_channels = 6, .kernel_h = 10, .kernel_w = 10},
};

void conv(benchmark::State& state, conv2d_algorithm algorithm) {
  const conv2d_shape& s = conv_shapes[state.range(0)];
  s.validate();
  const auto x = filled(s.input_size(), 1);
  const auto w = filled(s.weight_size(), 2);
  const auto b = filled(s.out_channels, 3);
  std::vector<float> y(s.output_size());
  std::vector<float> scratch(admn::kernels::conv2d_scratch_size(s, algorithm) + 1);
  for (auto _ : state) {
    admn::kernels::conv2d(admn::kernels::default_arch{}, s, x.data(), w.data(), b.data(), y.data(),
                          scratch.data(),
                          {.epilogue = admn::kernels::conv2d_epilogue::relu, .algorithm = algorithm});
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(s.describe());
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(s.macs()), benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

void conv_direct(benchmark::State& state) { conv(state, conv2d_algorithm::direct); }
void conv_im2col(benchmark::State& state) { conv(state, conv2d_algorithm::im2col); }
BENCHMARK(conv_direct)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);
BENCHMARK(conv_im2col)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

// args: channels, in_h, in_w, out_h, out_w, antialias
void resize(benchmark::State& state) {
  const auto c = static_cast<std::size_t>(state.range(0));
  const admn::kernels::resize_plan plan(static_cast<std::size_t>(state.range(1)),
                                        static_cast<std::size_t>(state.range(2)),
                                        static_cast<std::size_t>(state.range(3)),
                                        static_cast<std::size_t>(state.range(4)), state.range(5) != 0);
  const auto x = filled(c * plan.in_h() * plan.in_w(), 4);
  std::vector<float> y(c * plan.out_h() * plan.out_w());
  std::vector<float> scratch(plan.scratch_size(c) + 1);
  for (auto _ : state) {
    plan.run(x.data(), c, y.data(), scratch.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * (x.size() + y.size()) * sizeof(float)));
}
BENCHMARK(resize)
    ->ArgNames({"c", "in_h", "in_w", "out_h", "out_w", "aa"})
    ->Args({3, 224, 224, 100, 100, 1})
    ->Args({3, 224, 224, 100, 100, 0})
    ->Args({1, 128, 1024, 128, 512, 1})
    ->Unit(benchmark::kMicrosecond);

void max_pool(benchmark::State& state) {
  const admn::kernels::pool2d_shape s{.channels = 6, .in_h = 82, .in_w = 82, .kernel_h = 3, .kernel_w = 3};
  s.validate();
  const auto x = filled(s.input_size(), 5);
  std::vector<float> y(s.output_size());
  std::vector<float> scratch(admn::kernels::max_pool2d_scratch_size(s));
  for (auto _ : state) {
    admn::kernels::max_pool2d(admn::kernels::default_arch{}, s, x.data(), y.data(), scratch.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * (x.size() + y.size()) * sizeof(float)));
}
BENCHMARK(max_pool)->Unit(benchmark::kMicrosecond);

void batch_norm_relu(benchmark::State& state) {
  const std::size_t c = 6;
  const std::size_t spatial = 119 * 503;  // AVE audio after the first conv
  const auto x = filled(c * spatial, 6);
  const auto scale = filled(c, 7);
  const auto shift = filled(c, 8);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    admn::kernels::batch_norm(admn::kernels::default_arch{}, x.data(), c, spatial, scale.data(), shift.data(),
                              y.data(), true);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * x.size() * sizeof(float)));
}
BENCHMARK(batch_norm_relu)->Unit(benchmark::kMicrosecond);

}  // namespace
