// Adaptive execution, measured (issue 6).
//
// heterogeneous_batch/threads:T — ViT-B/16 at 224×224 (random weights), a batch of 8
//   images with 8 different layer masks (2 … 9 of 12 blocks, 44 block runs in all).
//   Each iteration runs, in rotating order:
//     grouped   model::run_grouped: every block only on the samples that keep it
//     per_sample the sum of 8 single-image runs of exactly their kept blocks
//     masked    the reference's batch path (docs/numerics.md §2.6): all 12 blocks on all 8
//               images (96 block runs; the mask mixing itself is not even counted)
//   Counters (medians over the iterations): grouped_ms, per_sample_ms, masked_ms,
//   ratio = grouped / per_sample (target within 15% of 1), masked_over_grouped.
//
// planner/threads:T/point:i — the budget planner against the clock. The network is
//   the model in $ADMN_BENCH_MODEL (e.g. a full-size GTDM written by
//   tests/reference/gtdm_full.py) or, without it, a reduced GTDM-like network
//   (2 modalities × 3 images, ViT-Ti/16 at 224: width 192, 12 blocks, 3 heads) written
//   to the temp directory. The host is profiled once per thread count
//   (profiling::profile), then point i of 10 sets a latency budget evenly between the
//   predicted time of the smallest and of the largest L; the planner picks L, and the
//   run at that L is timed. Counters: budget_ms, L, predicted_ms, measured_ms,
//   error_pct = (predicted − measured) / measured, and fresh_error_pct, the same for a
//   profile measured again just before the runs (the first profile's error includes
//   the drift of a shared machine's load since it was taken; the fresh one isolates
//   the cost model's own error). After all benchmarks a summary prints the median
//   |error| of both and how many runs stayed within their budget.
#include <admn/adaptive/planner.hpp>
#include <admn/profiling/latency_profile.hpp>
#include <admn/zoo/registry.hpp>

#include "../examples/tiny_model.hpp"
#include "common/executors.hpp"
#include "common/random_model.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace {

namespace ad = admn::adaptive;
using clock_type = std::chrono::steady_clock;

double since_ms(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// ---- heterogeneous batch ---------------------------------------------------------------------

void heterogeneous_batch(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  static const admn::model::vit_backbone vit = admn::bench::random_vit();
  constexpr std::size_t batch = 8;
  const char* texts[batch] = {"100001000000", "111000000000", "100100100100", "101010001010",
                              "111111000000", "101010101011", "110110110110", "111101011101"};
  std::vector<ad::layer_mask> masks;
  std::size_t kept = 0;
  for (const char* t : texts) {
    masks.push_back(ad::layer_mask::parse(t));
    kept += masks.back().count();
  }
  const admn::tensor images = admn::bench::random_tensor(admn::shape{batch, 3, 224, 224}, 1.0f, 21);
  admn::tensor grouped(admn::shape{batch, 768}), single(admn::shape{batch, 768}),
      masked(admn::shape{batch, 768});
  admn::workspace ws;
  const std::vector<std::size_t> all{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  std::vector<double> t_grouped, t_single, t_masked;

  const auto run_grouped = [&] {
    const auto start = clock_type::now();
    admn::model::run_grouped(
        vit, images.view(), 1, batch, [&](std::size_t s) -> const ad::layer_mask& { return masks[s]; },
        grouped.view(), ws);
    t_grouped.push_back(since_ms(start));
  };
  const auto run_single = [&] {
    const auto start = clock_type::now();
    for (std::size_t s = 0; s < batch; ++s)
      vit.forward(images.view().slice(s, s + 1), masks[s].blocks(), single.view().slice(s, s + 1), ws);
    t_single.push_back(since_ms(start));
  };
  const auto run_masked = [&] {
    const auto start = clock_type::now();
    vit.forward(images.view(), all, masked.view(), ws);
    t_masked.push_back(since_ms(start));
  };
  admn::bench::executor_for(threads).run([&] {
    std::size_t round = 0;
    for (auto _ : state) {
      // Rotate the order so that drifting load does not favour one variant.
      const std::function<void()> order[3] = {run_grouped, run_single, run_masked};
      for (std::size_t k = 0; k < 3; ++k) order[(round + k) % 3]();
      ++round;
      state.SetIterationTime(t_grouped.back() / 1e3);
      benchmark::DoNotOptimize(grouped.data());
    }
  });
  const bool equal = std::equal(grouped.values().begin(), grouped.values().end(), single.values().begin());
  if (!equal) state.SkipWithError("grouped and per-sample features differ");
  const double g = median(t_grouped), s = median(t_single), m = median(t_masked);
  state.counters["grouped_ms"] = g;
  state.counters["per_sample_ms"] = s;
  state.counters["masked_ms"] = m;
  state.counters["ratio"] = g / s;
  state.counters["masked_over_grouped"] = m / g;
  state.counters["kept_blocks"] = static_cast<double>(kept);
  state.counters["masked_blocks"] = static_cast<double>(batch * 12);
}
BENCHMARK(heterogeneous_batch)
    ->ArgNames({"threads"})
    ->Arg(1)
    ->Arg(2)
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// ---- planner sweep ---------------------------------------------------------------------------

// A loaded network behind a type-erased interface, with its host profile.
struct sweep_network {
  std::string description;
  std::function<admn::profiling::latency_profile(int)> profile;
  std::function<double(std::size_t, int)> run_ms;  // one warm run at budget L
};

template <class Net>
sweep_network make_sweep(std::shared_ptr<const Net> net, std::string description) {
  struct data {
    std::vector<admn::tensor> inputs;
    std::vector<admn::const_view> views;
    admn::workspace ws;
  };
  auto d = std::make_shared<data>();
  for (std::size_t m = 0; m < Net::modality_count; ++m) {
    const auto& mc = net->config().modalities[m];
    d->inputs.push_back(admn::bench::random_tensor(
        admn::shape{1, mc.instances, admn::profiling::modality_input_channels<Net>[m], mc.image[0],
                    mc.image[1]},
        1.0f, 50 + static_cast<std::uint32_t>(m)));
  }
  for (const auto& t : d->inputs) d->views.push_back(t.view());
  sweep_network s;
  s.description = std::move(description);
  s.profile = [net](int threads) { return admn::profiling::profile(*net, threads); };
  s.run_ms = [net, d](std::size_t layers, int threads) {
    return admn::bench::executor_for(threads).run([&] {
      const auto start = clock_type::now();
      benchmark::DoNotOptimize(net->run(d->views, {.budget = layers}, d->ws));
      return since_ms(start);
    });
  };
  return s;
}

sweep_network load_sweep_network() {
  if (const char* path = std::getenv("ADMN_BENCH_MODEL"); path && *path) {
    auto file = std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
    const admn::io::weight_source weights(file);
    return admn::zoo::with_arch_config(*file, true, [&](admn::model::network_config config, auto tag) {
      using net = typename decltype(tag)::type;
      return make_sweep(std::make_shared<const net>(admn::model::load<net>(weights, std::move(config))),
                        admn::zoo::arch_of(*file) + " from " + std::string(path));
    });
  }
  // Reduced GTDM-like network: ViT-Ti/16 backbones, 3 images per modality.
  using rgb = admn::model::modality<"rgb", admn::model::image_input<3>, admn::model::preprocess<>,
                                    admn::model::vit<3>>;
  using depth = admn::model::modality<"depth", admn::model::image_input<3>, admn::model::preprocess<>,
                                      admn::model::vit<3>>;
  using net = admn::model::network<admn::model::conv_controller<>, admn::model::transformer_fusion,
                                   admn::model::classifier, rgb, depth>;
  const auto path = std::filesystem::temp_directory_path() / "admn-adaptive-bench.safetensors";
  admn::examples::write_tiny_model(
      path,
      {.modalities = {{"rgb", "rgb.", "rgb_adapter.", 3}, {"depth", "depth.", "depth_adapter.", 3}},
       .image = 224,
       .patch = 16,
       .dim = 192,
       .depth = 12,
       .mlp = 768,
       .controller_dim = 256,
       .controller_layers = 4,
       .controller_hidden = 200,
       .fusion_dim = 256,
       .fusion_layers = 6,
       .fusion_mlp = 768,
       .adapter_hidden = 512},
      {});
  auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(path, {.backend = admn::io::backend::read}));
  std::filesystem::remove(path);
  admn::model::network_config config;
  for (int i = 0; i < 2; ++i) config.modalities.push_back({.heads = 3, .instances = 3, .image = {224, 224}});
  return make_sweep(
      std::make_shared<const net>(admn::model::load<net>(admn::io::weight_source(file), config)),
      "reduced GTDM-like (ViT-Ti/16, 2 x 3 images)");
}

struct sweep_point {
  int threads;
  double budget_ms, predicted_ms, fresh_predicted_ms, measured_ms;
  std::size_t layers;
};
std::vector<sweep_point> sweep_results;
constexpr int sweep_points = 10;

void planner(benchmark::State& state) {
  static const sweep_network net = load_sweep_network();
  static std::map<int, admn::profiling::latency_profile> profiles;
  const int threads = static_cast<int>(state.range(0));
  const int point = static_cast<int>(state.range(1));
  if (!profiles.count(threads)) profiles.emplace(threads, net.profile(threads));
  const admn::profiling::latency_profile& p = profiles.at(threads);
  const std::size_t lo = p.ms.modalities.size();
  std::size_t hi = 0;
  for (const auto& m : p.ms.modalities) hi += m.depth;
  const double low = p.ms.budget_cost(lo), high = p.ms.budget_cost(hi);
  const double budget = low + (high - low) * (point + 0.5) / sweep_points;
  const ad::budget_choice choice = ad::plan_for_latency(p.ms, budget);
  // A profile measured just now, next to the runs: its error is the cost model's own;
  // the first profile's error adds the drift of the machine's load since then.
  const double fresh = net.profile(threads).ms.budget_cost(choice.layers);
  (void)net.run_ms(choice.layers, threads);  // warm-up
  std::vector<double> times;
  for (auto _ : state) {
    times.push_back(net.run_ms(choice.layers, threads));
    state.SetIterationTime(times.back() / 1e3);
  }
  const double measured = median(times);
  sweep_results.push_back({threads, budget, choice.predicted, fresh, measured, choice.layers});
  state.SetLabel(net.description);
  state.counters["budget_ms"] = budget;
  state.counters["L"] = static_cast<double>(choice.layers);
  state.counters["predicted_ms"] = choice.predicted;
  state.counters["measured_ms"] = measured;
  state.counters["error_pct"] = 100.0 * (choice.predicted - measured) / measured;
  state.counters["fresh_error_pct"] = 100.0 * (fresh - measured) / measured;
}
BENCHMARK(planner)
    ->ArgNames({"threads", "point"})
    ->ArgsProduct({{1, 2}, benchmark::CreateDenseRange(0, sweep_points - 1, 1)})
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void print_sweep_summary() {
  for (const int threads : {1, 2}) {
    std::vector<double> errors, fresh_errors;
    std::size_t within = 0;
    for (const auto& r : sweep_results)
      if (r.threads == threads) {
        errors.push_back(std::abs(r.predicted_ms - r.measured_ms) / r.measured_ms);
        fresh_errors.push_back(std::abs(r.fresh_predicted_ms - r.measured_ms) / r.measured_ms);
        within += r.measured_ms <= r.budget_ms ? 1 : 0;
      }
    if (errors.empty()) continue;
    std::printf(
        "planner sweep, %d thread(s), %zu budgets: median |predicted - measured| / measured = %.1f%% with "
        "the profile the planner used, %.1f%% with a profile measured next to the runs; %zu of %zu runs "
        "within their budget\n",
        threads, errors.size(), 100.0 * median(errors), 100.0 * median(fresh_errors), within, errors.size());
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  print_sweep_summary();
  benchmark::Shutdown();
  return 0;
}
