// bench_executor — where admn's threads come from, measured on one ViT-B/16 block
// (batch 1, 197 tokens, fp32), in one process per configuration:
//
//   bench_executor [--sequence 1,2] [--arena executor|per-call] [--omp-threads N] [--runs R]
//
// For each thread count of --sequence in turn (e.g. 1,2 = the 1-thread runs, then the
// 2-thread runs in the same process, as a benchmark table does; 2,1 the reverse) it times
// R block runs (default 30, after 3 warm-ups) and prints the median and 90th percentile.
//   --arena executor   one admn::executor per thread count, built once (default)
//   --arena per-call   a fresh tbb::task_arena per block run (kernels::with_threads)
//   --omp-threads N    before every block run, one OpenMP parallel region of N threads
//                      (about 1 ms of work: a parallel sum, as a BLAS or a PyTorch op
//                      would run), so admn and libgomp share the cores. Its time is
//                      reported separately. Set OMP_WAIT_POLICY to compare libgomp's
//                      spinning (active, the default for a while after each region)
//                      with sleeping (passive).
// Results are checked bit-identical across the sequence (threads never change results).
#include <admn/kernels/executor.hpp>
#include <admn/kernels/parallel.hpp>

#include "common/random_model.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct options {
  std::vector<int> sequence{1, 2};
  bool per_call = false;
  int omp_threads = 0;
  int runs = 30;
};

std::vector<int> parse_list(std::string_view text) {
  std::vector<int> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    out.push_back(std::stoi(std::string(text.substr(start, end - start))));
    start = end + 1;
  }
  return out;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + std::string(flag));
    const std::string_view value = argv[++i];
    if (flag == "--sequence")
      o.sequence = parse_list(value);
    else if (flag == "--arena" && (value == "executor" || value == "per-call"))
      o.per_call = value == "per-call";
    else if (flag == "--omp-threads")
      o.omp_threads = std::stoi(std::string(value));
    else if (flag == "--runs")
      o.runs = std::max(1, std::stoi(std::string(value)));
    else
      throw std::invalid_argument("unknown argument " + std::string(flag) + " " + std::string(value));
  }
  return o;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

// An OpenMP parallel region of about a millisecond: a sum over 4 M floats.
double omp_region(const std::vector<float>& data, int threads) {
  double sum = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : sum) schedule(static)
  for (std::size_t i = 0; i < data.size(); ++i) sum += static_cast<double>(data[i]) * data[i];
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse(argc, argv);
    const auto block = admn::bench::random_block(768, 12, 11);
    const auto input = admn::bench::random_tensor(admn::shape{197, 768}, 1.0f, 12);
    admn::workspace ws;
    std::vector<float> omp_data(std::size_t{4} << 20, 0.5f);
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    std::printf(
        "bench_executor: ViT-B/16 block, batch 1, fp32; arena %s; OpenMP %s (OMP_WAIT_POLICY=%s)\n",
        o.per_call ? "per call (kernels::with_threads)" : "one admn::executor per thread count",
        o.omp_threads > 0 ? (std::to_string(o.omp_threads) + " threads before every run").c_str() : "off",
        policy != nullptr ? policy : "unset");
    std::printf("%7s %5s %10s %10s %12s\n", "threads", "runs", "median_ms", "p90_ms", "omp_median_ms");

    std::map<int, std::unique_ptr<admn::executor>> executors;
    std::vector<float> reference;
    bool identical = true;
    double checksum = 0;
    for (const int threads : o.sequence) {
      if (!o.per_call && !executors[threads])
        executors[threads] = std::make_unique<admn::executor>(admn::executor_options{.threads = threads});
      const auto one_block = [&] {
        auto x = input.clone();
        const auto forward = [&] { block.forward(x.view(), 1, 197, ws); };
        if (o.per_call)
          admn::kernels::with_threads(threads, forward);
        else
          executors[threads]->run(forward);
        return x;
      };
      std::vector<double> times, omp_times;
      for (int r = -3; r < o.runs; ++r) {
        if (o.omp_threads > 0) {
          const auto start = std::chrono::steady_clock::now();
          checksum += omp_region(omp_data, o.omp_threads);
          if (r >= 0) omp_times.push_back(ms_since(start));
        }
        const auto start = std::chrono::steady_clock::now();
        const admn::tensor x = one_block();
        const double ms = ms_since(start);
        if (r >= 0) times.push_back(ms);
        if (reference.empty()) reference.assign(x.values().begin(), x.values().end());
        identical = identical && std::equal(reference.begin(), reference.end(), x.values().begin());
      }
      std::printf("%7d %5d %10.2f %10.2f %12s\n", threads, o.runs, quantile(times, 0.5), quantile(times, 0.9),
                  omp_times.empty() ? "-" : std::to_string(quantile(omp_times, 0.5)).substr(0, 6).c_str());
      std::fflush(stdout);
    }
    std::printf("results identical across the sequence: %s%s\n", identical ? "yes" : "NO",
                checksum < 0 ? " " : "");
    return identical ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_executor: %s\n", e.what());
    return 2;
  }
}
