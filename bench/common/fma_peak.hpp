// The FMA peak of this machine, measured: the ceiling every float32 kernel is judged against.
//
// Each thread runs a register-blocked loop of `fma_chains` independent accumulators,
// one fused multiply-add per chain and step. Twelve chains cover the FMA latency
// (4 cycles) times the FMA ports (2) with room to spare, so the loop is bound by
// throughput alone. A flop is counted per lane and per multiply and add.
#pragma once

#include <admn/kernels/gemm_bf16.hpp>
#include <admn/kernels/simd.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

namespace admn::bench {

inline constexpr int fma_chains = 12;
inline constexpr std::size_t fma_steps = std::size_t{1} << 12;

// Runs `rounds` × fma_steps steps of the loop on the calling thread; returns the flops done.
inline double fma_rounds(std::size_t rounds) {
  using batch = kernels::float_batch<kernels::default_arch>;
  batch acc[fma_chains];
  for (int i = 0; i < fma_chains; ++i) acc[i] = batch(static_cast<float>(i) * 1e-3f);
  // acc ← acc·a + b converges to b / (1 − a) = 0.1: no overflow, no denormals.
  const batch a(0.999999f), b(1e-7f);
  for (std::size_t r = 0; r < rounds; ++r)
    for (std::size_t s = 0; s < fma_steps; ++s)
      for (int i = 0; i < fma_chains; ++i) acc[i] = xsimd::fma(acc[i], a, b);
  batch sum = acc[0];
  for (int i = 1; i < fma_chains; ++i) sum += acc[i];
  // A volatile store makes the result observable, so the loop cannot be removed.
  volatile float sink = xsimd::hadd(sum);
  (void)sink;
  return 2.0 * static_cast<double>(batch::size * fma_chains * fma_steps * rounds);
}

#if ADMN_HAS_AVX512_BF16
// The same loop with VDPBF16PS (the bf16 GEMM's instruction): each step of a chain
// does 16 lanes × 2 bf16 products, added to an f32 accumulator. Returns the flops.
inline double bf16_dot_rounds(std::size_t rounds) {
  __m512 acc[fma_chains];
  for (int i = 0; i < fma_chains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i) * 1e-3f);
  const auto a = (__m512bh)_mm512_set1_epi32(0x3c003c00);  // bf16 pairs (2⁻⁷, 2⁻⁷): no overflow
  for (std::size_t r = 0; r < rounds; ++r)
    for (std::size_t s = 0; s < fma_steps; ++s)
      for (int i = 0; i < fma_chains; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, a);
  __m512 sum = acc[0];
  for (int i = 1; i < fma_chains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return 4.0 * static_cast<double>(16 * fma_chains * fma_steps * rounds);
}
#endif

// GFLOP/s of `threads` threads running `rounds_fn` (fma_rounds, or bf16_dot_rounds)
// together for about `span`
// (each thread checks the clock every ~0.1 ms, so the overshoot is negligible).
inline double fma_peak_gflops(int threads = 1,
                              std::chrono::duration<double> span = std::chrono::milliseconds(200),
                              double (*rounds_fn)(std::size_t) = fma_rounds) {
  using clock = std::chrono::steady_clock;
  threads = std::max(threads, 1);
  const auto start = clock::now();
  const auto deadline = start + std::chrono::duration_cast<clock::duration>(span);
  std::vector<double> flops(static_cast<std::size_t>(threads), 0.0);
  std::vector<clock::time_point> ends(flops.size(), start);
  const auto work = [&](std::size_t t) {
    double done = 0.0;
    while (clock::now() < deadline) done += rounds_fn(8);
    flops[t] = done;
    ends[t] = clock::now();
  };
  std::vector<std::thread> others;
  for (std::size_t t = 1; t < flops.size(); ++t) others.emplace_back(work, t);
  work(0);
  for (auto& t : others) t.join();
  double total = 0.0;
  for (const double f : flops) total += f;
  const auto end = *std::max_element(ends.begin(), ends.end());
  return total / std::chrono::duration<double>(end - start).count() / 1e9;
}

// The 1-thread peak as a ceiling: the best of `tries` × 0.1 s, so that moments when
// another process held the core do not lower it.
inline double best_fma_peak_gflops(int tries = 5) {
  double best = 0.0;
  for (int i = 0; i < tries; ++i) best = std::max(best, fma_peak_gflops(1, std::chrono::milliseconds(100)));
  return best;
}

}  // namespace admn::bench
