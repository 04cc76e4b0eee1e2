// Transformer kernels at ViT-B shapes, one ViT-B/16 block and the whole backbone,
// by batch size, thread count and number of kept blocks. Compare GFLOP/s with
// bench_peak (FMA peak, Eigen sgemm) from the same machine.
#include <admn/kernels/attention.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/layer_norm.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/kernels/softmax.hpp>
#include <admn/tensor/eigen.hpp>

#include "common/random_model.hpp"

#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

namespace {

using arch = admn::kernels::default_arch;

void set_flops(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops_per_iteration * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// C (m×n) = A (m×k) · Wᵀ + b at the ViT-B Linear shapes (qkv, proj, fc1, fc2), one
// thread: admn's packed micro-kernel next to Eigen's product on the same data.
template <bool Eigen>
void gemm(benchmark::State& state) {
  const auto m = static_cast<std::size_t>(state.range(0)), n = static_cast<std::size_t>(state.range(1)),
             k = static_cast<std::size_t>(state.range(2));
  const auto a = admn::bench::random_tensor(admn::shape{m, k}, 1.0f, 1);
  const auto w = admn::bench::random_tensor(admn::shape{n, k}, 0.05f, 2);
  const auto bias = admn::bench::random_tensor(admn::shape{n}, 0.1f, 3);
  const admn::kernels::packed_weights<arch> packed(w.data(), n, k, k);
  admn::tensor c(admn::shape{m, n});
  admn::kernels::with_threads(1, [&] {
    for (auto _ : state) {
      if constexpr (Eigen)
        admn::as_matrix(c.data(), m, n, n).noalias() =
            admn::as_matrix(a.data(), m, k, k) * admn::as_matrix(w.data(), n, k, k).transpose();
      else
        admn::kernels::gemm(arch{}, m, a.data(), k, packed, c.data(), n, {bias.data()});
      benchmark::DoNotOptimize(c.data());
    }
  });
  set_flops(state, 2.0 * double(m) * n * k);
}
BENCHMARK(gemm<false>)
    ->Name("gemm_admn")
    ->ArgNames({"m", "n", "k"})
    ->Args({197, 2304, 768})
    ->Args({197, 768, 768})
    ->Args({197, 3072, 768})
    ->Args({197, 768, 3072})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(gemm<true>)
    ->Name("gemm_eigen")
    ->ArgNames({"m", "n", "k"})
    ->Args({197, 2304, 768})
    ->Args({197, 768, 768})
    ->Args({197, 3072, 768})
    ->Args({197, 768, 3072})
    ->Unit(benchmark::kMillisecond);

void layer_norm(benchmark::State& state) {
  const std::size_t rows = 197, dim = 768;
  const auto x = admn::bench::random_tensor(admn::shape{rows, dim}, 1.0f, 4);
  const auto g = admn::bench::random_tensor(admn::shape{dim}, 1.0f, 5);
  admn::tensor y(admn::shape{rows, dim});
  for (auto _ : state) {
    admn::kernels::layer_norm(arch{}, {rows, dim, dim, dim}, x.data(), g.data(), g.data(), 1e-5f, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * dim * 2 * sizeof(float)));
}
BENCHMARK(layer_norm);

void softmax(benchmark::State& state) {
  const std::size_t n = 197;
  auto x = admn::bench::random_tensor(admn::shape{n, n}, 4.0f, 6);
  for (auto _ : state) {
    admn::kernels::softmax(arch{}, x.data(), n, n, n);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * n * sizeof(float)));
}
BENCHMARK(softmax);

// All 12 heads of one 197-token sequence (QKᵀ, softmax, AV).
void attention(benchmark::State& state) {
  const admn::kernels::attention_shape s{197, 12, 64, 2304, 768, 0.125f};
  const auto qkv = admn::bench::random_tensor(admn::shape{197, 2304}, 1.0f, 7);
  admn::tensor out(admn::shape{197, 768});
  std::vector<float> scratch(admn::kernels::attention_scratch_floats(s));
  for (auto _ : state) {
    for (std::size_t h = 0; h < 12; ++h)
      admn::kernels::attention_head(arch{}, s, qkv.data(), h, out.data(), scratch.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_flops(state, 2.0 * 2.0 * 197.0 * 197.0 * 768.0);
}
BENCHMARK(attention)->Unit(benchmark::kMillisecond);

// One ViT-B/16 block: batch (arg 0) × 197 tokens, threads (arg 1).
void vit_b_block(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const auto block = admn::bench::random_block(768, 12, 11);
  auto x = admn::bench::random_tensor(admn::shape{batch * 197, 768}, 1.0f, 12);
  admn::workspace ws(block.workspace_floats(batch, 197));
  admn::kernels::with_threads(threads, [&] {
    for (auto _ : state) {
      block.forward(x.view(), batch, 197, ws);
      benchmark::DoNotOptimize(x.data());
    }
  });
  set_flops(state, 2.0 * static_cast<double>(block.macs(batch, 197)));
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(vit_b_block)
    ->ArgNames({"batch", "threads"})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({8, 1})
    ->Args({8, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The ViT-B/16 backbone with the first `kept` of 12 blocks (arg 0), threads (arg 1), batch (arg 2).
void vit_b_backbone(benchmark::State& state) {
  const auto kept = static_cast<std::size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const auto batch = static_cast<std::size_t>(state.range(2));
  static const auto vit = admn::bench::random_vit();
  const auto images = admn::bench::random_tensor(admn::shape{batch, 3, 224, 224}, 1.0f, 13);
  admn::tensor out(admn::shape{batch, 768});
  std::vector<std::size_t> blocks(kept);
  std::iota(blocks.begin(), blocks.end(), std::size_t{0});
  admn::workspace ws(vit.workspace_floats(batch, 224, 224));
  admn::kernels::with_threads(threads, [&] {
    for (auto _ : state) {
      vit.forward(images.view(), blocks, out.view(), ws);
      benchmark::DoNotOptimize(out.data());
    }
  });
  const double macs =
      kept == 0
          ? 0.0
          : static_cast<double>(kept * vit.block_macs(batch) + vit.patch_embedding().macs(batch, 224, 224));
  set_flops(state, 2.0 * macs);
}
BENCHMARK(vit_b_backbone)
    ->ArgNames({"kept", "threads", "batch"})
    ->ArgsProduct({{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {1}, {1}})
    ->Args({12, 2, 1})
    ->Args({12, 1, 8})
    ->Args({12, 2, 8})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
