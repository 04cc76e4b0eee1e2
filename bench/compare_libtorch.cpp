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
// the thread count. admn runs at every precision this build offers (fp32; bf16 with
// AVX512-BF16; int8 once kernels::precision has it), each in the same alternation, with
// its output's relative difference from admn's fp32 output reported. Run through
// tools/bench-peers.sh, which gives libtorch its best settings (OpenBLAS AVX-512 kernels,
// passive OpenMP waiting), makes the model files and runs the other peers (ONNX Runtime,
// PyTorch dynamic int8) in rounds alternating with this process.
//
//   compare_libtorch [--repetitions N] [--threads 1,2] [--gtdm MODEL.safetensors]
//                    [--vit DIR] [--peer-only] [--markdown FILE] [--settings FILE] [--json FILE]
// MODEL is tests/reference/gtdm_full.py's model.safetensors; its cases.safetensors,
// when beside it, is checked too. DIR is tests/reference/vit_peers.py's output: the ViT-B
// block (batch 1) and backbone rows then run its weights and inputs (random ones otherwise),
// are checked against its PyTorch outputs, and admn's fp32 outputs are written to
// DIR/admn_outputs.safetensors for the other peers to check against. --peer-only skips the
// rows no other peer has (ViT-B block at batch 8, ViT-S block). --markdown writes the table
// and the summary, --settings the libtorch settings and the peak, both as markdown, --json
// (appended) one line per row and implementation with every timed run.
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/io/writer.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/layers/encoder_block.hpp>
#include <admn/model/vit_backbone.hpp>
#include <admn/zoo/gtdm.hpp>
#include <admn/zoo/registry.hpp>

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
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
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

// The timm block's parameters under `prefix` (e.g. "blocks.0.") of a vit_peers.py file.
block_weights load_block_weights(const admn::io::weight_source& w, const std::string& prefix) {
  const auto get = [&](const char* key) { return w.load(prefix + key); };
  return {get("norm1.weight"),     get("norm1.bias"),     get("attn.qkv.weight"), get("attn.qkv.bias"),
          get("attn.proj.weight"), get("attn.proj.bias"), get("norm2.weight"),    get("norm2.bias"),
          get("mlp.fc1.weight"),   get("mlp.fc1.bias"),   get("mlp.fc2.weight"),  get("mlp.fc2.bias")};
}

using admn::kernels::precision;

admn::layers::encoder_block admn_block(const block_weights& w, std::size_t heads,
                                       precision p = precision::fp32) {
  namespace L = admn::layers;
  return L::encoder_block(
      L::layer_norm(w.norm1_w.clone(), w.norm1_b.clone()),
      L::multi_head_attention(L::linear(w.qkv_w, w.qkv_b.clone(), p),
                              L::linear(w.proj_w, w.proj_b.clone(), p), {.heads = heads}),
      L::layer_norm(w.norm2_w.clone(), w.norm2_b.clone()),
      L::mlp(L::linear(w.fc1_w, w.fc1_b.clone(), p), L::linear(w.fc2_w, w.fc2_b.clone(), p),
             {admn::kernels::activation::gelu_erf}));
}

// admn's reduced precisions in this build, by name: bf16 with AVX512-BF16, and int8 once
// kernels::precision has it (found at compile time, so this file builds before and after)
// and the build can run it. A precision that cannot run is listed in `missing` with why.
struct precision_set {
  std::vector<std::pair<std::string, precision>> reduced;
  std::vector<std::pair<std::string, std::string>> missing;
};

template <class P = precision>
precision_set admn_precisions() {
  precision_set s;
  const auto add = [&](const std::string& name, P p) {
    try {
      admn::kernels::require_available(p);
      s.reduced.emplace_back(name, p);
    } catch (const admn::error& e) {
      s.missing.emplace_back(name, std::string("not available: ") + e.what());
    }
  };
  add("bf16", P::bf16);
  if constexpr (requires { P::int8; })
    add("int8", P::int8);
  else
    s.missing.emplace_back("int8", "not built");
  return s;
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

// Set in main() before any row runs.
precision_set g_precisions;
// admn's fp32 outputs on the vit_peers.py inputs, by name, for DIR/admn_outputs.safetensors.
std::map<std::string, tensor> g_admn_outputs;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "compare_libtorch: %s\n", message.c_str());
  std::exit(1);
}

// One implementation's timed runs in a row, and its output's max relative difference
// from the reference (admn fp32 for admn's reduced precisions; < 0: not reported).
struct timing {
  std::string impl;
  std::vector<double> times_ms;
  double rel_err = -1.0;
};

struct row {
  std::string name;
  std::string key;  // the peer table's case name (block, backbone_12, ...); empty: not in it
  int threads;
  std::size_t batch;
  double admn_ms, torch_ms, fused_ms;  // fused_ms < 0: not applicable
  double gflop;                        // of one admn run
  std::vector<timing> runs;            // every implementation timed, admn fp32 first
  // admn at the reduced precisions, by name: median ms
  std::vector<std::pair<std::string, double>> reduced_ms;
};

double median(std::vector<double> t) {
  std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(t.size() / 2), t.end());
  return t[t.size() / 2];
}

// Every time of `reps` alternating runs of each function, after one warm-up run of each.
std::vector<std::vector<double>> alternate(const std::vector<std::function<void()>>& fns, int reps) {
  std::vector<std::vector<double>> times(fns.size());
  for (const auto& f : fns) f();  // warm-up: thread pools, first-touch, caches
  for (int r = 0; r < reps; ++r)
    for (std::size_t i = 0; i < fns.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      fns[i]();
      times[i].push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
  return times;
}

// A row from the alternation's times: fns were admn fp32, libtorch, [libtorch fused,] then
// admn at the first reduced_err.size() reduced precisions (their errors in `reduced_err`).
row make_row(std::string name, std::string key, int threads, std::size_t batch, double gflop,
             const std::vector<std::vector<double>>& t, bool fused, const std::vector<double>& reduced_err) {
  row r{std::move(name),
        std::move(key),
        threads,
        batch,
        median(t[0]),
        median(t[1]),
        fused ? median(t[2]) : -1.0,
        gflop,
        {},
        {}};
  r.runs.push_back({"admn fp32", t[0]});
  r.runs.push_back({"libtorch fp32", t[1]});
  if (fused) r.runs.push_back({"libtorch fp32 fused", t[2]});
  const std::size_t first = fused ? 3 : 2;
  for (std::size_t i = 0; i < reduced_err.size(); ++i) {
    const std::string& p = g_precisions.reduced[i].first;
    r.runs.push_back({"admn " + p, t[first + i], reduced_err[i]});
    r.reduced_ms.emplace_back(p, median(t[first + i]));
  }
  return r;
}

// The max relative difference of each reduced-precision output from admn's fp32 output.
template <class Run>
std::vector<double> reduced_errors(const tensor& fp32_out, Run&& run_at) {
  std::vector<double> errs;
  for (std::size_t i = 0; i < g_precisions.reduced.size(); ++i)
    errs.push_back(max_relative(to_torch(run_at(i)), to_torch(fp32_out)));
  return errs;
}

// One block on `input` (batch, 197, dim); `expected`: PyTorch's output from a file, checked too.
row compare_block(const std::string& name, const std::string& key, const block_weights& w, std::size_t heads,
                  const tensor& input, int threads, int reps, const std::optional<tensor>& expected = {}) {
  const std::size_t batch = input.shape()[0], tokens = input.shape()[1], dim = input.shape()[2];
  const auto block = admn_block(w, heads);
  std::vector<admn::layers::encoder_block> reduced;
  for (const auto& [p_name, p] : g_precisions.reduced) reduced.push_back(admn_block(w, heads, p));
  const torch_block tb{to_torch(w), static_cast<int64_t>(dim), static_cast<int64_t>(heads)};
  const torch::Tensor tx = to_torch(input);
  tensor x = input.clone();
  admn::workspace ws;
  const admn::mutable_view rows = x.view().reshape(shape{batch * tokens, dim});
  const auto run = [&](const admn::layers::encoder_block& b) {
    std::copy(input.values().begin(), input.values().end(), x.values().begin());
    b.forward(rows, batch, tokens, ws);
  };

  torch::NoGradGuard no_grad;
  // Agreement before timing.
  run(block);
  const tensor fp32_out = x.clone();
  const torch::Tensor ref = tb(tx);
  const double err = max_relative(to_torch(x), ref);
  const double fused_err = max_relative(tb.fused(tx), ref);
  if (err > 1e-4 || fused_err > 1e-4)
    fail(name + ": outputs disagree (admn " + std::to_string(err) + ", fused " + std::to_string(fused_err) +
         ")");
  if (expected) {
    const double file_err = max_relative(to_torch(x), to_torch(*expected));
    std::printf("%s: admn fp32 vs the file's PyTorch output: max relative difference %.1e\n", name.c_str(),
                file_err);
    if (file_err > 1e-4) fail(name + ": admn disagrees with the file's PyTorch output");
    g_admn_outputs.emplace(key, fp32_out.clone());
  }
  const std::vector<double> errs = reduced_errors(fp32_out, [&](std::size_t i) {
    run(reduced[i]);
    return x.clone();
  });
  std::vector<std::function<void()>> fns{[&] { run(block); }, [&] { (void)tb(tx); },
                                         [&] { (void)tb.fused(tx); }};
  for (const auto& b : reduced) fns.push_back([&] { run(b); });
  std::vector<std::vector<double>> t;
  admn::bench::executor_for(threads).run([&] { t = alternate(fns, reps); });
  row r = make_row(name, key, threads, batch, 2.0 * double(block.macs(batch, tokens)) / 1e9, t, true, errs);
  r.runs[1].rel_err = err;
  r.runs[2].rel_err = fused_err;
  return r;
}

// A ViT-B/16 backbone's parameters (224x224, 12 blocks), random or from vit_peers.py's file.
struct vit_parameters {
  std::vector<block_weights> blocks;
  tensor patch_w, patch_b, cls, pos, norm_w, norm_b;  // cls (1, D), pos (197, D)
  tensor image;                                       // (1, 3, 224, 224)
  std::map<std::string, tensor> expected;             // PyTorch's outputs by case key (from a file)

  static vit_parameters random() {
    const std::size_t dim = 768;
    using admn::bench::random_tensor;
    vit_parameters v;
    for (std::uint32_t i = 0; i < 12; ++i) v.blocks.push_back(make_block_weights(dim, 100 + 20 * i));
    v.patch_w = random_tensor(shape{dim, 3, 16, 16}, 0.02f, 1);
    v.patch_b = random_tensor(shape{dim}, 0.1f, 2);
    v.cls = random_tensor(shape{1, dim}, 0.5f, 3);
    v.pos = random_tensor(shape{197, dim}, 0.5f, 4);
    v.norm_w = random_tensor(shape{dim}, 0.1f, 5);
    v.norm_b = random_tensor(shape{dim}, 0.1f, 6);
    v.image = random_tensor(shape{1, 3, 224, 224}, 1.0f, 5);
    return v;
  }

  static vit_parameters load(const admn::io::weight_source& w) {
    vit_parameters v;
    for (int i = 0; i < 12; ++i)
      v.blocks.push_back(load_block_weights(w, "blocks." + std::to_string(i) + "."));
    v.patch_w = w.load("patch_embed.proj.weight");
    v.patch_b = w.load("patch_embed.proj.bias");
    v.cls = tensor::copy_of(w.load("cls_token", shape{1, 1, 768}).view().reshape(shape{1, 768}));
    v.pos = tensor::copy_of(w.load("pos_embed", shape{1, 197, 768}).view().reshape(shape{197, 768}));
    v.norm_w = w.load("norm.weight");
    v.norm_b = w.load("norm.bias");
    v.image = w.load("image", shape{1, 3, 224, 224});
    v.expected.emplace("backbone_12", w.load("backbone_12"));
    v.expected.emplace("backbone_6", w.load("backbone_6"));
    return v;
  }

  admn::model::vit_backbone admn(precision p) const {
    std::vector<admn::layers::encoder_block> b;
    for (const auto& bw : blocks) b.push_back(admn_block(bw, 12, p));
    return admn::model::vit_backbone(admn::layers::patch_embed(patch_w, patch_b.clone()),
                                     admn::layers::class_token(cls.clone()),
                                     admn::layers::learned_position_embedding(pos.clone()), std::move(b),
                                     admn::layers::layer_norm(norm_w.clone(), norm_b.clone()));
  }

  torch_ref::vit_weights libtorch() const {
    torch_ref::vit_weights t;
    t.heads = 12;
    for (const auto& bw : blocks) t.blocks.push_back(to_torch(bw));
    t.patch_w = to_torch(patch_w);
    t.patch_b = to_torch(patch_b);
    t.cls = to_torch(cls).reshape({1, 1, 768});
    t.pos = to_torch(pos).reshape({1, 197, 768});
    t.norm_w = to_torch(norm_w);
    t.norm_b = to_torch(norm_b);
    return t;
  }
};

row compare_backbone(const std::string& name, const std::string& key, const vit_parameters& params,
                     std::size_t kept, int threads, int reps) {
  const std::size_t dim = 768;
  const admn::model::vit_backbone vit = params.admn(precision::fp32);
  std::vector<admn::model::vit_backbone> reduced;
  for (const auto& [p_name, p] : g_precisions.reduced) reduced.push_back(params.admn(p));
  const torch_ref::vit_weights tvit = params.libtorch();
  std::vector<std::size_t> run(kept);
  std::iota(run.begin(), run.end(), std::size_t{0});
  const tensor& image = params.image;
  const torch::Tensor timage = to_torch(image);
  tensor out(shape{1, dim});
  admn::workspace ws;
  torch::NoGradGuard no_grad;
  vit.forward(image.view(), run, out.view(), ws);
  const double err = max_relative(to_torch(out), torch_ref::vit_forward(tvit, timage, run));
  if (err > 1e-4) fail(name + ": outputs disagree (" + std::to_string(err) + ")");
  if (const auto e = params.expected.find(key); e != params.expected.end()) {
    const double file_err = max_relative(to_torch(out), to_torch(e->second).reshape({1, int64_t(dim)}));
    std::printf("%s: admn fp32 vs the file's PyTorch output: max relative difference %.1e\n", name.c_str(),
                file_err);
    if (file_err > 1e-4) fail(name + ": admn disagrees with the file's PyTorch output");
    g_admn_outputs.emplace(key, out.clone());
  }
  const tensor fp32_out = out.clone();
  const std::vector<double> errs = reduced_errors(fp32_out, [&](std::size_t i) {
    reduced[i].forward(image.view(), run, out.view(), ws);
    return out.clone();
  });
  std::vector<std::function<void()>> fns{[&] { vit.forward(image.view(), run, out.view(), ws); },
                                         [&] { (void)torch_ref::vit_forward(tvit, timage, run); }};
  for (const auto& v : reduced) fns.push_back([&] { v.forward(image.view(), run, out.view(), ws); });
  std::vector<std::vector<double>> t;
  admn::bench::executor_for(threads).run([&] { t = alternate(fns, reps); });
  const double gflop = 2.0 * double(kept * vit.block_macs(1) + vit.patch_embedding().macs(1, 224, 224)) / 1e9;
  row r = make_row(name, key, threads, 1, gflop, t, false, errs);
  r.runs[1].rel_err = err;
  return r;
}

// The full GTDM network, admn against torch_gtdm.hpp, loaded once from one file.
class gtdm_comparison {
 public:
  static constexpr std::size_t budget = 8;
  using network = admn::zoo::gtdm::network;

  explicit gtdm_comparison(const std::filesystem::path& model)
      : file_(std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(model))),
        net_(load_admn(file_, precision::fp32)),
        torch_net_(torch_ref::load_weights(*file_)) {
    for (const auto& [name, p] : g_precisions.reduced) {
      reduced_.push_back(load_admn(file_, p));
      reduced_ws_.emplace_back();
    }
  }

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
    reduced_err_.clear();
    for (std::size_t i = 0; i < reduced_.size(); ++i) {
      const admn::model::network_result r = reduced_[i].run(inputs(), {.budget = budget}, reduced_ws_[i]);
      const double e = max_relative(to_torch(r.output("pred_mean")), to_torch(run.output("pred_mean")));
      std::printf("GTDM admn %s: plan %s (fp32: %s), pred_mean max relative difference from fp32 %.1e\n",
                  g_precisions.reduced[i].first.c_str(), r.plans.front().to_string().c_str(),
                  plan_.to_string().c_str(), e);
      reduced_err_.push_back(e);
    }
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
    std::vector<std::function<void()>> fns{
        [&] { (void)net_.run(inputs(), {.budget = budget}, ws_); },
        [&] { (void)torch_net_.forward(torch_rgb_, torch_depth_, budget); }};
    for (std::size_t i = 0; i < reduced_.size(); ++i)
      fns.push_back([&, i] { (void)reduced_[i].run(inputs(), {.budget = budget}, reduced_ws_[i]); });
    fns.push_back([&] { run_controller(logits, qoi); });
    fns.push_back([&] { (void)torch_net_.controller(torch_rgb_, torch_depth_); });
    std::vector<std::vector<double>> t;
    admn::bench::executor_for(threads).run([&] { t = alternate(fns, reps); });
    const std::vector<double> controller_torch = t.back();
    t.pop_back();
    const std::vector<double> controller_admn = t.back();
    t.pop_back();
    return {make_row("GTDM L=8, batch 1, controller included", "gtdm_8", threads, 1,
                     2.0 * double(net_.macs(plan_)) / 1e9, t, false, reduced_err_),
            make_row("GTDM controller alone, batch 1", "", threads, 1,
                     2.0 * double(net_.controller().macs(1)) / 1e9, {controller_admn, controller_torch},
                     false, {})};
  }

 private:
  struct outputs {
    torch::Tensor mask, logits, qoi, mean, cov;
  };

  static network load_admn(const std::shared_ptr<const admn::io::safetensors_file>& file, precision p) {
    const std::string arch = admn::zoo::arch_of(*file);
    if (arch != "gtdm") fail("--gtdm: the model's admn.arch is '" + arch + "', not 'gtdm'");
    admn::model::network_config config = admn::zoo::gtdm::config(true);
    for (auto& m : config.modalities) m.precision = p;
    return admn::model::load<network>(admn::io::weight_source(file), config);
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
  std::vector<network> reduced_;  // at g_precisions.reduced
  mutable std::vector<admn::workspace> reduced_ws_;
  std::vector<double> reduced_err_;
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
  std::string markdown, settings_markdown, gtdm_model, vit_dir, json;
  bool peer_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--peer-only") {
      peer_only = true;
      continue;
    }
    if (i + 1 >= argc || a.rfind("--", 0) != 0 ||
        (a != "--repetitions" && a != "--threads" && a != "--markdown" && a != "--settings" &&
         a != "--gtdm" && a != "--vit" && a != "--json")) {
      std::fprintf(stderr,
                   "usage: compare_libtorch [--repetitions N] [--threads 1,2] [--gtdm MODEL.safetensors]\n"
                   "                        [--vit DIR] [--peer-only] [--markdown FILE] [--settings FILE]\n"
                   "                        [--json FILE]\n");
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
    } else if (a == "--vit") {
      vit_dir = value;
    } else if (a == "--json") {
      json = value;
    } else {
      gtdm_model = value;
    }
  }
  const int long_reps = std::max(3, reps / 4);
  // Allowed once, before any parallel work; nothing here forks inter-op tasks anyway.
  at::set_num_interop_threads(1);

  // Settings and the FMA peak first, before any thread pool is busy.
  g_precisions = admn_precisions();
  std::vector<std::string> settings = libtorch_settings();
  {
    std::string p = "admn precisions timed: fp32";
    for (const auto& [name, value] : g_precisions.reduced) p += ", " + name;
    for (const auto& [name, why] : g_precisions.missing) p += "; " + name + " " + why;
    settings.push_back(p);
  }
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

  // The ViT-B work: vit_peers.py's weights and inputs (shared with the other peers) or random ones.
  const vit_parameters vit =
      vit_dir.empty()
          ? vit_parameters::random()
          : vit_parameters::load(admn::io::weight_source(std::make_shared<const admn::io::safetensors_file>(
                admn::io::safetensors_file::open(std::filesystem::path(vit_dir) / "vit_b.safetensors"))));
  std::optional<tensor> block_expected;
  tensor block_input = admn::bench::random_tensor(shape{1, 197, 768}, 1.0f, 99);
  const block_weights& block_w = vit.blocks.front();
  if (!vit_dir.empty()) {
    const admn::io::weight_source file(std::make_shared<const admn::io::safetensors_file>(
        admn::io::safetensors_file::open(std::filesystem::path(vit_dir) / "vit_b.safetensors")));
    block_input = file.load("block_input", shape{1, 197, 768});
    block_expected = file.load("block_output", shape{1, 197, 768});
  }

  std::vector<row> rows;
  for (const int t : thread_counts) {
    set_libtorch_threads(t);
    rows.push_back(
        compare_block("ViT-B block, batch 1", "block", block_w, 12, block_input, t, reps, block_expected));
    if (!peer_only) {
      rows.push_back(compare_block("ViT-B block, batch 8", "", make_block_weights(768, 7), 12,
                                   admn::bench::random_tensor(shape{8, 197, 768}, 1.0f, 99), t, long_reps));
      rows.push_back(compare_block("ViT-S block, batch 1", "", make_block_weights(384, 7), 6,
                                   admn::bench::random_tensor(shape{1, 197, 384}, 1.0f, 99), t, reps));
    }
    rows.push_back(
        compare_backbone("ViT-B/16 backbone, 12 of 12 blocks", "backbone_12", vit, 12, t, long_reps));
    rows.push_back(compare_backbone("ViT-B/16 backbone, 6 of 12 blocks", "backbone_6", vit, 6, t, long_reps));
    if (gtdm)
      for (const row& r : gtdm->compare(t, long_reps)) rows.push_back(r);
  }
  if (!vit_dir.empty()) {
    std::vector<admn::io::tensor_entry> entries;
    for (const auto& [name, t] : g_admn_outputs) entries.push_back(admn::io::entry(name, t));
    admn::io::save(std::filesystem::path(vit_dir) / "admn_outputs.safetensors", entries);
  }
  if (!json.empty()) {
    std::ofstream out(json, std::ios::app);
    out << "{\"tool\":\"compare_libtorch\",\"fma_peak_gflops\":" << fixed(peak, 2) << ",\"missing\":{";
    for (std::size_t i = 0; i < g_precisions.missing.size(); ++i) {
      std::string why;  // JSON-safe: error messages are plain text, quotes dropped
      for (const char c : g_precisions.missing[i].second)
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) why += c;
      out << (i ? "," : "") << "\"admn " << g_precisions.missing[i].first << "\":\"" << why << "\"";
    }
    out << "}}\n";
    for (const auto& r : rows) {
      if (r.key.empty()) continue;
      for (const auto& run : r.runs) {
        out << "{\"tool\":\"compare_libtorch\",\"case\":\"" << r.key << "\",\"threads\":" << r.threads
            << ",\"impl\":\"" << run.impl << "\",\"gflop\":" << fixed(r.gflop, 4) << ",\"times_ms\":[";
        for (std::size_t i = 0; i < run.times_ms.size(); ++i)
          out << (i ? "," : "") << fixed(run.times_ms[i], 4);
        out << "]";
        if (run.rel_err >= 0) {
          char e[32];
          std::snprintf(e, sizeof e, "%.3e", run.rel_err);
          out << ",\"rel_err\":" << e;
        }
        out << "}\n";
      }
    }
    if (!out) fail("cannot write " + json);
  }

  std::ostringstream table;
  table << "| case | threads | admn ms |";
  for (const auto& [name, p] : g_precisions.reduced) table << " admn " << name << " ms |";
  table << " libtorch ms | libtorch fused ms | admn / libtorch | admn ms/sample | "
           "best libtorch ms/sample | admn GFLOP/s | % of FMA peak |\n|---|---|---|";
  for (std::size_t i = 0; i < g_precisions.reduced.size(); ++i) table << "---|";
  table << "---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    const double best_torch = best(r);
    const double gflops = r.gflop / (r.admn_ms / 1e3);
    const double n = static_cast<double>(r.batch);
    table << "| " << r.name << " | " << r.threads << " | " << fixed(r.admn_ms, 2) << " | ";
    for (std::size_t i = 0; i < g_precisions.reduced.size(); ++i)
      table << (i < r.reduced_ms.size() ? fixed(r.reduced_ms[i].second, 2) : std::string("—")) << " | ";
    table << fixed(r.torch_ms, 2) << " | " << (r.fused_ms < 0 ? "—" : fixed(r.fused_ms, 2)) << " | "
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
