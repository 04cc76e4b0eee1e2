// admn/adaptive/layerdrop.hpp — ADMN's stage-1 multimodal LayerDrop sampler (docs/numerics.md §3).
//
// Per modality m (depth d_m, drop rate p_m), once per batch:
//   u_0 … u_{d−1}, v ~ U[0, 1)          drawn in this order, modalities in network order
//   mask = { l : u_l ≥ p_m }            each block kept independently with probability 1 − p_m
//   if v < q: mask = {0}                "entire modality dropout", q = 0.1 in ADMN
// One mask per modality per batch, shared by every sample and instance of the batch
// (§3, §9.6); modalities are independent. No block is forced in the random part:
// block 0 is dropped with probability p like any other (§9.5). The reference keeps a
// block when torch.rand > p; `u ≥ p` differs only on a set of probability 2⁻⁵³ and
// makes p = 0 keep everything and p = 1 keep nothing, exactly.
// Seeded and reproducible on every platform: the uniforms come from splitmix64,
// not from std:: distributions (whose algorithms are implementation-defined).
// layerdrop_rate() is the training schedule of ADMN's train.py (§3).
#pragma once

#include <admn/adaptive/layer_plan.hpp>
#include <admn/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace admn::adaptive {

// splitmix64 (Steele, Lea, Flood 2014): 64 random bits per call, uniform doubles
// with 53 bits. Same stream for the same seed everywhere.
class splitmix64 {
 public:
  explicit constexpr splitmix64(std::uint64_t seed) noexcept : state_(seed) {}
  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // U in [0, 1), a multiple of 2⁻⁵³ (exact in double).
  constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

struct layerdrop_options {
  double rate = 0.2;              // p: probability of dropping each block (GTDM, MMFI max 0.2; AVE 0.4)
  double modality_dropout = 0.1;  // q: probability of keeping only block 0 of a modality
};

class layerdrop_sampler {
 public:
  // The same rate for every modality. Throws argument_error [admn.plan.layerdrop]
  // for a probability outside [0, 1], [admn.plan.modalities] for too many modalities.
  layerdrop_sampler(std::span<const std::size_t> depths, const layerdrop_options& options, std::uint64_t seed)
      : layerdrop_sampler(depths, std::vector<double>(depths.size(), options.rate), options.modality_dropout,
                          seed) {}

  // One rate per modality (ADMN gives each backbone its own layerdrop_rate).
  layerdrop_sampler(std::span<const std::size_t> depths, std::span<const double> rates,
                    double modality_dropout, std::uint64_t seed)
      : empty_(depths),
        rng_(seed),
        modality_dropout_(check_probability("modality dropout", modality_dropout)) {
    if (rates.size() != depths.size())
      throw argument_error("admn.plan.layerdrop", std::to_string(rates.size()) + " drop rates for " +
                                                      std::to_string(depths.size()) + " modalities");
    for (std::size_t m = 0; m < depths.size(); ++m) rates_[m] = check_probability("drop rate", rates[m]);
  }

  [[nodiscard]] std::size_t modalities() const noexcept { return empty_.modalities(); }
  [[nodiscard]] double rate(std::size_t m) const noexcept { return rates_[m]; }
  [[nodiscard]] double modality_dropout() const noexcept { return modality_dropout_; }

  // The plan of the next batch: one fresh mask per modality.
  [[nodiscard]] layer_plan next() noexcept {
    layer_plan plan = empty_;
    for (std::size_t m = 0; m < plan.modalities(); ++m) {
      layer_mask& mask = plan[m];
      for (std::size_t l = 0; l < mask.depth(); ++l)
        if (rng_.uniform() >= rates_[m]) mask.keep(l);
      if (rng_.uniform() < modality_dropout_) {
        mask = layer_mask(mask.depth());
        if (mask.depth() > 0) mask.keep(0);
      }
    }
    return plan;
  }

  // next() for a batch of `batch` samples: the same plan for each (run_options::plans).
  [[nodiscard]] std::vector<layer_plan> next_batch(std::size_t batch) {
    return std::vector<layer_plan>(batch, next());
  }

 private:
  static double check_probability(const char* what, double p) {
    if (!(p >= 0.0 && p <= 1.0))
      throw argument_error("admn.plan.layerdrop",
                           std::string(what) + " " + std::to_string(p) + " is not a probability in [0, 1]");
    return p;
  }

  layer_plan empty_;
  std::array<double, max_modalities> rates_{};
  splitmix64 rng_;
  double modality_dropout_;
};

// ADMN's LayerDrop schedule (train.py, §3): p starts at 0 and rises by `step` at
// every epoch e with e % period == period − 1, capped at `max_rate`:
//   p(e) = min(max_rate, step · ⌊(e + 1) / period⌋)
// GTDM, MMFI: period 10, max 0.2 (0 for epochs 0-8, 0.1 for 9-18, 0.2 from 19);
// AVE: period 2, max 0.4. Throws argument_error [admn.plan.layerdrop] for period 0.
[[nodiscard]] inline double layerdrop_rate(std::size_t epoch, std::size_t period, double max_rate,
                                           double step = 0.1) {
  if (period == 0) throw argument_error("admn.plan.layerdrop", "the LayerDrop schedule needs a period ≥ 1");
  return std::min(max_rate, step * static_cast<double>((epoch + 1) / period));
}

}  // namespace admn::adaptive
