// The machine's limits, measured: the FMA peak at 1 and 2 threads (the loop of
// common/fma_peak.hpp, which compare_libtorch uses too) and Eigen's sgemm on large
// squares, the ceiling admn's kernels are judged against.
#include <admn/kernels/simd.hpp>
#include <admn/tensor/eigen.hpp>
#include <admn/tensor/tensor.hpp>

#include "common/fma_peak.hpp"

#include <benchmark/benchmark.h>

namespace {

// Each iteration measures the peak for 0.2 s; the counter is the mean over iterations.
void fma_peak(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  double sum = 0.0;
  for (auto _ : state) sum += admn::bench::fma_peak_gflops(threads);
  state.counters["GFLOP/s"] = sum / static_cast<double>(state.iterations());
  state.counters["lanes"] = static_cast<double>(admn::kernels::lanes<admn::kernels::default_arch>);
}
BENCHMARK(fma_peak)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// The bf16 GEMM's ceiling: VDPBF16PS in the same loop (kernels/gemm_bf16.hpp). On
// CPUs that run it at the FMA's rate it doubles the f32 peak; where it is slower
// (measured: bench/RESULTS.md) the bf16 path cannot beat f32.
void bf16_dot_peak(benchmark::State& state) {
#if ADMN_HAS_AVX512_BF16
  const int threads = static_cast<int>(state.range(0));
  double sum = 0.0;
  for (auto _ : state)
    sum +=
        admn::bench::fma_peak_gflops(threads, std::chrono::milliseconds(200), admn::bench::bf16_dot_rounds);
  state.counters["GFLOP/s"] = sum / static_cast<double>(state.iterations());
#else
  state.SkipWithError("not compiled for AVX512-BF16");
#endif
}
BENCHMARK(bf16_dot_peak)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void eigen_sgemm(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  admn::tensor a(admn::shape{n, n}), b(admn::shape{n, n}), c(admn::shape{n, n});
  a.fill(0.5f);
  b.fill(0.25f);
  for (auto _ : state) {
    admn::as_matrix(c.view()).noalias() =
        admn::as_matrix(admn::const_view(a.view())) * admn::as_matrix(admn::const_view(b.view()));
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * double(n) * n * n * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(eigen_sgemm)->Arg(512)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond);

}  // namespace
