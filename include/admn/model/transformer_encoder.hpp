// admn/model/transformer_encoder.hpp — vit_dev `TransformerEnc`: pre-norm blocks + final LN.
//
//   for each layer: x = x + to_out(Attn(LN_a(x)));  x = x + net.4(GELU(net.1(LN_f(x))))
//   return LN_final(x)                                            (docs/numerics.md §4.5)
// The controller's combiner and the fusion encoder of every ADMN network. Keys
// layers.{i}.0.norm, layers.{i}.0.to_qkv (no bias), layers.{i}.0.to_out.0,
// layers.{i}.1.condln, layers.{i}.1.net.1, layers.{i}.1.net.4, norm. Depth and sizes
// come from the weights; the head count from the caller.
#pragma once

#include <admn/io/weight_source.hpp>
#include <admn/layers/encoder_block.hpp>
#include <admn/layers/layer_norm.hpp>
#include <admn/tensor/workspace.hpp>

#include <optional>
#include <string>
#include <vector>

namespace admn::model {

class transformer_encoder {
 public:
  transformer_encoder(std::vector<layers::encoder_block> blocks, layers::layer_norm norm)
      : blocks_(std::move(blocks)), norm_(std::move(norm)) {
    for (const auto& b : blocks_)
      if (b.dim() != norm_.dim())
        throw shape_error("admn.transformer_encoder.shape",
                          "blocks and final norm disagree on the width " + std::to_string(norm_.dim()));
  }

  static transformer_encoder load(const io::weight_source& w, std::size_t heads, float eps = 1e-5f) {
    std::vector<layers::encoder_block> blocks;
    for (std::size_t i = 0; w.contains("layers." + std::to_string(i) + ".0.norm.weight"); ++i)
      blocks.push_back(layers::encoder_block::load(
          w.sub("layers." + std::to_string(i) + "."),
          {.heads = heads, .flavour = layers::block_flavour::vit_dev, .eps = eps}));
    layers::layer_norm norm = layers::layer_norm::load(w.sub("norm."), std::nullopt, eps);
    return transformer_encoder(std::move(blocks), std::move(norm));
  }

  [[nodiscard]] std::size_t dim() const noexcept { return norm_.dim(); }
  [[nodiscard]] std::size_t depth() const noexcept { return blocks_.size(); }
  [[nodiscard]] const layers::encoder_block& block(std::size_t i) const noexcept { return blocks_[i]; }
  [[nodiscard]] std::size_t macs(std::size_t batch, std::size_t tokens) const noexcept {
    std::size_t total = 0;
    for (const auto& b : blocks_) total += b.macs(batch, tokens);
    return total;
  }

  // x: (batch·tokens) × dim, contiguous; replaced by the encoder's output.
  void forward(mutable_view x, std::size_t batch, std::size_t tokens, workspace& ws) const {
    ADMN_ASSERT(x.extent(0) == batch * tokens && x.extent(1) == dim());
    for (const auto& b : blocks_) b.forward(x, batch, tokens, ws);
    norm_.forward(x, x);
  }

 private:
  std::vector<layers::encoder_block> blocks_;
  layers::layer_norm norm_;
};

}  // namespace admn::model
