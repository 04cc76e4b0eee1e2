// compare_libtorch — admn against libtorch on the same weights and inputs, in one process.
//
// For each case the two implementations run alternately (A, B, A, B, …) after a
// warm-up, and the medians are compared, so drifting machine load hits both
// equally. Outputs are checked to agree before any timing. libtorch runs the ViT
// block the way timm writes it (plain ATen ops: layer_norm, linear, matmul,
// softmax, gelu) and, for one block, also as its fused native
// `_transformer_encoder_layer_fwd`. Run through tools/bench-peers.sh, which gives
// libtorch its best settings (OpenBLAS AVX-512 kernels, passive OpenMP waiting).
//
//   compare_libtorch [--repetitions N] [--threads 1,2] [--markdown FILE]
#include <admn/kernels/parallel.hpp>
#include <admn/layers/encoder_block.hpp>
#include <admn/model/vit_backbone.hpp>

#include "common/random_model.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace {

using admn::shape;
using admn::tensor;

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

struct torch_block {
  torch::Tensor n1w, n1b, qkvw, qkvb, pw, pb, n2w, n2b, f1w, f1b, f2w, f2b;
  int64_t dim, heads;

  torch_block(const block_weights& w, std::size_t d, std::size_t h)
      : n1w(to_torch(w.norm1_w)),
        n1b(to_torch(w.norm1_b)),
        qkvw(to_torch(w.qkv_w)),
        qkvb(to_torch(w.qkv_b)),
        pw(to_torch(w.proj_w)),
        pb(to_torch(w.proj_b)),
        n2w(to_torch(w.norm2_w)),
        n2b(to_torch(w.norm2_b)),
        f1w(to_torch(w.fc1_w)),
        f1b(to_torch(w.fc1_b)),
        f2w(to_torch(w.fc2_w)),
        f2b(to_torch(w.fc2_b)),
        dim(static_cast<int64_t>(d)),
        heads(static_cast<int64_t>(h)) {}

  // timm Block.forward with plain ATen ops (ADMN_SPEC §2.3).
  torch::Tensor operator()(const torch::Tensor& x) const {
    const int64_t b = x.size(0), n = x.size(1), hd = dim / heads;
    auto h = torch::layer_norm(x, {dim}, n1w, n1b, 1e-5);
    auto qkv = torch::linear(h, qkvw, qkvb).reshape({b, n, 3, heads, hd}).permute({2, 0, 3, 1, 4});
    auto q = qkv[0], k = qkv[1], v = qkv[2];
    auto attn = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(hd))), -1);
    auto o = torch::matmul(attn, v).transpose(1, 2).reshape({b, n, dim});
    auto y = x + torch::linear(o, pw, pb);
    auto m = torch::linear(torch::gelu(torch::linear(torch::layer_norm(y, {dim}, n2w, n2b, 1e-5), f1w, f1b)),
                           f2w, f2b);
    return y + m;
  }

  // libtorch's fused encoder layer (the nn.TransformerEncoderLayer fast path), norm_first, GELU.
  torch::Tensor fused(const torch::Tensor& x) const {
    return at::_transformer_encoder_layer_fwd(x, dim, heads, qkvw, qkvb, pw, pb, /*use_gelu=*/true,
                                              /*norm_first=*/true, 1e-5, n1w, n1b, n2w, n2b, f1w, f1b, f2w,
                                              f2b, c10::nullopt, c10::nullopt);
  }
};

double max_relative(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

struct row {
  std::string name;
  int threads;
  double admn_ms, torch_ms, fused_ms;  // fused_ms < 0: not applicable
  double gflop;
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
  const torch_block tb(w, dim, heads);
  const std::size_t tokens = 197;
  const tensor input = admn::bench::random_tensor(shape{batch, tokens, dim}, 1.0f, 99);
  const torch::Tensor tx = to_torch(input);
  tensor x = input.clone();
  admn::workspace ws(block.workspace_floats(batch, tokens));
  const admn::mutable_view rows = x.view().reshape(shape{batch * tokens, dim});

  // Agreement before timing.
  block.forward(rows, batch, tokens, ws);
  const torch::Tensor ref = tb(tx);
  const double err = max_relative(to_torch(x).reshape({int64_t(batch), int64_t(tokens), int64_t(dim)}), ref);
  const double fused_err = max_relative(tb.fused(tx), ref);
  if (err > 1e-4 || fused_err > 1e-4) {
    std::fprintf(stderr, "%s: outputs disagree (admn %.2e, fused %.2e)\n", name.c_str(), err, fused_err);
    std::exit(1);
  }
  torch::NoGradGuard no_grad;
  std::vector<double> m;
  admn::kernels::with_threads(threads, [&] {
    m = alternate({[&] {
                     std::copy(input.values().begin(), input.values().end(), x.values().begin());
                     block.forward(rows, batch, tokens, ws);
                   },
                   [&] { (void)tb(tx); }, [&] { (void)tb.fused(tx); }},
                  reps);
  });
  return {name, threads, m[0], m[1], m[2], 2.0 * double(block.macs(batch, tokens)) / 1e9};
}

row compare_backbone(const std::string& name, std::size_t kept, int threads, int reps) {
  const std::size_t dim = 768, depth = 12, heads = 12;
  std::vector<block_weights> bw;
  std::vector<admn::layers::encoder_block> blocks;
  std::vector<torch_block> tblocks;
  for (std::size_t i = 0; i < depth; ++i) {
    bw.push_back(make_block_weights(dim, 100 + 20 * static_cast<std::uint32_t>(i)));
    blocks.push_back(admn_block(bw.back(), heads));
    tblocks.emplace_back(bw.back(), dim, heads);
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
  const torch::Tensor tpw = to_torch(patch_w), tpb = to_torch(patch_b),
                      tcls = to_torch(cls).reshape({1, 1, 768}), tpos = to_torch(pos).reshape({1, 197, 768}),
                      tnw = to_torch(norm_w), tnb = to_torch(norm_b);
  std::vector<std::size_t> run(kept);
  std::iota(run.begin(), run.end(), std::size_t{0});
  const auto torch_forward = [&](const torch::Tensor& img) {
    auto x = torch::conv2d(img, tpw, tpb, 16).flatten(2).transpose(1, 2);
    x = torch::cat({tcls.expand({img.size(0), 1, 768}), x}, 1) + tpos;
    for (const std::size_t i : run) x = tblocks[i](x);
    return torch::layer_norm(x, {768}, tnw, tnb, 1e-5).select(1, 0);
  };
  const tensor image = admn::bench::random_tensor(shape{1, 3, 224, 224}, 1.0f, 5);
  const torch::Tensor timage = to_torch(image);
  tensor out(shape{1, dim});
  admn::workspace ws(vit.workspace_floats(1, 224, 224));
  torch::NoGradGuard no_grad;
  vit.forward(image.view(), run, out.view(), ws);
  const double err = max_relative(to_torch(out), torch_forward(timage));
  if (err > 1e-4) {
    std::fprintf(stderr, "%s: outputs disagree (%.2e)\n", name.c_str(), err);
    std::exit(1);
  }
  std::vector<double> m;
  admn::kernels::with_threads(threads, [&] {
    m = alternate(
        {[&] { vit.forward(image.view(), run, out.view(), ws); }, [&] { (void)torch_forward(timage); }},
        reps);
  });
  const double gflop = 2.0 * double(kept * vit.block_macs(1) + vit.patch_embedding().macs(1, 224, 224)) / 1e9;
  return {name, threads, m[0], m[1], -1.0, gflop};
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 30;
  std::vector<int> thread_counts{1, 2};
  std::string markdown;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repetitions" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      std::stringstream s(argv[++i]);
      for (std::string t; std::getline(s, t, ',');) thread_counts.push_back(std::atoi(t.c_str()));
    } else if (a == "--markdown" && i + 1 < argc)
      markdown = argv[++i];
    else {
      std::fprintf(stderr, "usage: compare_libtorch [--repetitions N] [--threads 1,2] [--markdown FILE]\n");
      return 2;
    }
  }
  std::printf("libtorch %s, %s\n", TORCH_VERSION, at::get_parallel_info().c_str());
  std::vector<row> rows;
  for (const int t : thread_counts) {
    at::set_num_threads(t);
    at::set_num_interop_threads(1);
    rows.push_back(compare_block("ViT-B block, batch 1", 768, 12, 1, t, reps));
    rows.push_back(compare_block("ViT-B block, batch 8", 768, 12, 8, t, std::max(3, reps / 4)));
    rows.push_back(compare_block("ViT-S block, batch 1", 384, 6, 1, t, reps));
    rows.push_back(compare_backbone("ViT-B/16 backbone, 12 of 12 blocks", 12, t, std::max(3, reps / 4)));
    rows.push_back(compare_backbone("ViT-B/16 backbone, 6 of 12 blocks", 6, t, std::max(3, reps / 4)));
  }
  std::ostringstream table;
  table << "| case | threads | admn ms | libtorch ms | libtorch fused ms | admn / libtorch | admn GFLOP/s |\n"
        << "|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    char line[512];
    std::snprintf(line, sizeof line, "| %s | %d | %.2f | %.2f | %s | %.3f | %.1f |\n", r.name.c_str(),
                  r.threads, r.admn_ms, r.torch_ms,
                  r.fused_ms < 0 ? "—" : std::to_string(r.fused_ms).substr(0, 6).c_str(),
                  r.admn_ms / std::min(r.torch_ms, r.fused_ms < 0 ? r.torch_ms : r.fused_ms),
                  r.gflop / (r.admn_ms / 1e3));
    table << line;
  }
  std::printf("%s", table.str().c_str());
  if (!markdown.empty()) std::ofstream(markdown) << table.str();
  return 0;
}
