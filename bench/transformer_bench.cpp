// Transformer kernels at ViT-B shapes, one ViT-B/16 block and the whole backbone,
// by batch size, thread count and number of kept blocks. Each reports GFLOP/s and
// "%peak", the share of the FMA peak (common/fma_peak.hpp, measured at start) of
// the cores it uses; bench_peak prints the peak itself and Eigen's sgemm.
#include <admn/kernels/attention.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/gemm_bf16.hpp>
#include <admn/kernels/gemm_int8.hpp>
#include <admn/kernels/layer_norm.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/kernels/softmax.hpp>
#include <admn/tensor/eigen.hpp>

#include "common/executors.hpp"
#include "common/fma_peak.hpp"
#include "common/random_model.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

namespace {

using arch = admn::kernels::default_arch;

// The 1-thread FMA peak of this machine (common/fma_peak.hpp), measured once.
double fma_peak() {
  static const double peak = admn::bench::best_fma_peak_gflops();
  return peak;
}

// GFLOP/s, and the same as a percentage of the FMA peak of `threads` cores.
void set_flops(benchmark::State& state, double flops_per_iteration, int threads = 1) {
  const double gflop = flops_per_iteration * static_cast<double>(state.iterations()) / 1e9;
  state.counters["GFLOP/s"] = benchmark::Counter(gflop, benchmark::Counter::kIsRate);
  state.counters["%peak"] =
      benchmark::Counter(100.0 * gflop / (fma_peak() * threads), benchmark::Counter::kIsRate);
}

enum class gemm_impl { admn, admn_bf16, admn_int8, eigen };

// C (m×n) = A (m×k) · Wᵀ + b at the ViT-B Linear shapes (qkv, proj, fc1, fc2), one
// thread: admn's packed micro-kernel (f32, and the opt-in bf16 and int8 ones) next to
// Eigen's product on the same data. GFLOP/s counts 2·m·n·k for every precision, and
// %peak is against the f32 FMA peak (int8 can exceed 100%).
template <gemm_impl Impl>
void gemm(benchmark::State& state) {
  if (Impl == gemm_impl::admn_bf16 && !admn::kernels::bf16_available) {
    state.SkipWithError("not compiled for AVX512-BF16");
    return;
  }
  const auto m = static_cast<std::size_t>(state.range(0)), n = static_cast<std::size_t>(state.range(1)),
             k = static_cast<std::size_t>(state.range(2));
  const auto a = admn::bench::random_tensor(admn::shape{m, k}, 1.0f, 1);
  const auto w = admn::bench::random_tensor(admn::shape{n, k}, 0.05f, 2);
  const auto bias = admn::bench::random_tensor(admn::shape{n}, 0.1f, 3);
  const admn::kernels::packed_weights packed(arch{}, w.data(), n, k, k);
  const admn::kernels::packed_weights_bf16 packed_bf16 =
      admn::kernels::bf16_available ? admn::kernels::packed_weights_bf16(w.data(), n, k, k)
                                    : admn::kernels::packed_weights_bf16();
  const admn::kernels::packed_weights_int8 packed_int8(w.data(), n, k, k);
  admn::tensor c(admn::shape{m, n});
  admn::bench::executor_for(1).run([&] {
    for (auto _ : state) {
      if constexpr (Impl == gemm_impl::eigen)
        admn::as_matrix(c.data(), m, n, n).noalias() =
            admn::as_matrix(a.data(), m, k, k) * admn::as_matrix(w.data(), n, k, k).transpose();
      else if constexpr (Impl == gemm_impl::admn_bf16)
        admn::kernels::gemm(arch{}, m, a.data(), k, packed_bf16, c.data(), n, {bias.data()});
      else if constexpr (Impl == gemm_impl::admn_int8)
        admn::kernels::gemm(arch{}, m, a.data(), k, packed_int8, c.data(), n, {bias.data()});
      else
        admn::kernels::gemm(arch{}, m, a.data(), k, packed, c.data(), n, {bias.data()});
      benchmark::DoNotOptimize(c.data());
    }
  });
  set_flops(state, 2.0 * double(m) * n * k);
}
// The four Linear shapes of a ViT-B/16 block on one 197-token sequence: qkv, proj, fc1, fc2.
void vit_b_linear_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "n", "k"});
  for (const auto& [n, k] : {std::pair{2304, 768}, {768, 768}, {3072, 768}, {768, 3072}})
    b->Args({197, n, k});
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK(gemm<gemm_impl::admn>)->Name("gemm_admn")->Apply(vit_b_linear_shapes);
BENCHMARK(gemm<gemm_impl::admn_bf16>)->Name("gemm_admn_bf16")->Apply(vit_b_linear_shapes);
BENCHMARK(gemm<gemm_impl::admn_int8>)->Name("gemm_admn_int8")->Apply(vit_b_linear_shapes);
BENCHMARK(gemm<gemm_impl::eigen>)->Name("gemm_eigen")->Apply(vit_b_linear_shapes);

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
  admn::tensor scratch(admn::shape{admn::kernels::attention_scratch_floats(s)});
  for (auto _ : state) {
    for (std::size_t h = 0; h < 12; ++h)
      admn::kernels::attention_head(arch{}, s, qkv.data(), h, out.data(), scratch.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_flops(state, 2.0 * 2.0 * 197.0 * 197.0 * 768.0);
}
BENCHMARK(attention)->Unit(benchmark::kMillisecond);

// The precision of bench argument `arg`: 0 fp32, 1 bf16, 2 int8.
admn::kernels::precision precision_arg(std::int64_t arg) {
  return arg == 2 ? admn::kernels::precision::int8
                  : (arg == 1 ? admn::kernels::precision::bf16 : admn::kernels::precision::fp32);
}

// One ViT-B/16 block: batch (arg 0) × 197 tokens, threads (arg 1), Linear weights f32,
// bf16 or int8 (arg 2 = 0, 1, 2). The bf16 and int8 runs also report the relative L2
// error against the f32 block on the same weights and input, of the output
// ("rel_err_vs_fp32") and of the block's update out − in ("update_rel_err", the part
// they compute: the residual input passes through exactly).
void vit_b_block(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const auto precision = precision_arg(state.range(2));
  if (precision == admn::kernels::precision::bf16 && !admn::kernels::bf16_available) {
    state.SkipWithError("not compiled for AVX512-BF16");
    return;
  }
  const auto block = admn::bench::random_block(768, 12, 11, precision);
  const auto input = admn::bench::random_tensor(admn::shape{batch * 197, 768}, 1.0f, 12);
  admn::workspace ws;
  if (precision != admn::kernels::precision::fp32) {
    auto ours = input.clone(), fp32 = input.clone();
    block.forward(ours.view(), batch, 197, ws);
    admn::bench::random_block(768, 12, 11).forward(fp32.view(), batch, 197, ws);
    double diff = 0, norm = 0, update_norm = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      const double d = double(ours.data()[i]) - fp32.data()[i],
                   update = double(fp32.data()[i]) - input.data()[i];
      diff += d * d;
      norm += double(fp32.data()[i]) * fp32.data()[i];
      update_norm += update * update;
    }
    state.counters["rel_err_vs_fp32"] = std::sqrt(diff / norm);
    state.counters["update_rel_err"] = std::sqrt(diff / update_norm);
  }
  auto x = input.clone();
  admn::bench::executor_for(threads).run([&] {
    for (auto _ : state) {
      block.forward(x.view(), batch, 197, ws);
      benchmark::DoNotOptimize(x.data());
    }
  });
  set_flops(state, 2.0 * static_cast<double>(block.macs(batch, 197)), threads);
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(vit_b_block)
    ->ArgNames({"batch", "threads", "precision"})
    ->ArgsProduct({{1, 8}, {1, 2}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// ViT-B/16 with random weights, its blocks' Linears in `p`, built on first use.
const admn::model::vit_backbone& random_vit_b(admn::kernels::precision p) {
  const auto make = [](admn::kernels::precision q) {
    return admn::bench::random_vit(768, 12, 12, 3, 224, 224, 16, q);
  };
  if (p == admn::kernels::precision::int8) {
    static const auto vit = make(p);
    return vit;
  }
  if (p == admn::kernels::precision::bf16) {
    static const auto vit = make(p);
    return vit;
  }
  static const auto vit = make(p);
  return vit;
}

// The ViT-B/16 backbone with the first `kept` of 12 blocks (arg 0), threads (arg 1), batch
// (arg 2), the blocks' Linears in fp32, bf16 or int8 (arg 3 = 0, 1, 2).
void vit_b_backbone(benchmark::State& state) {
  const auto kept = static_cast<std::size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const auto batch = static_cast<std::size_t>(state.range(2));
  const auto precision = precision_arg(state.range(3));
  if (precision == admn::kernels::precision::bf16 && !admn::kernels::bf16_available) {
    state.SkipWithError("not compiled for AVX512-BF16");
    return;
  }
  const admn::model::vit_backbone& vit = random_vit_b(precision);
  const auto images = admn::bench::random_tensor(admn::shape{batch, 3, 224, 224}, 1.0f, 13);
  admn::tensor out(admn::shape{batch, 768});
  std::vector<std::size_t> blocks(kept);
  std::iota(blocks.begin(), blocks.end(), std::size_t{0});
  admn::workspace ws;
  admn::bench::executor_for(threads).run([&] {
    for (auto _ : state) {
      vit.forward(images.view(), blocks, out.view(), ws);
      benchmark::DoNotOptimize(out.data());
    }
  });
  const double macs =
      kept == 0
          ? 0.0
          : static_cast<double>(kept * vit.block_macs(batch) + vit.patch_embedding().macs(batch, 224, 224));
  set_flops(state, 2.0 * macs, threads);
}
BENCHMARK(vit_b_backbone)
    ->ArgNames({"kept", "threads", "batch", "precision"})
    ->ArgsProduct({{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {1}, {1}, {0}})
    ->Args({12, 2, 1, 0})
    ->Args({12, 1, 8, 0})
    ->Args({12, 2, 8, 0})
    ->ArgsProduct({{12}, {1, 2}, {1}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
