// ADMN's GTDM stage-2 network written with libtorch's plain ATen ops, for the peer benchmark.
//
// The same computation as tests/reference/admn_ref.py with gtdm_config(small=False)
// (docs/numerics.md §1, §2, §4, §5), written the way PyTorch runs those modules: float32,
// no autograd, one op per module call, timm's non-fused attention (matmul, softmax,
// matmul). Weights come by checkpoint key from a weight_map read with admn's own
// safetensors reader. Per sample, each modality's 3 node images run through its
// backbone as one batch of 3 (the nodes share the sample's mask, so this is the
// reference's true skipping, with better GEMM shapes than one node at a time).
#pragma once

#include <admn/io/safetensors.hpp>

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace admn::bench::torch_ref {

using weight_map = std::map<std::string, torch::Tensor, std::less<>>;

// Every tensor of `file` as a float32 libtorch tensor, widened by admn's reader.
inline weight_map load_weights(const io::safetensors_file& file) {
  weight_map out;
  for (const io::tensor_info& info : file.tensors()) {
    const std::vector<int64_t> sizes(info.shape.begin(), info.shape.end());
    torch::Tensor t = torch::empty(sizes, torch::kFloat32);
    file.view(info).to_f32(std::span<float>(t.data_ptr<float>(), static_cast<std::size_t>(t.numel())));
    out.emplace(info.name, std::move(t));
  }
  return out;
}

inline const torch::Tensor& get(const weight_map& w, const std::string& key) {
  const auto it = w.find(key);
  if (it == w.end()) throw std::runtime_error("torch_gtdm: the weights have no tensor '" + key + "'");
  return it->second;
}

constexpr double layer_norm_eps = 1e-5;  // nn.LayerNorm everywhere (docs/numerics.md §0)

// timm Block (docs/numerics.md §2.3): pre-norm attention with a qkv bias, exact-GELU MLP.
struct timm_block_weights {
  torch::Tensor norm1_w, norm1_b, qkv_w, qkv_b, proj_w, proj_b, norm2_w, norm2_b, fc1_w, fc1_b, fc2_w, fc2_b;

  static timm_block_weights from(const weight_map& w, const std::string& p) {
    return {get(w, p + "norm1.weight"),  get(w, p + "norm1.bias"),       get(w, p + "attn.qkv.weight"),
            get(w, p + "attn.qkv.bias"), get(w, p + "attn.proj.weight"), get(w, p + "attn.proj.bias"),
            get(w, p + "norm2.weight"),  get(w, p + "norm2.bias"),       get(w, p + "mlp.fc1.weight"),
            get(w, p + "mlp.fc1.bias"),  get(w, p + "mlp.fc2.weight"),   get(w, p + "mlp.fc2.bias")};
  }
};

inline torch::Tensor timm_block(const torch::Tensor& x, const timm_block_weights& w, int64_t heads) {
  const int64_t b = x.size(0), n = x.size(1), dim = x.size(2), hd = dim / heads;
  const auto h = torch::layer_norm(x, {dim}, w.norm1_w, w.norm1_b, layer_norm_eps);
  const auto qkv = torch::linear(h, w.qkv_w, w.qkv_b).reshape({b, n, 3, heads, hd}).permute({2, 0, 3, 1, 4});
  const auto q = qkv[0], k = qkv[1], v = qkv[2];
  const auto attn = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(hd))), -1);
  const auto o = torch::matmul(attn, v).transpose(1, 2).reshape({b, n, dim});
  const auto y = x + torch::linear(o, w.proj_w, w.proj_b);
  const auto h2 = torch::layer_norm(y, {dim}, w.norm2_w, w.norm2_b, layer_norm_eps);
  return y + torch::linear(torch::gelu(torch::linear(h2, w.fc1_w, w.fc1_b)), w.fc2_w, w.fc2_b);
}

// timm VisionTransformer with ADMN's custom forward (docs/numerics.md §2.2, §2.4).
struct vit_weights {
  torch::Tensor patch_w, patch_b, cls, pos, norm_w, norm_b;  // cls (1,1,D), pos (1,T,D)
  std::vector<timm_block_weights> blocks;
  int64_t heads = 12;

  static vit_weights from(const weight_map& w, const std::string& p, int64_t heads) {
    vit_weights v{get(w, p + "patch_embed.proj.weight"),
                  get(w, p + "patch_embed.proj.bias"),
                  get(w, p + "cls_token"),
                  get(w, p + "pos_embed"),
                  get(w, p + "norm.weight"),
                  get(w, p + "norm.bias"),
                  {},
                  heads};
    for (int i = 0; w.count(p + "blocks." + std::to_string(i) + ".norm1.weight") != 0; ++i)
      v.blocks.push_back(timm_block_weights::from(w, p + "blocks." + std::to_string(i) + "."));
    return v;
  }
};

// images (N, C, H, W) → the CLS token after the final LayerNorm, (N, D), running the
// blocks `kept` (increasing indices) and skipping the others.
inline torch::Tensor vit_forward(const vit_weights& v, const torch::Tensor& images,
                                 std::span<const std::size_t> kept) {
  const int64_t n = images.size(0), dim = v.patch_w.size(0);
  auto x = torch::conv2d(images, v.patch_w, v.patch_b, v.patch_w.size(2)).flatten(2).transpose(1, 2);
  x = torch::cat({v.cls.expand({n, 1, dim}), x}, 1) + v.pos;
  for (const std::size_t i : kept) x = timm_block(x, v.blocks.at(i), v.heads);
  return torch::layer_norm(x, {dim}, v.norm_w, v.norm_b, layer_norm_eps).select(1, 0);
}

// vit_dev TransformerEnc (docs/numerics.md §4.5): qkv without bias, scale after QKᵀ, final LN.
struct vd_encoder_weights {
  struct layer {
    torch::Tensor norm_w, norm_b, qkv_w, out_w, out_b, ff_norm_w, ff_norm_b, fc1_w, fc1_b, fc2_w, fc2_b;
  };
  std::vector<layer> layers;
  torch::Tensor norm_w, norm_b;
  int64_t heads = 4;

  static vd_encoder_weights from(const weight_map& w, const std::string& p, int64_t heads) {
    vd_encoder_weights e{{}, get(w, p + "norm.weight"), get(w, p + "norm.bias"), heads};
    for (int i = 0; w.count(p + "layers." + std::to_string(i) + ".0.norm.weight") != 0; ++i) {
      const std::string a = p + "layers." + std::to_string(i) + ".0.",
                        f = p + "layers." + std::to_string(i) + ".1.";
      e.layers.push_back({get(w, a + "norm.weight"), get(w, a + "norm.bias"), get(w, a + "to_qkv.weight"),
                          get(w, a + "to_out.0.weight"), get(w, a + "to_out.0.bias"),
                          get(w, f + "condln.weight"), get(w, f + "condln.bias"), get(w, f + "net.1.weight"),
                          get(w, f + "net.1.bias"), get(w, f + "net.4.weight"), get(w, f + "net.4.bias")});
    }
    return e;
  }
};

inline torch::Tensor vd_encoder(torch::Tensor x, const vd_encoder_weights& e) {
  const int64_t b = x.size(0), n = x.size(1), dim = x.size(2);
  for (const auto& l : e.layers) {
    const int64_t inner = l.qkv_w.size(0) / 3, dh = inner / e.heads;
    const auto qkv =
        torch::linear(torch::layer_norm(x, {dim}, l.norm_w, l.norm_b, layer_norm_eps), l.qkv_w).chunk(3, -1);
    const auto split = [&](const torch::Tensor& t) { return t.reshape({b, n, e.heads, dh}).transpose(1, 2); };
    const auto q = split(qkv[0]), k = split(qkv[1]), v = split(qkv[2]);
    const auto attn = torch::softmax(torch::matmul(q, k.transpose(-1, -2)) * std::pow(double(dh), -0.5), -1);
    x = x + torch::linear(torch::matmul(attn, v).transpose(1, 2).reshape({b, n, inner}), l.out_w, l.out_b);
    const auto h = torch::layer_norm(x, {dim}, l.ff_norm_w, l.ff_norm_b, layer_norm_eps);
    x = x + torch::linear(torch::gelu(torch::linear(h, l.fc1_w, l.fc1_b)), l.fc2_w, l.fc2_b);
  }
  return torch::layer_norm(x, {dim}, e.norm_w, e.norm_b, layer_norm_eps);
}

// positionalencoding1d (docs/numerics.md §4.4), float32 as the reference computes it.
inline torch::Tensor positional_encoding(int64_t dim, int64_t length) {
  using torch::indexing::None;
  using torch::indexing::Slice;
  auto pe = torch::zeros({length, dim});
  const auto position = torch::arange(0, length).unsqueeze(1).to(torch::kFloat32);
  const auto div = torch::exp(torch::arange(0, dim, 2, torch::kFloat32) * -(std::log(10000.0) / double(dim)));
  pe.index_put_({Slice(), Slice(0, None, 2)}, torch::sin(position * div));
  pe.index_put_({Slice(), Slice(1, None, 2)}, torch::cos(position * div));
  return pe;
}

// The controller's conv encoder of one modality (docs/numerics.md §4.2), Sequential indices
// 1, 3, 6, 9 as in the checkpoint; index 0 is Resize((100, 100)) with antialias.
struct conv_encoder_weights {
  torch::Tensor c1_w, c1_b, c3_w, c3_b, c6_w, c6_b, fc_w, fc_b;

  static conv_encoder_weights from(const weight_map& w, const std::string& p) {
    return {get(w, p + "1.weight"), get(w, p + "1.bias"), get(w, p + "3.weight"), get(w, p + "3.bias"),
            get(w, p + "6.weight"), get(w, p + "6.bias"), get(w, p + "9.weight"), get(w, p + "9.bias")};
  }
};

// images (N, 3, H, W) → codes (N, 256).
inline torch::Tensor conv_encode(const torch::Tensor& images, const conv_encoder_weights& e) {
  // torchvision's Resize on a float tensor = F.interpolate(bilinear, antialias=True), which is this op.
  auto x = at::_upsample_bilinear2d_aa(images, {100, 100}, /*align_corners=*/false);
  x = torch::relu(torch::conv2d(x, e.c1_w, e.c1_b));
  x = torch::relu(torch::conv2d(x, e.c3_w, e.c3_b));
  x = torch::max_pool2d(x, {3, 3});
  x = torch::relu(torch::conv2d(x, e.c6_w, e.c6_b));
  return torch::linear(x.flatten(1), e.fc_w, e.fc_b);
}

struct gtdm_result {
  torch::Tensor layer_mask;         // (B, 2, 12) float 0/1
  torch::Tensor controller_logits;  // (B, 24), before the −99 and the forcing
  torch::Tensor qoi;                // (B, 2): sigmoid·5
  torch::Tensor pred_mean;          // (B, 2)
  torch::Tensor pred_cov;           // (B, 2, 2)
};

// The whole network. Inputs: RGB `zed_camera_left` and depth `realsense_camera_depth`,
// each (B, 3 nodes, 3, 224, 224).
class gtdm {
 public:
  static constexpr int64_t modalities = 2, nodes = 3, depth = 12;

  explicit gtdm(const weight_map& w)
      : backbones_{vit_weights::from(w, "vision.", 12), vit_weights::from(w, "depth.", 12)},
        encoders_{conv_encoder_weights::from(w, "controller.encoder_dict.zed_camera_left."),
                  conv_encoder_weights::from(w, "controller.encoder_dict.realsense_camera_depth.")},
        ctrl_cls_(get(w, "controller.cls")),
        combiner_(vd_encoder_weights::from(w, "controller.combiner_encoder.", 4)),
        ctrl_head0_(get(w, "controller.output_head.0.weight")),
        ctrl_head2_(get(w, "controller.output_head.2.weight")),
        noise0_w_(get(w, "controller.noise_output.0.weight")),
        noise0_b_(get(w, "controller.noise_output.0.bias")),
        noise2_w_(get(w, "controller.noise_output.2.weight")),
        noise2_b_(get(w, "controller.noise_output.2.bias")),
        adapters_{adapter_weights::from(w, "vision_adapter."), adapter_weights::from(w, "depth_adapter.")},
        fusion_(vd_encoder_weights::from(w, "encoder.", 4)),
        mlp_w_(get(w, "output_head.mlp.0.weight")),
        mlp_b_(get(w, "output_head.mlp.0.bias")),
        mean_w_(get(w, "output_head.mean_head.weight")),
        mean_b_(get(w, "output_head.mean_head.bias")),
        cov_w_(get(w, "output_head.cov_head.weight")),
        cov_b_(get(w, "output_head.cov_head.bias")),
        // The reference recomputes the encodings on every call; they are constants.
        controller_pe_(positional_encoding(ctrl_cls_.size(1), 1 + modalities * nodes)),
        fusion_pe_(positional_encoding(fusion_.norm_w.size(0), modalities * nodes)) {
    for (const auto& b : backbones_)
      if (static_cast<int64_t>(b.blocks.size()) != depth)
        throw std::runtime_error("torch_gtdm: a backbone has " + std::to_string(b.blocks.size()) +
                                 " blocks, GTDM has 12");
  }

  // ConvLayerController.forward (docs/numerics.md §4.1-4.5, §4.8): (layer logits (B, 24), qoi (B, 2)).
  [[nodiscard]] std::pair<torch::Tensor, torch::Tensor> controller(const torch::Tensor& rgb,
                                                                   const torch::Tensor& depth_images) const {
    torch::NoGradGuard no_grad;
    const int64_t b = rgb.size(0);
    std::vector<torch::Tensor> tokens{ctrl_cls_.expand({b, -1}).unsqueeze(1)};
    const std::array<const torch::Tensor*, modalities> inputs{&rgb, &depth_images};
    for (int64_t m = 0; m < modalities; ++m) {
      const auto& x = *inputs[static_cast<std::size_t>(m)];
      tokens.push_back(conv_encode(x.reshape({b * nodes, x.size(2), x.size(3), x.size(4)}),
                                   encoders_[static_cast<std::size_t>(m)])
                           .reshape({b, nodes, -1}));
    }
    const auto c = vd_encoder(torch::cat(tokens, 1) + controller_pe_, combiner_).select(1, 0);
    const auto logits = torch::linear(torch::relu(torch::linear(c, ctrl_head0_)), ctrl_head2_);
    const auto noise =
        torch::linear(torch::relu(torch::linear(c, noise0_w_, noise0_b_)), noise2_w_, noise2_b_);
    return {logits, torch::sigmoid(noise) * 5};
  }

  // Top-L at inference (docs/numerics.md §4.6): logits[:, 12·m] := −99, the first L − 2 of a
  // stable descending sort (ties: lower index), block 0 of each modality forced.
  [[nodiscard]] static torch::Tensor top_l(const torch::Tensor& logits, int64_t budget) {
    if (budget < modalities || budget > modalities * depth)
      throw std::runtime_error("torch_gtdm: budget " + std::to_string(budget) + " outside [2, 24]");
    auto z = logits.clone();
    for (int64_t m = 0; m < modalities; ++m) z.select(1, m * depth).fill_(-99.0);
    const auto order = std::get<1>(torch::sort(z, /*stable=*/true, /*dim=*/1, /*descending=*/true));
    auto mask = torch::zeros_like(logits);
    mask.scatter_(1, order.narrow(1, 0, budget - modalities), 1.0);
    mask = mask.reshape({logits.size(0), modalities, depth});
    mask.select(2, 0).fill_(1.0);
    return mask;
  }

  [[nodiscard]] gtdm_result forward(const torch::Tensor& rgb, const torch::Tensor& depth_images,
                                    int64_t budget) const {
    torch::NoGradGuard no_grad;
    gtdm_result r;
    std::tie(r.controller_logits, r.qoi) = controller(rgb, depth_images);
    r.layer_mask = top_l(r.controller_logits, budget);
    const auto mask = r.layer_mask.accessor<float, 3>();
    const int64_t b = rgb.size(0);
    const std::array<const torch::Tensor*, modalities> inputs{&rgb, &depth_images};
    std::vector<torch::Tensor> tokens;
    for (int64_t m = 0; m < modalities; ++m) {
      const auto mi = static_cast<std::size_t>(m);
      std::vector<torch::Tensor> samples;
      for (int64_t s = 0; s < b; ++s) {
        std::vector<std::size_t> kept;
        for (int64_t l = 0; l < depth; ++l)
          if (mask[s][m][l] != 0.0f) kept.push_back(static_cast<std::size_t>(l));
        samples.push_back(adapters_[mi](vit_forward(backbones_[mi], (*inputs[mi])[s], kept)));
      }
      tokens.push_back(torch::stack(samples));  // (B, 3, 256)
    }
    const auto fused = vd_encoder(torch::cat(tokens, 1) + fusion_pe_, fusion_).mean(1);
    std::tie(r.pred_mean, r.pred_cov) = head(fused);
    return r;
  }

 private:
  // Adapter (docs/numerics.md §5.1): fc2(LeakyReLU_0.01(fc1(x))).
  struct adapter_weights {
    torch::Tensor fc1_w, fc1_b, fc2_w, fc2_b;
    static adapter_weights from(const weight_map& w, const std::string& p) {
      return {get(w, p + "fc1.weight"), get(w, p + "fc1.bias"), get(w, p + "fc2.weight"),
              get(w, p + "fc2.bias")};
    }
    torch::Tensor operator()(const torch::Tensor& x) const {
      return torch::linear(torch::leaky_relu(torch::linear(x, fc1_w, fc1_b), 0.01), fc2_w, fc2_b);
    }
  };

  // OutputHead (docs/numerics.md §5.3): the same Linear twice, 2-D Gaussian from outputs 0, 1, 3, 4, 5.
  [[nodiscard]] std::pair<torch::Tensor, torch::Tensor> head(const torch::Tensor& x) const {
    const auto h = torch::gelu(torch::linear(torch::gelu(torch::linear(x, mlp_w_, mlp_b_)), mlp_w_, mlp_b_));
    const auto o = torch::cat({torch::linear(h, mean_w_, mean_b_), torch::linear(h, cov_w_, cov_b_)}, -1);
    const auto mean = (torch::sigmoid(o.narrow(1, 0, 2)) - 0.5) * 2 * 200.0;
    const auto d0 = torch::softplus(o.select(1, 3)), d1 = torch::softplus(o.select(1, 4)),
               off = o.select(1, 5);
    const auto zero = torch::zeros_like(d0);
    const auto lower = torch::stack({torch::stack({d0, zero}, -1), torch::stack({off, d1}, -1)}, -2);
    return {mean, torch::matmul(lower, lower.transpose(-1, -2)) + torch::eye(2)};
  }

  std::array<vit_weights, modalities> backbones_;
  std::array<conv_encoder_weights, modalities> encoders_;
  torch::Tensor ctrl_cls_;
  vd_encoder_weights combiner_;
  torch::Tensor ctrl_head0_, ctrl_head2_, noise0_w_, noise0_b_, noise2_w_, noise2_b_;
  std::array<adapter_weights, modalities> adapters_;
  vd_encoder_weights fusion_;
  torch::Tensor mlp_w_, mlp_b_, mean_w_, mean_b_, cov_w_, cov_b_;
  torch::Tensor controller_pe_, fusion_pe_;
};

}  // namespace admn::bench::torch_ref
