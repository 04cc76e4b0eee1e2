// admn/layers/encoder_block.hpp — the pre-norm transformer block, both flavours ADMN uses.
//
//   x = x + Attn(LN1(x))
//   x = x + MLP(LN2(x))            MLP = fc2(GELU_erf(fc1(·)))
// timm `Block` (the ViT backbones, docs/numerics.md §2.3): keys norm1, attn.qkv (with bias),
//   attn.proj, norm2, mlp.fc1, mlp.fc2; no LayerScale, no DropPath.
// vit_dev `TransformerEnc` layer (controller combiner and fusion encoder, §4.5):
//   keys 0.norm, 0.to_qkv (no bias), 0.to_out.0, 1.condln, 1.net.1, 1.net.4; the
//   scale multiplies QKᵀ.
// The block updates the residual stream in place.
#pragma once

#include <admn/layers/attention.hpp>
#include <admn/layers/layer_norm.hpp>
#include <admn/layers/mlp.hpp>
#include <admn/tensor/workspace.hpp>

#include <cstdint>
#include <optional>

namespace admn::layers {

enum class block_flavour : std::uint8_t { timm, vit_dev };

struct encoder_block_spec {
  std::size_t heads = 1;
  block_flavour flavour = block_flavour::timm;
  float eps = 1e-5f;
  kernels::activation_fn mlp_activation{kernels::activation::gelu_erf};
  // Of the four Linears; the LayerNorms and the attention products stay f32.
  kernels::precision precision = kernels::precision::fp32;
};

class encoder_block {
 public:
  encoder_block(layer_norm norm1, multi_head_attention attn, layer_norm norm2, layers::mlp mlp)
      : norm1_(std::move(norm1)), attn_(std::move(attn)), norm2_(std::move(norm2)), mlp_(std::move(mlp)) {
    const std::size_t d = attn_.dim();
    if (norm1_.dim() != d || norm2_.dim() != d || mlp_.in_features() != d || mlp_.out_features() != d)
      throw shape_error("admn.encoder_block.shape",
                        "norms, attention and MLP disagree on the width " + std::to_string(d));
  }

  // `dim` (when given) is checked against the weights; unset, it is taken from them.
  static encoder_block load(const io::weight_source& w, const encoder_block_spec& spec,
                            std::optional<std::size_t> dim = std::nullopt) {
    const bool timm = spec.flavour == block_flavour::timm;
    layer_norm norm1 = layer_norm::load(w.sub(timm ? "norm1." : "0.norm."), dim, spec.eps);
    const attention_keys keys =
        timm ? attention_keys{"attn.qkv.", "attn.proj."} : attention_keys{"0.to_qkv.", "0.to_out.0."};
    multi_head_attention attn = multi_head_attention::load(w, keys,
                                                           {.heads = spec.heads,
                                                            .qkv_bias = timm,
                                                            .scale_at = kernels::scale_at::scores,
                                                            .precision = spec.precision},
                                                           norm1.dim());
    layer_norm norm2 = layer_norm::load(w.sub(timm ? "norm2." : "1.condln."), norm1.dim(), spec.eps);
    const mlp_keys mkeys = timm ? mlp_keys{"mlp.fc1.", "mlp.fc2."} : mlp_keys{"1.net.1.", "1.net.4."};
    layers::mlp feed_forward = mlp::load(w, mkeys, spec.mlp_activation, norm1.dim(), spec.precision);
    return encoder_block(std::move(norm1), std::move(attn), std::move(norm2), std::move(feed_forward));
  }

  [[nodiscard]] std::size_t dim() const noexcept { return attn_.dim(); }
  [[nodiscard]] const multi_head_attention& attention() const noexcept { return attn_; }
  [[nodiscard]] const layers::mlp& mlp() const noexcept { return mlp_; }
  [[nodiscard]] std::size_t macs(std::size_t batch, std::size_t tokens) const noexcept {
    return attn_.macs(batch, tokens) + mlp_.macs(batch * tokens);
  }

  // x: (batch·tokens) × dim, updated in place.
  void forward(mutable_view x, std::size_t batch, std::size_t tokens, workspace& ws) const {
    workspace::scope scope(ws);
    const mutable_view normed = ws.take(shape{x.extent(0), dim()});
    norm1_.forward(x, normed);
    attn_.forward(normed, batch, tokens, x, ws, /*accumulate=*/true);
    norm2_.forward(x, normed);
    mlp_.forward(normed, x, ws, /*accumulate=*/true);
  }

 private:
  layer_norm norm1_;
  multi_head_attention attn_;
  layer_norm norm2_;
  layers::mlp mlp_;
};

}  // namespace admn::layers
