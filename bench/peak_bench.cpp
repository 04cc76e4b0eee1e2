// The machine's limits, measured: the FMA peak of one core (a register-blocked
// loop with 12 independent accumulator chains, enough to hide FMA latency) and
// Eigen's sgemm on large squares, the ceiling admn's kernels are judged against.
#include <admn/kernels/simd.hpp>
#include <admn/tensor/eigen.hpp>
#include <admn/tensor/tensor.hpp>

#include <benchmark/benchmark.h>

namespace {

using arch = admn::kernels::default_arch;
using batch = admn::kernels::float_batch<arch>;

void fma_peak(benchmark::State& state) {
  constexpr int chains = 12;
  batch acc[chains];
  for (int i = 0; i < chains; ++i) acc[i] = batch(static_cast<float>(i) * 1e-3f);
  const batch a(0.999999f), b(1e-7f);
  constexpr int steps = 1 << 12;
  for (auto _ : state) {
    for (int s = 0; s < steps; ++s)
      for (int i = 0; i < chains; ++i) acc[i] = xsimd::fma(acc[i], a, b);
    for (int i = 0; i < chains; ++i) benchmark::DoNotOptimize(acc[i]);
  }
  const double flops = 2.0 * batch::size * chains * steps;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.counters["lanes"] = static_cast<double>(batch::size);
}
BENCHMARK(fma_peak);

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
