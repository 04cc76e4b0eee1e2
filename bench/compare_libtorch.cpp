// compare_libtorch — admn against libtorch on the same weights and inputs, in one process.
//
// For each case the implementations run alternately (A, B, A, B, …) after a warm-up,
// and the medians are compared, so drifting machine load hits both equally. Outputs
// are checked to agree before any timing. libtorch runs the ViT block the way timm
// writes it (plain ATen ops: layer_norm, linear, matmul, softmax, gelu) and, for one
// block, also as its fused native `_transformer_encoder_layer_fwd`. With --gtdm, the
// whole GTDM network at budget L = 8, batch 1, controller included, runs against the
// same network in plain ATen ops (common/torch_gtdm.hpp), and the controller is timed
// alone to give its share of admn's run. Each admn row's GFLOP/s is also given as a
// share of the FMA peak (common/fma_peak.hpp, measured on one thread at start) times
// the thread count. Run through tools/bench-peers.sh, which gives libtorch its best
// settings (OpenBLAS AVX-512 kernels, passive OpenMP waiting) and makes the GTDM file.
//
//   compare_libtorch [--repetitions N] [--threads 1,2] [--gtdm MODEL.safetensors]
//                    [--markdown FILE] [--settings FILE]
// MODEL is tests/reference/gtdm_full.py's model.safetensors; its cases.safetensors,
// when beside it, is checked too. --markdown writes the table and the summary,
// --settings the libtorch settings and the peak, both as markdown.
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/layers/encoder_block.hpp>
#include <admn/model/vit_backbone.hpp>
#include <admn/models/gtdm.hpp>
#include <admn/models/registry.hpp>

#include "common/executors.hpp"
#include "common/fma_peak.hpp"
#include "common/random_model.hpp"
#include "common/torch_gtdm.hpp"

#include <torch/torch.h>

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using admn::shape;
using admn::tensor;
namespace torch_ref = admn::bench::torch_ref;

// The raw parameters of one timm block, shared by both implementations.
struct block_weights {
  tensor norm1_w, norm1_b, qkv_w, qkv_b, proj_w, proj_b, norm2_w, norm2_b, fc1_w, fc1_b, fc2_w, fc2_b;
};

block_weights make_block_weights(std::size_t dim, std::uint32_t seed) {
  using admn::bench::random_tensor;
  const auto around_one = [&](std::uint32_t s) {
    tensor t = random_tensor(shape{dim}, 0.1f, s);
    for (float& v : t.values()) v += 1.0f;
    return t;
  };
  const float s_in = 1.0f / static_cast<float>(dim), s_hidden = 1.0f / static_cast<float>(4 * dim);
  return {around_one(seed),
          random_tensor(shape{dim}, 0.1f, seed + 1),
          random_tensor(shape{3 * dim, dim}, s_in * 16, seed + 2),
          random_tensor(shape{3 * dim}, 0.1f, seed + 3),
          random_tensor(shape{dim, dim}, s_in * 16, seed + 4),
          random_tensor(shape{dim}, 0.1f, seed + 5),
          around_one(seed + 6),
          random_tensor(shape{dim}, 0.1f, seed + 7),
          random_tensor(shape{4 * dim, dim}, s_in * 16, seed + 8),
          random_tensor(shape{4 * dim}, 0.1f, seed + 9),
          random_tensor(shape{dim, 4 * dim}, s_hidden * 16, seed + 10),
          random_tensor(shape{dim}, 0.1f, seed + 11)};
}

admn::layers::encoder_block admn_block(const block_weights& w, std::size_t heads) {
  namespace L = admn::layers;
  return L::encoder_block(L::layer_norm(w.norm1_w.clone(), w.norm1_b.clone()),
                          L::multi_head_attention(L::linear(w.qkv_w, w.qkv_b.clone()),
                                                  L::linear(w.proj_w, w.proj_b.clone()), {.heads = heads}),
                          L::layer_norm(w.norm2_w.clone(), w.norm2_b.clone()),
                          L::mlp(L::linear(w.fc1_w, w.fc1_b.clone()), L::linear(w.fc2_w, w.fc2_b.clone()),
                                 {admn::kernels::activation::gelu_erf}));
}

torch::Tensor to_torch(const tensor& t) {
  std::vector<int64_t> sizes(t.shape().dims().begin(), t.shape().dims().end());
  return torch::from_blob(const_cast<float*>(t.data()), sizes, torch::kFloat32).clone();
}

torch_ref::timm_block_weights to_torch(const block_weights& w) {
  return {to_torch(w.norm1_w), to_torch(w.norm1_b), to_torch(w.qkv_w),   to_torch(w.qkv_b),
          to_torch(w.proj_w),  to_torch(w.proj_b),  to_torch(w.norm2_w), to_torch(w.norm2_b),
          to_torch(w.fc1_w),   to_torch(w.fc1_b),   to_torch(w.fc2_w),   to_torch(w.fc2_b)};
}

struct torch_block {
  torch_ref::timm_block_weights w;
  int64_t dim, heads;

  // timm Block.forward with plain ATen ops (docs/numerics.md §2.3).
  torch::Tensor operator()(const torch::Tensor& x) const { return torch_ref::timm_block(x, w, heads); }

  // libtorch's fused encoder layer (the nn.TransformerEncoderLayer fast path), norm_first, GELU.
  torch::Tensor fused(const torch::Tensor& x) const {
    return at::_transformer_encoder_layer_fwd(x, dim, heads, w.qkv_w, w.qkv_b, w.proj_w, w.proj_b,
                                              /*use_gelu=*/true, /*norm_first=*/true, 1e-5, w.norm1_w,
                                              w.norm1_b, w.norm2_w, w.norm2_b, w.fc1_w, w.fc1_b, w.fc2_w,
                                              w.fc2_b, c10::nullopt, c10::nullopt);
  }
};

double max_relative(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "compare_libtorch: %s\n", message.c_str());
  std::exit(1);
}

struct row {
  std::string name;
  int threads;
  std::size_t batch;
  double admn_ms, torch_ms, fused_ms;  // fused_ms < 0: not applicable
  double gflop;                        // of one admn run
};

// Medians of `reps` alternating runs of each function.
std::vector<double> alternate(const std::vector<std::function<void()>>& fns, int reps) {
  std::vector<std::vector<double>> times(fns.size());
  for (const auto& f : fns) f();  // warm-up: thread pools, first-touch, caches
  for (int r = 0; r < reps; ++r)
    for (std::size_t i = 0; i < fns.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      fns[i]();
      times[i].push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
  std::vector<double> medians;
  for (auto& t : times) {
    std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(t.size() / 2), t.end());
    medians.push_back(t[t.size() / 2]);
  }
  return medians;
}

row compare_block(const std::string& name, std::size_t dim, std::size_t heads, std::size_t batch, int threads,
                  int reps) {
  const block_weights w = make_block_weights(dim, 7);
  const auto block = admn_block(w, heads);
  const torch_block tb{to_torch(w), static_cast<int64_t>(dim), static_cast<int64_t>(heads)};
  const std::size_t tokens = 197;
  const tensor input = admn::bench::random_tensor(shape{batch, tokens, dim}, 1.0f, 99);
  const torch::Tensor tx = to_torch(input);
  tensor x = input.clone();
  admn::workspace ws(block.workspace_floats(batch, tokens));
  const admn::mutable_view rows = x.view().reshape(shape{batch * tokens, dim});

  torch::NoGradGuard no_grad;
  // Agreement before timing.
  block.forward(rows, batch, tokens, ws);
  const torch::Tensor ref = tb(tx);
  const double err = max_relative(to_torch(x).reshape({int64_t(batch), int64_t(tokens), int64_t(dim)}), ref);
  const double fused_err = max_relative(tb.fused(tx), ref);
  if (err > 1e-4 || fused_err > 1e-4)
    fail(name + ": outputs disagree (admn " + std::to_string(err) + ", fused " + std::to_string(fused_err) +
         ")");
  std::vector<double> m;
  admn::bench::executor_for(threads).run([&] {
    m = alternate({[&] {
                     std::copy(input.values().begin(), input.values().end(), x.values().begin());
                     block.forward(rows, batch, tokens, ws);
                   },
                   [&] { (void)tb(tx); }, [&] { (void)tb.fused(tx); }},
                  reps);
  });
  return {name, threads, batch, m[0], m[1], m[2], 2.0 * double(block.macs(batch, tokens)) / 1e9};
}

row compare_backbone(const std::string& name, std::size_t kept, int threads, int reps) {
  const std::size_t dim = 768, depth = 12, heads = 12;
  std::vector<admn::layers::encoder_block> blocks;
  torch_ref::vit_weights tvit;
  tvit.heads = static_cast<int64_t>(heads);
  for (std::size_t i = 0; i < depth; ++i) {
    const block_weights bw = make_block_weights(dim, 100 + 20 * static_cast<std::uint32_t>(i));
    blocks.push_back(admn_block(bw, heads));
    tvit.blocks.push_back(to_torch(bw));
  }
  const tensor patch_w = admn::bench::random_tensor(shape{dim, 3, 16, 16}, 0.02f, 1);
  const tensor patch_b = admn::bench::random_tensor(shape{dim}, 0.1f, 2);
  const tensor cls = admn::bench::random_tensor(shape{1, dim}, 0.5f, 3);
  const tensor pos = admn::bench::random_tensor(shape{197, dim}, 0.5f, 4);
  const tensor norm_w = admn::bench::random_tensor(shape{dim}, 0.1f, 5),
               norm_b = admn::bench::random_tensor(shape{dim}, 0.1f, 6);
  const admn::model::vit_backbone vit(
      admn::layers::patch_embed(patch_w, patch_b.clone()), admn::layers::class_token(cls.clone()),
      admn::layers::learned_position_embedding(pos.clone()), std::move(blocks),
      admn::layers::layer_norm(norm_w.clone(), norm_b.clone()));
  tvit.patch_w = to_torch(patch_w);
  tvit.patch_b = to_torch(patch_b);
  tvit.cls = to_torch(cls).reshape({1, 1, 768});
  tvit.pos = to_torch(pos).reshape({1, 197, 768});
  tvit.norm_w = to_torch(norm_w);
  tvit.norm_b = to_torch(norm_b);
  std::vector<std::size_t> run(kept);
  std::iota(run.begin(), run.end(), std::size_t{0});
  const tensor image = admn::bench::random_tensor(shape{1, 3, 224, 224}, 1.0f, 5);
  const torch::Tensor timage = to_torch(image);
  tensor out(shape{1, dim});
  admn::workspace ws(vit.workspace_floats(1, 224, 224));
  torch::NoGradGuard no_grad;
  vit.forward(image.view(), run, out.view(), ws);
  const double err = max_relative(to_torch(out), torch_ref::vit_forward(tvit, timage, run));
  if (err > 1e-4) fail(name + ": outputs disagree (" + std::to_string(err) + ")");
  std::vector<double> m;
  admn::bench::executor_for(threads).run([&] {
    m = alternate({[&] { vit.forward(image.view(), run, out.view(), ws); },
                   [&] { (void)torch_ref::vit_forward(tvit, timage, run); }},
                  reps);
  });
  const double gflop = 2.0 * double(kept * vit.block_macs(1) + vit.patch_embedding().macs(1, 224, 224)) / 1e9;
  return {name, threads, 1, m[0], m[1], -1.0, gflop};
}

// The full GTDM network, admn against torch_gtdm.hpp, loaded once from one file.
class gtdm_comparison {
 public:
  static constexpr std::size_t budget = 8;
  using network = admn::models::gtdm::network;

  explicit gtdm_comparison(const std::filesystem::path& model)
      : file_(std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(model))),
        net_(load_admn(file_)),
        torch_net_(torch_ref::load_weights(*file_)),
        ws_(net_.make_workspace(1)) {}

  // Checks both implementations against the golden cases (when the file is given),
  // then against each other on the timing input; exits on a disagreement.
  void check(const std::filesystem::path& cases_path) {
    std::optional<std::pair<tensor, tensor>> timing_input;
    if (std::filesystem::exists(cases_path)) {
      const auto cases =
          std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(cases_path));
      const admn::io::weight_source golden(cases);
      const auto meta_value = [&](const std::string& key) {
        const auto& meta = cases->metadata();
        if (!meta || !meta->contains(key)) fail(cases_path.string() + ": no '" + key + "' in __metadata__");
        return meta->at(key);
      };
      std::stringstream names(meta_value("cases"));
      for (std::string c; std::getline(names, c, ',');) {
        const std::size_t l = std::stoul(meta_value(c + ".budget"));
        tensor rgb = golden.load(c + ".zed_camera_left"), depth = golden.load(c + ".realsense_camera_depth");
        const outputs expected{to_torch(golden.load(c + ".layer_mask")),
                               to_torch(golden.load(c + ".controller_logits")),
                               to_torch(golden.load(c + ".qoi")), to_torch(golden.load(c + ".pred_mean")),
                               to_torch(golden.load(c + ".pred_cov"))};
        agree("admn vs golden " + c, run_admn(rgb, depth, l), expected);
        agree("libtorch vs golden " + c, run_torch(rgb, depth, l), expected);
        if (l == budget && !timing_input) timing_input.emplace(std::move(rgb), std::move(depth));
      }
    } else {
      std::printf("GTDM: no %s, golden cases not checked\n", cases_path.string().c_str());
    }
    if (!timing_input)
      timing_input.emplace(admn::bench::random_tensor(shape{1, 3, 3, 224, 224}, 1.0f, 21),
                           admn::bench::random_tensor(shape{1, 3, 3, 224, 224}, 1.0f, 22));
    rgb_ = std::move(timing_input->first);
    depth_ = std::move(timing_input->second);
    torch_rgb_ = to_torch(rgb_);
    torch_depth_ = to_torch(depth_);
    const outputs theirs = run_torch(rgb_, depth_, budget);
    agree("admn vs libtorch", run_admn(rgb_, depth_, budget), theirs);
    const admn::model::network_result run = net_.run(inputs(), {.budget = budget}, ws_);
    plan_ = run.plans.front();

    // The controller timed alone must be the computation run() does: the same bits.
    tensor logits(shape{1, net_.total_blocks()}), qoi(shape{1, net_.controller().qoi_count()});
    run_controller(logits, qoi);
    if (!torch::equal(to_torch(logits), to_torch(run.controller_logits)) ||
        !torch::equal(to_torch(qoi), to_torch(run.qoi)))
      fail("GTDM: admn's controller alone differs from the controller inside run()");
    std::printf("GTDM: L = %zu plan %s, %.1f GFLOP per run (controller %.2f)\n", budget,
                plan_.to_string().c_str(), 2.0 * double(net_.macs(plan_)) / 1e9,
                2.0 * double(net_.controller().macs(1)) / 1e9);
  }

  // Rows: the whole network (controller included) and the controller alone. The
  // controller share is the ratio of their admn medians; the controller alone is
  // controller().forward on the same inputs and workspace, the call run() makes in its
  // step 2 (GTDM has no preprocessing stage, so the inputs run() hands it are these).
  std::array<row, 2> compare(int threads, int reps) {
    tensor logits(shape{1, net_.total_blocks()}), qoi(shape{1, net_.controller().qoi_count()});
    torch::NoGradGuard no_grad;
    std::vector<double> m;
    admn::bench::executor_for(threads).run([&] {
      m = alternate({[&] { (void)net_.run(inputs(), {.budget = budget}, ws_); },
                     [&] { (void)torch_net_.forward(torch_rgb_, torch_depth_, budget); },
                     [&] { run_controller(logits, qoi); },
                     [&] { (void)torch_net_.controller(torch_rgb_, torch_depth_); }},
                    reps);
    });
    return {row{"GTDM L=8, batch 1, controller included", threads, 1, m[0], m[1], -1.0,
                2.0 * double(net_.macs(plan_)) / 1e9},
            row{"GTDM controller alone, batch 1", threads, 1, m[2], m[3], -1.0,
                2.0 * double(net_.controller().macs(1)) / 1e9}};
  }

 private:
  struct outputs {
    torch::Tensor mask, logits, qoi, mean, cov;
  };

  static network load_admn(const std::shared_ptr<const admn::io::safetensors_file>& file) {
    const std::string arch = admn::models::arch_of(*file);
    if (arch != "gtdm") fail("--gtdm: the model's admn.arch is '" + arch + "', not 'gtdm'");
    return admn::model::load<network>(admn::io::weight_source(file), admn::models::gtdm::config(true));
  }

  std::array<admn::const_view, 2> inputs() const { return {rgb_.view(), depth_.view()}; }

  void run_controller(tensor& logits, tensor& qoi) const {
    const std::array<admn::const_view, 2> images{rgb_.view().reshape(shape{3, 3, 224, 224}),
                                                 depth_.view().reshape(shape{3, 3, 224, 224})};
    net_.controller().forward(images, logits.view(), qoi.view(), ws_);
  }

  outputs run_admn(const tensor& rgb, const tensor& depth, std::size_t l) {
    const std::array<admn::const_view, 2> in{rgb.view(), depth.view()};
    const admn::model::network_result r = net_.run(in, {.budget = l}, ws_);
    auto mask = torch::zeros({1, 2, 12});
    for (int64_t m = 0; m < 2; ++m)
      for (int64_t b = 0; b < 12; ++b)
        if (r.plans.front()[static_cast<std::size_t>(m)].kept(static_cast<std::size_t>(b)))
          mask[0][m][b] = 1.0f;
    return {mask, to_torch(r.controller_logits), to_torch(r.qoi), to_torch(r.output("pred_mean")),
            to_torch(r.output("pred_cov"))};
  }

  outputs run_torch(const tensor& rgb, const tensor& depth, std::size_t l) const {
    const torch_ref::gtdm_result r =
        torch_net_.forward(to_torch(rgb), to_torch(depth), static_cast<int64_t>(l));
    return {r.layer_mask, r.controller_logits, r.qoi, r.pred_mean, r.pred_cov};
  }

  static void agree(const std::string& what, const outputs& got, const outputs& want) {
    const double e_logits = max_relative(got.logits, want.logits), e_qoi = max_relative(got.qoi, want.qoi),
                 e_mean = max_relative(got.mean, want.mean), e_cov = max_relative(got.cov, want.cov);
    const bool same_mask = torch::equal(got.mask, want.mask);
    std::printf(
        "GTDM %s: masks %s, max relative difference logits %.1e, qoi %.1e, pred_mean %.1e, pred_cov %.1e\n",
        what.c_str(), same_mask ? "identical" : "DIFFER", e_logits, e_qoi, e_mean, e_cov);
    if (!same_mask || std::max({e_logits, e_qoi, e_mean, e_cov}) > 1e-4)
      fail("GTDM " + what + ": outputs disagree");
  }

  std::shared_ptr<const admn::io::safetensors_file> file_;
  network net_;
  torch_ref::gtdm torch_net_;
  mutable admn::workspace ws_;
  tensor rgb_, depth_;
  torch::Tensor torch_rgb_, torch_depth_;
  admn::adaptive::layer_plan plan_;
};

// The settings libtorch runs with, as markdown list items.
// libtorch's threads: ATen's OpenMP pool, and OpenBLAS's own pthread pool, which
// at::set_num_threads does not reach (Debian's libopenblas0-pthread) — without
// openblas_set_num_threads a "1-thread" libtorch GEMM would use every core.
void set_libtorch_threads(int threads) {
  at::set_num_threads(threads);
  using set_fn = void (*)(int);
  if (const auto set = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(threads);
}

// OpenBLAS's thread count, or -1 without OpenBLAS.
int openblas_threads() {
  using get_fn = int (*)();
  const auto get = reinterpret_cast<get_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : -1;
}

std::vector<std::string> libtorch_settings() {
  std::vector<std::string> out;
  out.push_back(std::string("libtorch ") + TORCH_VERSION);
  for (const char* name : {"OPENBLAS_CORETYPE", "OMP_WAIT_POLICY"}) {
    const char* value = std::getenv(name);
    out.push_back(std::string(name) + "=" + (value ? value : "(unset)"));
  }
  out.push_back("at::get_num_threads() = " + std::to_string(at::get_num_threads()) +
                " at start; each row sets 1 or 2 with at::set_num_threads and openblas_set_num_threads "
                "(OpenBLAS's pthread pool ignores the former; " +
                std::to_string(openblas_threads()) + " OpenBLAS threads at start), interop threads 1");
  // The BLAS actually loaded: libblas.so.3 is a Debian alternative, so read the mapped files.
  std::set<std::string> blas;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string file = std::filesystem::path(path).filename().string();
    const bool library = file.rfind("lib", 0) == 0 && file.find(".so") != std::string::npos;
    const bool wanted = file.find("blas") != std::string::npos || file.find("mkl") != std::string::npos ||
                        file.find("lapack") != std::string::npos || file.find("omp") != std::string::npos;
    if (library && wanted) blas.insert(path);
  }
  std::string libs;
  for (const auto& p : blas) libs += (libs.empty() ? "" : ", ") + p;
  out.push_back("BLAS/OpenMP libraries mapped: " + (libs.empty() ? std::string("none found") : libs));
  using name_fn = char* (*)();
  if (const auto corename = reinterpret_cast<name_fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    out.push_back(std::string("OpenBLAS kernels in use: ") + corename());
  if (const auto config = reinterpret_cast<name_fn>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
    out.push_back(std::string("OpenBLAS config: ") + config());
  return out;
}

int parse_positive(const std::string& flag, const std::string& text) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 1 || value > 1024) {
    std::fprintf(stderr, "compare_libtorch: %s needs a positive integer, got '%s'\n", flag.c_str(),
                 text.c_str());
    std::exit(2);
  }
  return value;
}

std::string fixed(double v, int digits) {
  char s[64];
  std::snprintf(s, sizeof s, "%.*f", digits, v);
  return s;
}

// The faster of libtorch's two forms (plain ATen, fused) where both ran.
double best(const row& r) { return r.fused_ms < 0 ? r.torch_ms : std::min(r.torch_ms, r.fused_ms); }

const row* find_row(const std::vector<row>& rows, const std::string& name, int threads) {
  for (const auto& r : rows)
    if (r.name == name && r.threads == threads) return &r;
  return nullptr;
}

// Lines under the table: the targets of issue 7, read off the rows.
std::vector<std::string> summary(const std::vector<row>& rows, const std::vector<int>& thread_counts) {
  std::vector<std::string> out;
  for (const int t : thread_counts) {
    const row* one = find_row(rows, "ViT-B block, batch 1", t);
    const row* eight = find_row(rows, "ViT-B block, batch 8", t);
    if (one && eight)
      out.push_back("ViT-B block, " + std::to_string(t) + " thread(s): batch 8 costs " +
                    fixed(eight->admn_ms / 8, 2) + " ms per sample in admn vs " + fixed(one->admn_ms, 2) +
                    " ms at batch 1 (per-sample throughput x" +
                    fixed(one->admn_ms / (eight->admn_ms / 8), 2) + "; target >= 1); best libtorch " +
                    fixed(best(*eight) / 8, 2) + " vs " + fixed(best(*one), 2) + " ms");
  }
  const std::string full = "ViT-B/16 backbone, 12 of 12 blocks";
  if (const row* one = find_row(rows, full, 1), *two = find_row(rows, full, 2); one && two)
    out.push_back("2-thread / 1-thread speed-up, " + full + ": admn x" +
                  fixed(one->admn_ms / two->admn_ms, 2) + " (target >= 1.8), libtorch x" +
                  fixed(one->torch_ms / two->torch_ms, 2));
  for (const int t : thread_counts) {
    const row* net = find_row(rows, "GTDM L=8, batch 1, controller included", t);
    const row* ctrl = find_row(rows, "GTDM controller alone, batch 1", t);
    if (net && ctrl)
      out.push_back("GTDM L=8, " + std::to_string(t) + " thread(s): admn / libtorch " +
                    fixed(net->admn_ms / net->torch_ms, 3) +
                    " (target <= 0.7); controller share of the run: admn " +
                    fixed(100.0 * ctrl->admn_ms / net->admn_ms, 1) + " % (target < 5 %), libtorch " +
                    fixed(100.0 * ctrl->torch_ms / net->torch_ms, 1) + " %");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  int reps = 30;
  std::vector<int> thread_counts{1, 2};
  std::string markdown, settings_markdown, gtdm_model;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc || a.rfind("--", 0) != 0 ||
        (a != "--repetitions" && a != "--threads" && a != "--markdown" && a != "--settings" &&
         a != "--gtdm")) {
      std::fprintf(stderr,
                   "usage: compare_libtorch [--repetitions N] [--threads 1,2] [--gtdm MODEL.safetensors]\n"
                   "                        [--markdown FILE] [--settings FILE]\n");
      return 2;
    }
    const std::string value = argv[++i];
    if (a == "--repetitions") {
      reps = parse_positive(a, value);
    } else if (a == "--threads") {
      thread_counts.clear();
      std::stringstream s(value);
      for (std::string t; std::getline(s, t, ',');) thread_counts.push_back(parse_positive(a, t));
    } else if (a == "--markdown") {
      markdown = value;
    } else if (a == "--settings") {
      settings_markdown = value;
    } else {
      gtdm_model = value;
    }
  }
  const int long_reps = std::max(3, reps / 4);
  // Allowed once, before any parallel work; nothing here forks inter-op tasks anyway.
  at::set_num_interop_threads(1);

  // Settings and the FMA peak first, before any thread pool is busy.
  const std::vector<std::string> settings = libtorch_settings();
  const double peak = admn::bench::best_fma_peak_gflops();
  for (const auto& s : settings) std::printf("%s\n", s.c_str());
  std::printf("%s", at::get_parallel_info().c_str());
  std::printf("FMA peak: %.1f GFLOP/s on 1 thread\n", peak);
  if (!settings_markdown.empty()) {
    std::ofstream md(settings_markdown);
    for (const auto& s : settings) md << "- " << s << "\n";
    md << "- FMA peak measured at start (bench/common/fma_peak.hpp, best of 5 x 0.1 s): " << fixed(peak, 1)
       << " GFLOP/s on 1 thread; \"% of FMA peak\" divides admn's GFLOP/s by this times the thread count\n"
       << "- at::get_parallel_info():\n\n```\n"
       << at::get_parallel_info() << "```\n";
    if (!md) fail("cannot write " + settings_markdown);
  }

  std::optional<gtdm_comparison> gtdm;
  if (!gtdm_model.empty()) {
    gtdm.emplace(gtdm_model);
    gtdm->check(std::filesystem::path(gtdm_model).parent_path() / "cases.safetensors");
  } else {
    std::printf("GTDM: skipped (give --gtdm MODEL; tools/bench-peers.sh makes one)\n");
  }

  std::vector<row> rows;
  for (const int t : thread_counts) {
    set_libtorch_threads(t);
    rows.push_back(compare_block("ViT-B block, batch 1", 768, 12, 1, t, reps));
    rows.push_back(compare_block("ViT-B block, batch 8", 768, 12, 8, t, long_reps));
    rows.push_back(compare_block("ViT-S block, batch 1", 384, 6, 1, t, reps));
    rows.push_back(compare_backbone("ViT-B/16 backbone, 12 of 12 blocks", 12, t, long_reps));
    rows.push_back(compare_backbone("ViT-B/16 backbone, 6 of 12 blocks", 6, t, long_reps));
    if (gtdm)
      for (const row& r : gtdm->compare(t, long_reps)) rows.push_back(r);
  }

  std::ostringstream table;
  table
      << "| case | threads | admn ms | libtorch ms | libtorch fused ms | admn / libtorch | admn ms/sample | "
         "best libtorch ms/sample | admn GFLOP/s | % of FMA peak |\n"
      << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    const double best_torch = best(r);
    const double gflops = r.gflop / (r.admn_ms / 1e3);
    const double n = static_cast<double>(r.batch);
    table << "| " << r.name << " | " << r.threads << " | " << fixed(r.admn_ms, 2) << " | "
          << fixed(r.torch_ms, 2) << " | " << (r.fused_ms < 0 ? "—" : fixed(r.fused_ms, 2)) << " | "
          << fixed(r.admn_ms / best_torch, 3) << " | " << fixed(r.admn_ms / n, 2) << " | "
          << fixed(best_torch / n, 2) << " | " << fixed(gflops, 1) << " | "
          << fixed(100.0 * gflops / (peak * r.threads), 1) << " |\n";
  }
  std::string lines;
  for (const auto& s : summary(rows, thread_counts)) lines += "- " + s + "\n";
  std::printf("%s\n%s", table.str().c_str(), lines.c_str());
  if (!markdown.empty()) {
    std::ofstream md(markdown);
    md << table.str() << "\n" << lines;
    if (!md) fail("cannot write " + markdown);
  }
  return 0;
} catch (const admn::error& e) {
  std::fprintf(stderr, "compare_libtorch: %s\n", e.what());
  return 1;
} catch (const c10::Error& e) {
  std::fprintf(stderr, "compare_libtorch: libtorch: %s\n", e.what_without_backtrace());
  return 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "compare_libtorch: %s\n", e.what());
  return 1;
}
