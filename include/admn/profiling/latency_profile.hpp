// admn/profiling/latency_profile.hpp — the measured latency of each part of a network on this host.
//
// Above the model tier: it times whole networks, and reads the host's name and CPU.
//
// profile(net, threads) times, in an arena of `threads` threads, batch 1 by default:
//   controller     conv encoders + combiner + heads (controller().forward)
//   embed_m        modality m's patch embedding of all its instances
//   block_m        one backbone block of modality m on all its instances
//   fusion_head    adapters + fusion encoder + head
//   overhead       a whole run() with the smallest plan (block 0 of every modality)
//                  minus the sum of its parts: preprocessing, the final norms, top-L,
//                  copies, and — with several threads — the overlap of the modalities,
//                  which run in parallel (so it may be negative)
// The parts are timed in interleaved rounds (one call of each per round, after a
// warm-up call each) until at least `min_repeats` rounds have run and the rounds
// have taken parts × `seconds_per_part`; each part keeps its median. Interleaving
// makes a change in the machine's load hit every part alike. The whole profile of a
// full-size GTDM takes a few seconds. A run with plan p is then predicted
// as cost_table::plan_cost(p) (cost.hpp): controller + Σ_m [k_m > 0](embed_m +
// k_m·block_m) + fusion_head + overhead.
//
// Profiles are cacheable: to_json()/save() write a small JSON file that records the
// network it was measured on (a signature of its shapes), the machine (CPU model,
// host name, hardware threads) and the thread count; load() validates it and
// check_profile() refuses a profile of another network or thread count.
// Errors: [admn.profile.io], [admn.profile.parse], [admn.profile.format],
// [admn.profile.value], [admn.profile.mismatch], [admn.profile.threads].
#pragma once

#include <admn/adaptive/cost.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/error.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/kernels/precision.hpp>
#include <admn/model/network.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace admn::profiling {

struct profile_options {
  double seconds_per_part = 0.25;  // time all parts for at least parts × this long …
  std::size_t min_repeats = 7;     // … and at least this many rounds (after one warm-up)
  std::size_t max_repeats = 2000;  // rounds at most
  std::size_t batch = 1;           // samples per run
};

struct latency_profile {
  static constexpr std::string_view format = "admn.latency_profile";
  static constexpr int version = 1;

  std::string network;  // network_signature() of the network measured
  std::string machine;  // CPU model and host name
  std::size_t hardware_threads = 0;
  int threads = 0;  // threads of the arena the parts ran in
  std::size_t batch = 1;
  double measured_seconds = 0.0;  // how long profiling took
  adaptive::cost_table ms;        // milliseconds per part

  [[nodiscard]] std::string to_json() const {
    nlohmann::json j;
    j["format"] = format;
    j["version"] = version;
    j["network"] = network;
    j["machine"] = machine;
    j["hardware_threads"] = hardware_threads;
    j["threads"] = threads;
    j["batch"] = batch;
    j["measured_seconds"] = measured_seconds;
    j["unit"] = "ms";
    j["controller"] = ms.controller;
    j["fusion_head"] = ms.fusion_head;
    j["overhead"] = ms.overhead;
    j["modalities"] = nlohmann::json::array();
    for (const auto& m : ms.modalities)
      j["modalities"].push_back(
          {{"name", m.name}, {"depth", m.depth}, {"embed", m.embed}, {"block", m.block}});
    return j.dump(2) + "\n";
  }

  // Parses and validates to_json()'s output; `source` names it in errors.
  [[nodiscard]] static latency_profile from_json(std::string_view text, std::string_view source = "profile") {
    const std::string where(source);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw format_error("admn.profile.parse", where + " is not valid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("format") || j["format"] != format)
      throw format_error("admn.profile.format", where + " is not an admn latency profile (\"format\": \"" +
                                                    std::string(format) + "\" missing)");
    if (!j.contains("version") || j["version"] != version)
      throw format_error("admn.profile.format",
                         where + ": unsupported profile version (expected " + std::to_string(version) + ")");
    const auto field = [&](const nlohmann::json& o, const char* key) -> const nlohmann::json& {
      if (!o.is_object() || !o.contains(key))
        throw format_error("admn.profile.parse", where + ": field '" + key + "' is missing");
      return o[key];
    };
    const auto text_of = [&](const nlohmann::json& o, const char* key) {
      const auto& v = field(o, key);
      if (!v.is_string())
        throw format_error("admn.profile.parse", where + ": field '" + key + "' must be a string");
      return v.get<std::string>();
    };
    const auto count_of = [&](const nlohmann::json& o, const char* key) {
      const auto& v = field(o, key);
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 1'000'000)
        throw format_error("admn.profile.value",
                           where + ": field '" + key + "' must be a count, got " + v.dump());
      return static_cast<std::size_t>(v.get<std::uint64_t>());
    };
    // Times are finite and non-negative, except the overhead (see above).
    const auto ms_of = [&](const nlohmann::json& o, const char* key, bool signed_ok = false) {
      const auto& v = field(o, key);
      if (!v.is_number() || !std::isfinite(v.get<double>()) || (!signed_ok && v.get<double>() < 0.0) ||
          std::abs(v.get<double>()) > 1e9)
        throw format_error("admn.profile.value",
                           where + ": field '" + key + "' must be a time in ms, got " + v.dump());
      return v.get<double>();
    };
    latency_profile p;
    p.network = text_of(j, "network");
    p.machine = text_of(j, "machine");
    p.hardware_threads = count_of(j, "hardware_threads");
    p.threads = static_cast<int>(count_of(j, "threads"));
    p.batch = count_of(j, "batch");
    p.measured_seconds = ms_of(j, "measured_seconds");
    if (text_of(j, "unit") != "ms") throw format_error("admn.profile.value", where + ": unit must be \"ms\"");
    p.ms.controller = ms_of(j, "controller");
    p.ms.fusion_head = ms_of(j, "fusion_head");
    p.ms.overhead = ms_of(j, "overhead", true);
    const auto& mods = field(j, "modalities");
    if (!mods.is_array() || mods.empty() || mods.size() > adaptive::max_modalities)
      throw format_error("admn.profile.value", where + ": 'modalities' must list 1 to " +
                                                   std::to_string(adaptive::max_modalities) + " modalities");
    for (const auto& m : mods) {
      p.ms.modalities.push_back(
          {text_of(m, "name"), count_of(m, "depth"), ms_of(m, "embed"), ms_of(m, "block")});
      if (p.ms.modalities.back().depth > adaptive::max_depth)
        throw format_error("admn.profile.value",
                           where + ": depth above " + std::to_string(adaptive::max_depth));
    }
    return p;
  }

  void save(const std::filesystem::path& path) const {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    const std::filesystem::path temp = path.string() + ".tmp";
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << to_json();
      if (!out.flush())
        throw load_error("admn.profile.io", "cannot write the profile '" + temp.string() + "'");
    }
    std::filesystem::rename(temp, path, ec);
    if (ec)
      throw load_error("admn.profile.io",
                       "cannot write the profile '" + path.string() + "': " + ec.message());
  }

  [[nodiscard]] static latency_profile load(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
      throw load_error("admn.profile.io", "cannot read the profile '" + path.string() + "': " + ec.message());
    if (size > (1u << 20))
      throw load_error("admn.profile.io", "the profile '" + path.string() + "' is over 1 MiB");
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw load_error("admn.profile.io", "cannot read the profile '" + path.string() + "'");
    return from_json(text.str(), "profile '" + path.string() + "'");
  }
};

// Synthetic input for timing: a tensor of shape `s`, uniform in [-1, 1), the same values for
// the same seed on every machine (a 64-bit LCG, not <random>, whose distributions differ
// between standard libraries).
[[nodiscard]] inline tensor random_input(const shape& s, std::uint64_t seed) {
  tensor t(s);
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (float& v : t.values()) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>(state >> 40) / 8388608.0f - 1.0f;
  }
  return t;
}

namespace detail {

// The modality types of a model::network, for their input channel counts.
template <class Net>
struct network_modalities;
template <class C, class F, class H, class... M>
struct network_modalities<model::network<C, F, H, M...>> {
  static constexpr std::array<std::size_t, sizeof...(M)> input_channels{M::input_channels...};
};

// A part to time: fn() is timed, reset() runs untimed before each call.
struct timed_part {
  std::function<void()> fn;
  std::function<void()> reset = [] {};
  std::vector<double> times{};
};

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Times the parts in rounds, one call of each per round, after one warm-up call each
// (caches, first touch of fresh buffers), until min_repeats rounds have run and the
// rounds have taken parts × seconds_per_part (or max_repeats rounds). Interleaving
// makes a change in the machine's load (other processes) hit every part alike,
// instead of whichever part happened to be timed then.
inline void time_rounds(std::vector<timed_part>& parts, const profile_options& o) {
  using clock = std::chrono::steady_clock;
  for (auto& part : parts) {
    part.reset();
    part.fn();
  }
  const double goal_ms = o.seconds_per_part * 1e3 * static_cast<double>(parts.size());
  double total_ms = 0.0;
  for (std::size_t round = 0;
       round < std::max<std::size_t>(o.max_repeats, 1) && (round < o.min_repeats || total_ms < goal_ms);
       ++round)
    for (auto& part : parts) {
      part.reset();
      const auto start = clock::now();
      part.fn();
      part.times.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
      total_ms += part.times.back();
    }
}

}  // namespace detail

// The input channel counts of a model::network's modalities, in modality order.
template <class Net>
inline constexpr auto modality_input_channels = detail::network_modalities<Net>::input_channels;

// What a profile depends on: per modality its name, instances, image and ViT shape;
// the MACs of the controller and of fusion + head.
template <class Net>
[[nodiscard]] std::string network_signature(const Net& net) {
  std::ostringstream s;
  const auto names = Net::modality_names();
  for (std::size_t m = 0; m < Net::modality_count; ++m) {
    const auto& b = net.backbone(m);
    const auto& mc = net.config().modalities[m];
    s << names[m] << ":" << mc.instances << "x" << b.channels() << "x" << mc.image[0] << "x" << mc.image[1]
      << " vit " << b.dim() << "x" << b.depth() << " tokens " << b.tokens() << " "
      << kernels::to_string(mc.precision) << "; ";
  }
  s << "controller " << net.policy().macs(1) << " MAC; fusion+head "
    << net.fusion().macs(1) + net.head().macs(1) << " MAC";
  return s.str();
}

// CPU model (from /proc/cpuinfo where it exists) and host name.
[[nodiscard]] inline std::string machine_description() {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      cpu = line.substr(line.find(':') + 1);
      cpu.erase(0, cpu.find_first_not_of(' '));
      break;
    }
  std::string host = "unknown host";
#if __has_include(<unistd.h>)
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) == 0) host = name.data();
#endif
  return cpu + " on " + host;
}

// The thread count an arena of `threads` gets (0 = all cores).
[[nodiscard]] inline int effective_threads(int threads) {
  return kernels::with_threads(threads, [] { return oneapi::tbb::this_task_arena::max_concurrency(); });
}

// Measures every part of `net` (see the file comment).
template <class Net>
[[nodiscard]] latency_profile profile(const Net& net, int threads, const profile_options& o = {}) {
  if (o.batch == 0) throw argument_error("admn.profile.batch", "a profile needs a batch of at least 1");
  const auto wall = std::chrono::steady_clock::now();
  latency_profile p;
  p.network = network_signature(net);
  p.machine = machine_description();
  p.hardware_threads = std::thread::hardware_concurrency();
  p.threads = effective_threads(threads);
  p.batch = o.batch;
  const std::size_t batch = o.batch, count = Net::modality_count;
  const auto names = Net::modality_names();

  // Backbone-ready images (after preprocessing) and raw inputs, random.
  std::vector<tensor> ready, raw, features;
  for (std::size_t m = 0; m < count; ++m) {
    const auto& b = net.backbone(m);
    const auto& mc = net.config().modalities[m];
    ready.push_back(
        random_input(shape{batch * mc.instances, b.channels(), mc.image[0], mc.image[1]}, 2 * m + 1));
    raw.push_back(random_input(
        shape{batch, mc.instances, modality_input_channels<Net>[m], mc.image[0], mc.image[1]}, 2 * m + 2));
    features.push_back(random_input(shape{batch * mc.instances, b.dim()}, 100 + m));
  }

  // Every part's buffers, then the timed parts; they are measured together (time_rounds).
  std::vector<detail::timed_part> parts;
  workspace controller_ws;  // every workspace here is sized by the warm-up call of time_rounds
  tensor logits, qoi;
  std::vector<const_view> ready_views, feature_views, raw_views;
  for (const auto& t : ready) ready_views.push_back(t.view());
  for (const auto& t : features) feature_views.push_back(t.view());
  for (const auto& t : raw) raw_views.push_back(t.view());
  if constexpr (std::decay_t<decltype(net)>::has_controller()) {
    const auto& c = net.controller();
    logits = tensor(shape{batch, net.total_blocks()});
    qoi = tensor(shape{batch, c.qoi_count()});
    parts.push_back({[&] { c.forward(ready_views, logits.view(), qoi.view(), controller_ws); }});
  }
  // Per modality: patch embedding and one block, on all instances. The block updates
  // x in place: the same input is restored before every call.
  std::vector<tensor> tokens(count), block_inputs(count);
  std::vector<workspace> embed_ws(count), block_ws(count);
  std::vector<std::size_t> embed_part(count), block_part(count, SIZE_MAX);
  for (std::size_t m = 0; m < count; ++m) {
    const auto& b = net.backbone(m);
    const auto& mc = net.config().modalities[m];
    const std::size_t images = batch * mc.instances, h = mc.image[0], w = mc.image[1];
    const std::size_t image_floats = b.channels() * h * w,
                      per_image = b.patch_embedding().scratch_floats(h, w);
    tokens[m] = tensor(shape{images * b.tokens(), b.dim()});
    embed_part[m] = parts.size();
    parts.push_back({[&, m, images, h, w, image_floats, per_image] {
      workspace::scope scope(embed_ws[m]);
      float* columns = embed_ws[m].take(images * per_image);
      kernels::for_each_chunk(images, 1, [&](std::size_t i, std::size_t) {
        net.backbone(m).patch_embedding().forward(
            ready[m].data() + i * image_floats, h, w,
            tokens[m].view().slice(i * net.backbone(m).tokens() + 1, (i + 1) * net.backbone(m).tokens()),
            columns + i * per_image);
      });
    }});
    if (b.depth() == 0) continue;
    block_inputs[m] = random_input(tokens[m].shape(), 7 + m);
    block_part[m] = parts.size();
    parts.push_back(
        {[&, m, images] {
           net.backbone(m).block(0).forward(tokens[m].view(), images, net.backbone(m).tokens(), block_ws[m]);
         },
         [&, m] {
           std::memcpy(tokens[m].data(), block_inputs[m].data(), block_inputs[m].size() * sizeof(float));
         }});
  }
  // Fusion and head.
  const auto& f = net.fusion();
  workspace fusion_ws;
  const std::size_t fusion_part = parts.size();
  parts.push_back({[&] {
    workspace::scope scope(fusion_ws);
    const mutable_view fused = fusion_ws.take(shape{batch, f.dim()});
    f.forward(feature_views, batch, fused, fusion_ws);
    (void)net.head().forward(fused, fusion_ws);
  }});
  // A whole run with the smallest plan: the overhead is what its parts do not explain.
  workspace run_ws;
  const auto depths = net.depths();
  adaptive::layer_plan smallest(depths);
  for (std::size_t m = 0; m < count; ++m)
    if (depths[m] > 0) smallest[m].keep(0);
  model::run_options run;
  if (net.has_controller())
    run.budget = smallest.total_kept();
  else
    run.plan = smallest;
  const std::size_t run_part = parts.size();
  parts.push_back({[&] { (void)net.run(raw_views, run, run_ws); }});

  kernels::with_threads(threads, [&] { detail::time_rounds(parts, o); });

  if (net.has_controller()) p.ms.controller = detail::median(parts[0].times);
  for (std::size_t m = 0; m < count; ++m)
    p.ms.modalities.push_back({std::string(names[m]), net.backbone(m).depth(),
                               detail::median(parts[embed_part[m]].times),
                               block_part[m] == SIZE_MAX ? 0.0 : detail::median(parts[block_part[m]].times)});
  p.ms.fusion_head = detail::median(parts[fusion_part].times);
  p.ms.overhead = 0.0;
  p.ms.overhead = detail::median(parts[run_part].times) - p.ms.plan_cost(smallest, net.has_controller());
  p.measured_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  return p;
}

// Throws argument_error [admn.profile.mismatch] when `p` was measured on another
// network or batch, [admn.profile.threads] on another thread count.
template <class Net>
void check_profile(const latency_profile& p, const Net& net, int threads, std::size_t batch = 1) {
  const std::string signature = network_signature(net);
  if (p.network != signature || p.batch != batch)
    throw argument_error("admn.profile.mismatch", "the profile was measured on '" + p.network +
                                                      "' at batch " + std::to_string(p.batch) + ", not on '" +
                                                      signature + "' at batch " + std::to_string(batch));
  const int want = effective_threads(threads);
  if (p.threads != want)
    throw argument_error("admn.profile.threads", "the profile was measured with " +
                                                     std::to_string(p.threads) + " threads, this run uses " +
                                                     std::to_string(want));
}

// Where a profile of this network and thread count is cached by default:
// $XDG_CACHE_HOME/admn (or ~/.cache/admn)/profile-<hash>-t<threads>.json, the hash
// (FNV-1a) over the network signature and the machine. Empty without a home.
[[nodiscard]] inline std::optional<std::filesystem::path> default_profile_path(std::string_view signature,
                                                                               int threads) {
  std::filesystem::path base;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    base = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home)
    base = std::filesystem::path(home) / ".cache";
  else
    return std::nullopt;
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : std::string(signature) + "|" + machine_description()) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return base / "admn" /
         ("profile-" + std::string(hex) + "-t" + std::to_string(effective_threads(threads)) + ".json");
}

}  // namespace admn::profiling
