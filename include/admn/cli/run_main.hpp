// admn/cli/run_main.hpp — admn-run's command line and run, for any network type.
//
// admn-run (examples/run.cpp) is run_command over the registry's networks; a network type of
// your own gets the same program in three lines (examples/my_admn_run.cpp):
//
//   #include <admn/cli/run_main.hpp>
//   using my_net = admn::model::network<...>;
//   int main(int argc, char** argv) { return admn::cli::run_main<my_net>(argc, argv); }
//
// run_main<Net> makes Net's network_config with `read_config`, by default from the model
// file's `admn.config` JSON (model/config_reader.hpp, docs/config.md); takes a bundle's
// trained budgets from `admn.budgets` when the config has none; applies --no-antialias (the
// controller's resize) and --precision (every backbone) over the config; and loads Net. It
// names itself in messages by argv[0]'s file name.
//
//   PROG --model M.safetensors --input IN.safetensors --output OUT.safetensors
//        [--budget L[,L1…] [--costs C0,C1…] [--sample SEED [--temperature T] [--noise-scale S]]
//         | --plan SPEC | --latency-budget MS [--profile FILE]] [--shuffle SEED]
//        [--threads N] [--no-antialias] [--precision fp32|bf16|int8] [--bf16] [--raw]
//        [--read] [--allow-nonfinite]
//
// admn-run chooses the network by the model's `admn.arch` metadata (zoo/registry.hpp:
// gtdm and its variants, ave, ave_unequal, mmfi, digits); run_main<Net> runs Net whatever the file's
// `admn.arch` says, and copies that name to OUT. IN holds one F32 tensor per modality, named as the modality
// (gtdm: zed_camera_left, realsense_camera_depth, and range_doppler for gtdm_3mod; ave: image, audio; mmfi:
// rgb, depth; your network: its modality names), of shape (B, instances, C, H, W). OUT gets
//   layer_mask         U8  (B, M, depth)   the blocks that ran
//   layer_order        I32 (B, M, depth)   the blocks in the order they ran, then −1
//   controller_logits  F32 (B, M·depth)    the controller's layer logits (not with --plan)
//   qoi                F32 (B, q)          the QoI head's output (not with --plan)
//   the head's outputs: pred_mean, pred_cov (gtdm) or logits (ave, mmfi, a classifier)
// and on stderr a summary line (network, batch, budget or plan, weight precision, time), each
// sample's plan and the process's memory figures.
// --budget takes one L for every sample or one per sample ("4,6,8" for a batch of 3);
// --costs charges each block of modality m C_m (the budget then counts cost units:
// ADMN's unequal-cost rule, docs/numerics.md §4.10; ave_unequal models default to 3,1);
// --sample draws seeded Gumbel noise into the top-L (§4.7). A bundle (admn-export with one
// stage-2 checkpoint per budget) runs the controller trained for the budget: --budget must be
// one of its trained budgets unless --nearest-trained picks the nearest lower one, which
// --latency-budget always does.
// --plan bypasses the controller with a static plan (adaptive/static_plan.hpp):
//   all | first:N[,N1…] | every-other:T[,T1…] | block lists "0,5,3;0,1"
// (one value for every modality, or one per modality); block lists run in the order
// written. --shuffle SEED runs each sample's blocks in a random order (LayerShuffle).
// --latency-budget MS picks the largest budget L whose predicted latency fits MS
// (adaptive/planner.hpp) from a per-part latency profile of this host: read from
// --profile FILE when it exists, else measured (a few seconds) and written there —
// by default to $XDG_CACHE_HOME/admn or ~/.cache/admn, keyed by network, machine and
// threads. It runs once to warm up, then reports L, the predicted and the measured time.
// --precision bf16 stores the backbones' Linear weights as bf16 and runs them on
// AVX512-BF16 (kernels/gemm_bf16.hpp: ~1e-3 relative error instead of ~1e-7); --precision
// int8 quantises them per output channel and their inputs per token (kernels/gemm_int8.hpp:
// ~1e-2). Both opt-in; --bf16 is --precision bf16.
// --raw (the registry's networks only): IN holds raw sensor data instead, one tensor per
// modality named "<modality>.raw" (zoo/preprocess.hpp): U8 frames (B, instances, H, W, C) —
// gtdm: zed_camera_left.raw BGR, realsense_camera_depth.raw grayscale (C = 1 or no C axis); ave:
// image.raw RGB; mmfi: rgb.raw, depth.raw RGB — and F32 waveforms (B, samples) at 16 kHz (ave:
// audio.raw; an optional __metadata__ "sample_rate" must then say 16000). They are preprocessed
// as ADMN's data loaders do (docs/numerics.md §6; --no-antialias also applies to their resize)
// and then run.
// --read reads the files into memory instead of mapping them: a mapped file that another
// process truncates while the program runs kills it with SIGBUS (as for every mapping), a
// read one cannot change under it (a truncation during the read is an [admn.safetensors.io]
// error). Inputs holding NaN or ±Inf are rejected ([admn.network.nonfinite]), and so are
// outputs that overflow to NaN or ±Inf from finite inputs such as 3e38
// ([admn.run.nonfinite_output]), unless --allow-nonfinite. Everything that can be checked before
// the inference is: arguments, the output path (never one of the input files, compared by device
// and inode; never a symbolic link; a replaced output keeps its permissions), input shapes and
// values, the budget. Tensors of the model file that the network does not use are listed as a
// warning.
// Exit status: 0 after a run or --help (the usage on stdout); 1 on any error, with its
// "PROG: [admn.…] message" on stderr (arguments [admn.cli.…], files, configs, budgets, inputs;
// an unexpected exception is "[admn.internal]").
#pragma once

#include <admn/adaptive/planner.hpp>
#include <admn/adaptive/static_plan.hpp>
#include <admn/cli/args.hpp>
#include <admn/cli/memory.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/io/writer.hpp>
#include <admn/kernels/executor.hpp>
#include <admn/kernels/precision.hpp>
#include <admn/model/config_reader.hpp>
#include <admn/profiling/latency_profile.hpp>
#include <admn/zoo/preprocess.hpp>
#include <admn/zoo/registry.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace admn::cli {

// The command line, parsed (parse_run_arguments).
struct run_arguments {
  std::string model{}, input{}, output{};
  std::vector<std::size_t> budgets{};  // one, or one per sample
  std::vector<std::size_t> costs{};
  std::optional<std::uint64_t> sample_seed{}, shuffle_seed{};
  std::optional<double> temperature{}, noise_scale{};
  std::optional<std::string> plan{};
  std::optional<double> latency_budget{};
  std::optional<std::string> profile{};
  int threads = 0;
  bool antialias = true;
  bool raw = false;
  bool nearest_trained = false;
  bool read = false;                              // the read() backend instead of mmap
  bool allow_nonfinite = false;                   // pass NaN/±Inf inputs to the network
  bool help = false;                              // --help: print the usage, run nothing
  std::optional<kernels::precision> precision{};  // unset: fp32, or what the config says
};

// The --help text of `program`.
[[nodiscard]] inline std::string run_usage(std::string_view program) {
  const std::string indent(std::string_view("usage: ").size() + program.size() + 1, ' ');
  std::string out = "usage: " + std::string(program) +
                    " --model M.safetensors --input IN.safetensors --output OUT.safetensors\n";
  out += indent + "(--budget L[,L1...] [--costs C,...]\n";
  out += indent + " [--sample SEED [--temperature T] [--noise-scale S]]\n";
  out += indent + " | --plan SPEC | --latency-budget MS [--profile FILE]) [--shuffle SEED]\n";
  out += indent + "[--threads N] [--no-antialias] [--precision fp32|bf16|int8] [--bf16] [--raw]\n";
  out +=
      "  --budget L           the controller keeps L blocks in all (each modality's first included);\n"
      "                       L0,L1,... gives one budget per sample\n"
      "  --costs C0,C1,...    each block of modality m costs C_m; the budget counts cost units\n"
      "                       (ADMN's unequal-cost rule; ave_unequal models use 3,1 by default)\n"
      "  --sample SEED        seeded Gumbel top-L instead of the deterministic one\n"
      "  --temperature T      Gumbel sampling temperature (default 1)\n"
      "  --noise-scale S      Gumbel noise scale (default 0.1, ADMN's training value)\n"
      "  --plan SPEC          a static plan, no controller: all | first:N[,N1...] | every-other:T[,T1...]\n"
      "                       | block lists per modality, run in the order written, e.g. 0,5,3;0,1\n"
      "  --shuffle SEED       run each sample's blocks in a random order (LayerShuffle)\n"
      "  --nearest-trained    with a bundle: a budget no controller was trained for uses the nearest\n"
      "                       lower trained budget's controller (default: an error listing them)\n"
      "  --latency-budget MS  the largest L whose predicted latency fits MS milliseconds\n"
      "  --profile FILE       the host's latency profile: read if it exists, else measured and written\n"
      "                       (default: a cache under $XDG_CACHE_HOME/admn or ~/.cache/admn)\n"
      "  --precision P        the backbones' Linears: fp32 (default), bf16 (AVX512-BF16; ~1e-3 relative\n"
      "                       error) or int8 (per-channel weights, per-token activations; ~1e-2)\n"
      "  --bf16               --precision bf16\n"
      "  --raw                IN holds raw frames (U8) and audio (F32, 16 kHz) named <modality>.raw\n"
      "  --read               read the files into memory instead of mapping them (safe if they change)\n"
      "  --allow-nonfinite    run inputs holding NaN or Inf, write NaN or Inf outputs (rejected by "
      "default)\n";
  return out;
}

namespace detail {

inline double parse_ms(std::string_view flag, std::string_view text) {
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !(value > 0.0) || value > 1e9)
    throw argument_error(
        "admn.cli.value",
        std::string(flag) + " needs a positive number of milliseconds, got '" + std::string(text) + "'");
  return value;
}

}  // namespace detail

// The command line argv[1..argc). Throws argument_error [admn.cli.…] for an unknown flag, a
// missing or malformed value, a missing --model/--input/--output, no or several of --budget,
// --plan and --latency-budget, or flags that do not go together. With --help anywhere, returns
// {.help = true} and checks nothing else.
[[nodiscard]] inline run_arguments parse_run_arguments(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help") return {.help = true};
  run_arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const auto value = [&] { return flag_value(argc, argv, i); };
    if (flag == "--model")
      a.model = value();
    else if (flag == "--input")
      a.input = value();
    else if (flag == "--output")
      a.output = value();
    else if (flag == "--budget")
      a.budgets = parse_counts(flag, value());
    else if (flag == "--costs")
      a.costs = parse_counts(flag, value());
    else if (flag == "--sample")
      a.sample_seed = parse_count(flag, value(), "a seed (non-negative integer)");
    else if (flag == "--shuffle")
      a.shuffle_seed = parse_count(flag, value(), "a seed (non-negative integer)");
    else if (flag == "--temperature")
      a.temperature = parse_positive(flag, value(), 1e6);
    else if (flag == "--noise-scale")
      a.noise_scale = parse_positive(flag, value(), 1e6);
    else if (flag == "--plan")
      a.plan = std::string(value());
    else if (flag == "--latency-budget")
      a.latency_budget = detail::parse_ms(flag, value());
    else if (flag == "--profile")
      a.profile = std::string(value());
    else if (flag == "--threads") {
      const std::size_t n = parse_count(flag, value());
      if (n > 1024) throw argument_error("admn.cli.value", "--threads " + std::to_string(n) + " is too many");
      a.threads = static_cast<int>(n);
    } else if (flag == "--nearest-trained")
      a.nearest_trained = true;
    else if (flag == "--no-antialias")
      a.antialias = false;
    else if (flag == "--precision")
      a.precision = kernels::parse_precision(value());
    else if (flag == "--bf16")
      a.precision = kernels::precision::bf16;
    else if (flag == "--raw")
      a.raw = true;
    else if (flag == "--read")
      a.read = true;
    else if (flag == "--allow-nonfinite")
      a.allow_nonfinite = true;
    else
      throw unknown_flag(flag);
  }
  for (const auto& [name, v] :
       {std::pair{"--model", &a.model}, {"--input", &a.input}, {"--output", &a.output}})
    if (v->empty()) throw argument_error("admn.cli.missing_flag", std::string(name) + " is required");
  if (int(!a.budgets.empty()) + int(a.plan.has_value()) + int(a.latency_budget.has_value()) > 1)
    throw argument_error("admn.cli.conflict", "give one of --budget, --plan and --latency-budget");
  if (a.budgets.empty() && !a.plan && !a.latency_budget)
    throw argument_error("admn.cli.budget", "give --budget L, --plan SPEC or --latency-budget MS");
  if ((a.temperature || a.noise_scale) && !a.sample_seed)
    throw argument_error("admn.cli.conflict", "--temperature and --noise-scale go with --sample");
  if (a.plan && (a.sample_seed || !a.costs.empty()))
    throw argument_error("admn.cli.conflict", "--sample and --costs choose among blocks: not with --plan");
  if (a.profile && !a.latency_budget)
    throw argument_error("admn.cli.conflict", "--profile is used with --latency-budget only");
  return a;
}

namespace detail {

// The latency profile of this host for `net`: --profile FILE when it exists (it must
// match the network and thread count), else measured and saved there or to the cache.
template <class Net>
profiling::latency_profile host_profile(const char* program, const Net& net, const run_arguments& args,
                                        std::size_t batch) {
  namespace ad = admn::adaptive;
  const std::optional<std::filesystem::path> path =
      args.profile ? std::optional<std::filesystem::path>(*args.profile)
                   : profiling::default_profile_path(profiling::network_signature(net), args.threads);
  if (path && std::filesystem::exists(*path)) {
    profiling::latency_profile p = profiling::latency_profile::load(*path);
    if (args.profile || (p.network == profiling::network_signature(net) && p.batch == batch)) {
      profiling::check_profile(p, net, args.threads, batch);
      std::fprintf(stderr, "%s: loaded profile %s (%s, %d threads)\n", program, path->string().c_str(),
                   p.machine.c_str(), p.threads);
      return p;
    }
  }
  std::fprintf(stderr, "%s: profiling this host (a few seconds)...\n", program);
  const profiling::latency_profile p = profiling::profile(net, args.threads, {.batch = batch});
  std::fprintf(stderr,
               "%s: profiled in %.1f s on %s, %d threads: controller %.2f ms, fusion+head %.2f ms, "
               "overhead %.2f ms\n",
               program, p.measured_seconds, p.machine.c_str(), p.threads, p.ms.controller, p.ms.fusion_head,
               p.ms.overhead);
  for (const auto& m : p.ms.modalities)
    std::fprintf(stderr, "  %s: patch embedding %.2f ms, block %.2f ms (x%zu)\n", m.name.c_str(), m.embed,
                 m.block, m.depth);
  if (path) {
    try {
      p.save(*path);
      std::fprintf(stderr, "%s: saved profile %s\n", program, path->string().c_str());
    } catch (const admn::error& e) {
      if (args.profile) throw;  // the file the user asked for
      std::fprintf(stderr, "%s: profile not cached: %s\n", program, e.what());
    }
  }
  return p;
}

// --raw: the network's inputs made from the raw tensors of `file` (see the file comment).
template <class Net>
std::vector<admn::tensor> raw_inputs(const Net& net, const admn::io::safetensors_file& file,
                                     const std::string& path, bool antialias) {
  namespace raw = admn::zoo::raw;
  if constexpr (!raw::has_pipeline<Net>) {
    throw admn::argument_error("admn.run.raw", "--raw: this network has no raw-input pipeline");
  } else {
    using pipeline = raw::pipeline<Net>;
    constexpr std::size_t count = pipeline::names.size();
    std::array<raw::raw_value, count> values;
    std::vector<std::vector<float>> copies;  // F32 data that is not 4-byte aligned in the file
    copies.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const std::string name(pipeline::names[i]);
      if (!file.contains(name))
        throw admn::load_error("admn.run.missing_input",
                               "input file '" + path + "' has no raw tensor '" + name + "'");
      const auto t = file.tensor(name);
      const auto s = admn::shape::try_make(t.shape());
      if (!s) throw admn::shape_error("admn.raw.rank", "raw input '" + name + "' has too many dimensions");
      if (t.dtype() == admn::dtype::u8) {
        values[i] = raw::frames_view(t.as<std::uint8_t>()->data(), *s);
      } else if (t.dtype() == admn::dtype::f32) {
        const auto aligned = t.as<float>();
        const float* data = aligned ? aligned->data() : nullptr;
        if (!data) {
          copies.emplace_back(t.element_count());
          t.to_f32(copies.back());
          data = copies.back().data();
        }
        values[i] = raw::waveform_view(data, *s);
      } else {
        throw admn::argument_error("admn.raw.dtype", "raw input '" + name + "' is " +
                                                         std::string(admn::dtype_name(t.dtype())) +
                                                         "; frames are U8, waveforms F32");
      }
    }
    double sample_rate = 16000.0;
    if (const auto& meta = file.metadata(); meta && meta->contains("sample_rate")) {
      const std::string& text = meta->at("sample_rate");
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), sample_rate);
      if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
        throw admn::argument_error("admn.raw.sample_rate", "input file '" + path + "': sample_rate '" + text +
                                                               "' is not a number of Hz");
    }
    return pipeline::run(values, net.config(), antialias, sample_rate);
  }
}

// The output path, checked before anything runs: not one of the input files (same device
// and inode, whatever the spelling or links), not a symbolic link (replacing it would
// silently cut the link), not a directory, in an existing writable directory. Returns the
// permission bits of an existing output, to keep them when it is replaced.
inline std::optional<mode_t> check_output(const run_arguments& args) {
  const auto fail = [&](const std::string& why) {
    throw admn::argument_error("admn.cli.output", "--output '" + args.output + "' " + why);
  };
  struct stat out {};
  if (::lstat(args.output.c_str(), &out) != 0) {
    if (errno != ENOENT) fail(std::string("cannot be examined: ") + std::strerror(errno));
    const std::filesystem::path parent = std::filesystem::path(args.output).parent_path();
    const std::string dir = parent.empty() ? "." : parent.string();
    struct stat d {};
    if (::stat(dir.c_str(), &d) != 0 || !S_ISDIR(d.st_mode)) fail("is in a directory that does not exist");
    if (::access(dir.c_str(), W_OK) != 0) fail("is in a directory that is not writable");
    return std::nullopt;
  }
  if (S_ISLNK(out.st_mode)) fail("is a symbolic link: give the file it points to");
  if (!S_ISREG(out.st_mode)) fail("exists and is not a regular file");
  for (const auto& [flag, path] : {std::pair{"--model", &args.model}, {"--input", &args.input}}) {
    struct stat in {};
    if (::stat(path->c_str(), &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
      fail(std::string("is the file given to ") + flag + ": refusing to overwrite an input");
  }
  return out.st_mode & 07777;
}

// The weights' precision as the summary line names it: one name, or one per modality.
inline std::string precision_text(const model::network_config& config) {
  bool mixed = false;
  for (const auto& m : config.modalities) mixed = mixed || m.precision != config.modalities.front().precision;
  std::string out;
  for (const auto& m : config.modalities) {
    if (!out.empty()) {
      if (!mixed) break;
      out += '/';
    }
    out += kernels::to_string(m.precision);
  }
  return out;
}

// The file's admn.arch, or "" when it has none.
inline std::string arch_name(const io::safetensors_file& file) {
  const auto& meta = file.metadata();
  if (!meta) return {};
  const auto it = meta->find("admn.arch");
  return it == meta->end() ? std::string() : it->second;
}

}  // namespace detail

// The program: parses the command line, checks the output path, opens the files and calls
// load_network(model, args, run) — model: std::shared_ptr<const io::safetensors_file> of
// --model; it loads the file's network and returns run(net, weights), weights being the
// io::weight_source the network bound. Returns the exit status (see the file comment); every
// error is caught and printed as "<program>: [id] message".
template <class LoadNetwork>
int run_command(int argc, char** argv, const char* program, LoadNetwork&& load_network) {
  return guarded_main(program, [&] {
    const run_arguments args = parse_run_arguments(argc, argv);
    if (args.help) {
      std::fputs(run_usage(program).c_str(), stdout);
      return 0;
    }
    // One executor: loading (weights are packed in parallel) and the run use its threads.
    const executor ex({.threads = args.threads});
    return ex.run([&] {
      const auto start = std::chrono::steady_clock::now();
      const std::optional<mode_t> output_mode = detail::check_output(args);
      const io::open_options open{.backend = args.read ? io::backend::read : io::backend::mmap};
      const auto model =
          std::make_shared<const io::safetensors_file>(io::safetensors_file::open(args.model, open));
      const auto inputs =
          std::make_shared<const io::safetensors_file>(io::safetensors_file::open(args.input, open));
      const io::weight_source input_source(inputs);
      const std::string arch = detail::arch_name(*model);
      return load_network(model, args, [&](const auto& net, const io::weight_source& weights) -> int {
        using net_type = std::decay_t<decltype(net)>;
        const double load_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        const resident_memory loaded = resident();
        // Unused tensors are reported, not rejected: checkpoints carry extras (optimizer
        // state, heads of other tasks) that do not change what the network computes.
        if (const auto unused = weights.unused_keys(); !unused.empty()) {
          std::fprintf(stderr, "%s: warning: %zu tensors of the model are not used:", program, unused.size());
          for (std::size_t i = 0; i < unused.size() && i < 8; ++i)
            std::fprintf(stderr, " '%s'", unused[i].c_str());
          std::fprintf(stderr, "%s\n", unused.size() > 8 ? " ..." : "");
        }
        std::vector<admn::tensor> tensors;
        std::vector<admn::const_view> views;
        if (args.raw)
          tensors = detail::raw_inputs(net, *inputs, args.input, args.antialias);
        else
          for (const std::string_view name : net_type::modality_names()) {
            if (!inputs->contains(name))
              throw admn::load_error(
                  "admn.run.missing_input",
                  "input file '" + args.input + "' has no tensor '" + std::string(name) + "'");
            tensors.push_back(input_source.load(name));
          }
        for (const auto& t : tensors) views.push_back(t.view());
        // Inputs, then the budget, before any workspace is sized from them or anything runs.
        const auto specs = net.input_specs();
        const std::size_t batch = admn::model::check_input_shapes(views, specs);
        if (!args.allow_nonfinite) admn::model::check_finite(views, specs);

        admn::model::run_options options;
        if (args.budgets.size() == 1)
          options.budget = args.budgets.front();
        else
          options.budgets = args.budgets;
        options.costs = args.costs;
        if (args.sample_seed)
          options.sample = admn::model::gumbel_sampling{
              .seed = *args.sample_seed,
              .noise = {.noise_scale = static_cast<float>(args.noise_scale.value_or(0.1)),
                        .temperature = static_cast<float>(args.temperature.value_or(1.0))}};
        options.order_seed = args.shuffle_seed;
        options.nearest_trained_budget = args.nearest_trained || args.latency_budget.has_value();
        if (args.plan) {
          const auto depths = net.depths();
          (void)admn::adaptive::parse_plan(*args.plan, depths);  // its error ids, for every form
          options.plan = admn::adaptive::parse_ordered_plan(*args.plan, depths);
        }
        // Budgets (and costs) are checked before any compute, as inputs and paths are.
        if (options.budget || !options.budgets.empty()) {
          const auto depths = net.depths();
          (void)admn::model::call_selectors({.inputs = {},
                                             .batch = batch,
                                             .depths = depths,
                                             .costs = net.config().costs,
                                             .options = options});
        }
        admn::workspace ws;
        std::optional<admn::adaptive::budget_choice> choice;
        if (args.latency_budget) {
          if (!net.has_controller())
            throw admn::argument_error("admn.cli.budget",
                                       "--latency-budget needs a network with a controller");
          const admn::profiling::latency_profile profile = detail::host_profile(program, net, args, batch);
          choice = admn::adaptive::plan_for_latency(profile.ms, *args.latency_budget);
          options.budget = choice->layers;
          // Warm-up: the profile's figures are of warm runs (caches, workspace pages).
          (void)net.run(views, options, ws);
        }
        admn::model::network_result result;
        const double ms = elapsed_ms([&] { result = net.run(views, options, ws); });

        // Finite inputs can still overflow the network's arithmetic (3e38 in an image):
        // NaN or ±Inf outputs are an error, not a result, unless --allow-nonfinite.
        if (!args.allow_nonfinite)
          for (const auto& [name, t] : result.outputs)
            for (std::size_t i = 0; i < t.size(); ++i)
              if (!std::isfinite(t.data()[i]))
                throw admn::argument_error(
                    "admn.run.nonfinite_output",
                    "output '" + name + "' of sample " + std::to_string(i * batch / t.size()) + " is " +
                        std::to_string(t.data()[i]) + ": the inputs overflow the network's arithmetic");
        // layer_mask as U8 (B, M, depth): all backbones of ADMN have the same depth.
        const auto depths = net.depths();
        const std::size_t depth = *std::max_element(depths.begin(), depths.end());
        std::vector<std::uint8_t> mask(batch * net_type::modality_count * depth, 0);
        std::vector<std::int32_t> order(batch * net_type::modality_count * depth, -1);
        for (std::size_t b = 0; b < batch; ++b)
          for (std::size_t m = 0; m < net_type::modality_count; ++m) {
            const std::size_t row = (b * net_type::modality_count + m) * depth;
            for (std::size_t l = 0; l < depths[m]; ++l) mask[row + l] = result.plans[b][m].kept(l) ? 1 : 0;
            const auto& ran = result.orders[b][m];
            for (std::size_t p = 0; p < ran.size(); ++p) order[row + p] = static_cast<std::int32_t>(ran[p]);
          }
        std::vector<admn::io::tensor_entry> entries;
        entries.push_back({"layer_mask",
                           admn::dtype::u8,
                           {batch, net_type::modality_count, depth},
                           std::as_bytes(std::span<const std::uint8_t>(mask))});
        entries.push_back({"layer_order",
                           admn::dtype::i32,
                           {batch, net_type::modality_count, depth},
                           std::as_bytes(std::span<const std::int32_t>(order))});
        if (result.controller_logits.shape().rank() == 2) {
          entries.push_back(admn::io::entry("controller_logits", result.controller_logits));
          entries.push_back(admn::io::entry("qoi", result.qoi));
        }
        for (const auto& [name, t] : result.outputs) entries.push_back(admn::io::entry(name, t));
        std::map<std::string, std::string> metadata;
        if (!arch.empty()) metadata.emplace("admn.arch", arch);
        admn::io::save(args.output, entries, metadata);
        if (output_mode) ::chmod(args.output.c_str(), *output_mode);

        std::string what = args.plan ? "plan " + *args.plan : "budget ";
        if (!args.plan) {
          std::vector<std::size_t> shown = options.budget ? std::vector{*options.budget} : options.budgets;
          for (std::size_t i = 0; i < shown.size(); ++i) what += (i ? "," : "") + std::to_string(shown[i]);
        }
        if (!options.costs.empty() || !net.config().costs.empty()) {
          const auto& costs = options.costs.empty() ? net.config().costs : options.costs;
          what += " (block costs";
          for (std::size_t i = 0; i < costs.size(); ++i) what += (i ? "," : " ") + std::to_string(costs[i]);
          what += ")";
        }
        if (options.sample) what += ", Gumbel sampling seed " + std::to_string(options.sample->seed);
        if (options.order_seed) what += ", shuffled orders seed " + std::to_string(*options.order_seed);
        std::fprintf(stderr, "%s: %s, batch %zu, %s, %s weights, %.2f ms\n", program,
                     arch.empty() ? "network" : arch.c_str(), batch, what.c_str(),
                     detail::precision_text(net.config()).c_str(), ms);
        if (choice)
          std::fprintf(stderr,
                       "  latency budget %.2f ms: chose L = %zu, predicted %.2f ms (best split %.2f ms), "
                       "measured %.2f ms, %s\n",
                       *args.latency_budget, choice->layers, choice->predicted, choice->best_case, ms,
                       ms <= *args.latency_budget ? "within budget" : "OVER budget");
        for (std::size_t b = 0; b < batch; ++b)
          std::fprintf(stderr, "  sample %zu: plan %s\n", b, result.orders[b].to_string().c_str());
        if (const auto done = resident(); done.known)
          std::fprintf(stderr,
                       "  model %.1f MiB loaded in %.0f ms; resident %.1f MiB after loading (%.1f MiB of "
                       "mapped files), %.1f MiB after the run, peak %.1f MiB = %.3fx the model file\n",
                       static_cast<double>(model->file_size()) / 1048576.0, load_ms, loaded.now_mib,
                       loaded.file_mib, done.now_mib, done.peak_mib,
                       done.peak_mib * 1048576.0 / static_cast<double>(model->file_size()));
        return 0;
      });
    });
  });
}

// Makes a network's config from the model file (model::config_from_file<Net> by default).
using config_reader = std::function<model::network_config(const io::safetensors_file& model)>;

// The program name in messages: argv[0]'s file name.
[[nodiscard]] inline std::string program_name(int argc, char** argv) {
  const std::string name =
      argc > 0 && argv[0] != nullptr ? std::filesystem::path(argv[0]).filename().string() : "";
  return name.empty() ? "admn-run" : name;
}

// admn-run for the network type Net (see the file comment): main()'s body.
template <class Net>
int run_main(int argc, char** argv, config_reader read_config = &model::config_from_file<Net>) {
  const std::string program = program_name(argc, argv);
  return run_command(
      argc, argv, program.c_str(),
      [&](std::shared_ptr<const io::safetensors_file> file, const run_arguments& args, auto&& run) {
        model::network_config config = read_config(*file);
        if (config.trained_budgets.empty()) config.trained_budgets = zoo::trained_budgets_of(*file);
        if (!args.antialias) config.controller.antialias = false;
        if (args.precision)
          for (auto& m : config.modalities) m.precision = *args.precision;
        const io::weight_source weights(file);
        const Net net = model::load<Net>(weights, std::move(config));
        return run(net, weights);
      });
}

}  // namespace admn::cli
