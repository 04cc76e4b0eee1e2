// admn-bench — latency and MACs of an ADMN model file by layer budget L, on this CPU.
//
//   admn-bench --model M.safetensors [--csv OUT.csv] [--threads 1,2] [--budgets all | 2,4,8]
//              [--repeat N] [--no-antialias] [--precision fp32|bf16|int8] [--bf16]
//
// For every thread count and budget L (default: every L from M to Σ depth, 1 and 2
// threads) it runs the network on one random sample (batch 1) and prints the median
// over N runs (default 3, after one warm-up) of
//   controller_ms  the controller alone (conv encoders, combiner, heads)
//   backbone_ms    the backbones alone with the plan the controller chose at this L
//                  (modalities in parallel, as run() does)
//   total_ms       the whole run(): preprocessing, controller, top-L, backbones, fusion, head
//   GMAC           the MACs of that plan with the controller (adaptive/cost.hpp conventions)
// and writes the same table as CSV (columns arch,threads,L,plan,controller_ms,
// backbone_ms,total_ms,gmac) for tools/plot_latency.sh — the picture of the ADMN paper's
// "latency and GFLOPs vs layers" figure, for this CPU. With random weights the split
// of L between modalities is arbitrary; for GTDM and MM-Fi it does not change the cost.
// --precision bf16 / int8 measures the opt-in bf16 or int8 backbone Linears
// (kernels/gemm_bf16.hpp, kernels/gemm_int8.hpp); --bf16 is --precision bf16.
// It ends with the process's resident memory (Linux only, from /proc/self/status):
// after loading, steady (VmRSS after all runs) and peak (VmHWM), in MiB and as a
// multiple of the model file's size. Each thread count runs in its own admn::executor.
// Errors print an [admn.…] message on stderr and exit 1.
#include <admn/adaptive/cost.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/kernels/executor.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/kernels/precision.hpp>
#include <admn/profiling/latency_profile.hpp>
#include <admn/zoo/registry.hpp>

#include <admn/cli/args.hpp>
#include <admn/cli/memory.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct arguments {
  std::string model;
  std::optional<std::string> csv;
  std::vector<int> threads{1, 2};
  std::vector<std::size_t> budgets;  // empty: all
  std::size_t repeat = 3;
  bool antialias = true;
  admn::kernels::precision precision = admn::kernels::precision::fp32;
};

constexpr const char* usage =
    "usage: admn-bench --model M.safetensors [--csv OUT.csv] [--threads 1,2] [--budgets all|L1,L2,...]\n"
    "                  [--repeat N] [--no-antialias] [--precision fp32|bf16|int8] [--bf16]\n";

// Counts come in lists here, and the message says so.
std::size_t parse_count(std::string_view flag, std::string_view text) {
  return admn::cli::parse_count(flag, text, "non-negative integers");
}

std::vector<std::size_t> parse_list(std::string_view flag, std::string_view text) {
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    out.push_back(parse_count(flag, text.substr(start, end - start)));
    if (end == text.size()) return out;
    start = end + 1;
  }
}

arguments parse(int argc, char** argv) {
  arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const auto value = [&] { return admn::cli::flag_value(argc, argv, i); };
    if (flag == "--model") {
      a.model = value();
    } else if (flag == "--csv") {
      a.csv = std::string(value());
    } else if (flag == "--threads") {
      a.threads.clear();
      for (const std::size_t t : parse_list(flag, value())) {
        if (t == 0 || t > 1024)
          throw admn::argument_error("admn.cli.value", "--threads takes counts in [1, 1024]");
        a.threads.push_back(static_cast<int>(t));
      }
    } else if (flag == "--budgets") {
      const std::string_view v = value();
      a.budgets = v == "all" ? std::vector<std::size_t>{} : parse_list(flag, v);
    } else if (flag == "--repeat") {
      a.repeat = parse_count(flag, value());
      if (a.repeat == 0 || a.repeat > 10000)
        throw admn::argument_error("admn.cli.value", "--repeat takes 1 to 10000");
    } else if (flag == "--no-antialias") {
      a.antialias = false;
    } else if (flag == "--precision") {
      a.precision = admn::kernels::parse_precision(value());
    } else if (flag == "--bf16") {
      a.precision = admn::kernels::precision::bf16;
    } else if (flag == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      throw admn::cli::unknown_flag(flag);
    }
  }
  if (a.model.empty()) throw admn::argument_error("admn.cli.missing_flag", "--model is required");
  return a;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median wall time of fn() in ms over `repeat` runs after one warm-up.
template <class Fn>
double time_ms(std::size_t repeat, Fn&& fn) {
  fn();
  std::vector<double> times;
  for (std::size_t r = 0; r < repeat; ++r) times.push_back(admn::cli::elapsed_ms(fn));
  return median(times);
}

struct row {
  int threads;
  std::size_t layers;
  std::string plan;
  double controller_ms, backbone_ms, total_ms, gmac;
};

int run(const arguments& args) {
  const auto model =
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(args.model));
  const std::string arch = admn::zoo::arch_of(*model);
  return admn::zoo::with_network(
      model, args.antialias,
      [&](const auto& net, const admn::io::weight_source&) {
        using net_type = std::decay_t<decltype(net)>;
        constexpr std::size_t count = net_type::modality_count;
        if constexpr (!net_type::has_controller()) {
          throw admn::argument_error("admn.cli.budget", "admn-bench needs a network with a controller");
        } else {
          const auto depths = net.depths();
          std::size_t total_blocks = 0;
          for (const std::size_t d : depths) total_blocks += d;
          std::vector<std::size_t> budgets = args.budgets;
          if (budgets.empty())
            for (std::size_t l = count; l <= total_blocks; ++l) budgets.push_back(l);
          for (const std::size_t l : budgets) admn::adaptive::check_budget(l, depths);

          // One random sample: raw inputs for run(), backbone-ready images for the parts.
          std::vector<admn::tensor> raw, ready, features;
          for (std::size_t m = 0; m < count; ++m) {
            const auto& mc = net.config().modalities[m];
            const auto& b = net.backbone(m);
            raw.push_back(admn::profiling::random_input(
                admn::shape{1, mc.instances, admn::profiling::modality_input_channels<net_type>[m],
                            mc.image[0], mc.image[1]},
                m + 1));
            ready.push_back(admn::profiling::random_input(
                admn::shape{mc.instances, b.channels(), mc.image[0], mc.image[1]}, m + 11));
            features.push_back(admn::tensor(admn::shape{mc.instances, b.dim()}));
          }
          std::vector<admn::const_view> raw_views, ready_views;
          for (const auto& t : raw) raw_views.push_back(t.view());
          for (const auto& t : ready) ready_views.push_back(t.view());
          admn::workspace run_ws;
          admn::workspace controller_ws;
          std::vector<admn::workspace> backbone_ws(count);
          admn::tensor logits(admn::shape{1, net.total_blocks()}),
              qoi(admn::shape{1, net.controller().qoi_count()});

          std::printf("admn-bench: %s (%s), %s, batch 1, median of %zu runs after a warm-up\n", arch.c_str(),
                      args.model.c_str(), admn::profiling::machine_description().c_str(), args.repeat);
          std::printf("%7s %4s  %-40s %13s %11s %9s %8s\n", "threads", "L", "plan", "controller_ms",
                      "backbone_ms", "total_ms", "GMAC");
          std::vector<row> rows;
          const admn::cli::resident_memory loaded = admn::cli::resident();
          for (const int threads : args.threads) {
            const admn::executor ex({.threads = threads});
            ex.run([&] {
              const double controller_ms = time_ms(args.repeat, [&] {
                net.controller().forward(ready_views, logits.view(), qoi.view(), controller_ws);
              });
              for (const std::size_t layers : budgets) {
                const admn::model::run_options options{.budget = layers};
                const admn::adaptive::layer_plan plan = net.run(raw_views, options, run_ws).plans[0];
                const double backbone_ms = time_ms(args.repeat, [&] {
                  admn::kernels::for_each_chunk(count, 1, [&](std::size_t m, std::size_t) {
                    net.backbone(m).forward(ready_views[m], plan[m].blocks(), features[m].view(),
                                            backbone_ws[m]);
                  });
                });
                const double total_ms =
                    time_ms(args.repeat, [&] { (void)net.run(raw_views, options, run_ws); });
                const double gmac = static_cast<double>(net.macs(plan)) / 1e9;
                rows.push_back(
                    {threads, layers, plan.to_string(), controller_ms, backbone_ms, total_ms, gmac});
                std::printf("%7d %4zu  %-40s %13.2f %11.2f %9.2f %8.2f\n", threads, layers,
                            plan.to_string().c_str(), controller_ms, backbone_ms, total_ms, gmac);
                std::fflush(stdout);
              }
            });
          }
          if (const auto now = admn::cli::resident(); now.known) {
            const double file_mib = static_cast<double>(model->file_size()) / 1048576.0;
            std::printf(
                "resident memory (Linux VmHWM/VmRSS): model file %.1f MiB; after loading %.1f MiB (%.3fx); "
                "steady %.1f MiB (%.3fx) after the runs; peak %.1f MiB (%.3fx)\n",
                file_mib, loaded.now_mib, loaded.now_mib / file_mib, now.now_mib, now.now_mib / file_mib,
                now.peak_mib, now.peak_mib / file_mib);
          }
          if (args.csv) {
            std::ofstream out(*args.csv, std::ios::trunc);
            out << "arch,threads,L,plan,controller_ms,backbone_ms,total_ms,gmac\n";
            char line[512];
            for (const auto& r : rows) {
              std::snprintf(line, sizeof line, "%s,%d,%zu,\"%s\",%.3f,%.3f,%.3f,%.4f\n", arch.c_str(),
                            r.threads, r.layers, r.plan.c_str(), r.controller_ms, r.backbone_ms, r.total_ms,
                            r.gmac);
              out << line;
            }
            if (!out.flush()) throw admn::load_error("admn.bench.io", "cannot write '" + *args.csv + "'");
            std::printf("wrote %s\n", args.csv->c_str());
          }
          return 0;
        }
      },
      {}, args.precision);
}

}  // namespace

int main(int argc, char** argv) {
  return admn::cli::guarded_main("admn-bench", [&] { return run(parse(argc, argv)); });
}
