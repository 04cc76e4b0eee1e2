// admn/model/vit_backbone.hpp — the Vision Transformer backbone with skippable blocks.
//
//   x = [cls; PatchEmbed(image)] + pos_embed            (ADMN_SPEC §2.2)
//   for l in blocks-to-run: x = Block_l(x)              (§2.3; a skipped block is identity)
//   out = LN_final(x)[:, 0]                             (§2.4: CLS token after the final norm)
// Sizes come from the weights (dim, depth, patch size, channels, token count); the
// head count comes from the caller, since no tensor holds it. Any subset of blocks
// in any order may run; with none, the output is LN(cls + pos[0]) for every input
// (§2.6) and the patch embedding is skipped too. Keys: cls_token, pos_embed,
// patch_embed.proj.{weight,bias}, blocks.{i}.…, norm.{weight,bias}; `head.*` is
// the unused classifier and is not bound.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/layers/encoder_block.hpp>
#include <admn/layers/layer_norm.hpp>
#include <admn/layers/patch_embed.hpp>
#include <admn/layers/position_embedding.hpp>
#include <admn/tensor/workspace.hpp>

#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace admn::model {

struct vit_spec {
  std::size_t heads = 12;
  float eps = 1e-5f;  // ADMN_SPEC §0: nn.LayerNorm passed explicitly
};

class vit_backbone {
public:
  vit_backbone(layers::patch_embed patches, layers::class_token cls, layers::learned_position_embedding pos,
               std::vector<layers::encoder_block> blocks, layers::layer_norm norm)
      : patches_(std::move(patches)), cls_(std::move(cls)), pos_(std::move(pos)), blocks_(std::move(blocks)),
        norm_(std::move(norm)) {
    const std::size_t d = patches_.dim();
    bool ok = cls_.dim() == d && pos_.dim() == d && norm_.dim() == d && pos_.tokens() >= 1;
    for (const auto& b : blocks_) ok = ok && b.dim() == d;
    if (!ok) throw shape_error("admn.vit.shape", "patch embedding, class token, position table, blocks and norm "
                                                 "disagree on the width " + std::to_string(d));
  }

  // Binds a timm-style ViT under `w`'s prefix (e.g. weights.sub("vision.")). The depth
  // is the number of consecutive `blocks.{i}.` present.
  static vit_backbone load(const io::weight_source& w, const vit_spec& spec = {}) {
    layers::patch_embed patches = layers::patch_embed::load(w.sub("patch_embed."));
    const std::size_t d = patches.dim();
    layers::class_token cls = layers::class_token::load(w, "cls_token", d);
    layers::learned_position_embedding pos = layers::learned_position_embedding::load(w, "pos_embed", d);
    std::vector<layers::encoder_block> blocks;
    for (std::size_t i = 0; w.contains("blocks." + std::to_string(i) + ".norm1.weight"); ++i)
      blocks.push_back(layers::encoder_block::load(w.sub("blocks." + std::to_string(i) + "."),
                                                   {.heads = spec.heads, .flavour = layers::block_flavour::timm,
                                                    .eps = spec.eps},
                                                   d));
    layers::layer_norm norm = layers::layer_norm::load(w.sub("norm."), d, spec.eps);
    // timm's 1000-way classifier exists in ADMN checkpoints but is never used (§7.1).
    for (const char* unused : {"head.weight", "head.bias"})
      if (w.contains(unused)) w.mark_unused_ok(unused);
    return vit_backbone(std::move(patches), std::move(cls), std::move(pos), std::move(blocks), std::move(norm));
  }

  [[nodiscard]] std::size_t dim() const noexcept { return patches_.dim(); }
  [[nodiscard]] std::size_t depth() const noexcept { return blocks_.size(); }
  [[nodiscard]] std::size_t tokens() const noexcept { return pos_.tokens(); }
  [[nodiscard]] std::size_t channels() const noexcept { return patches_.channels(); }
  [[nodiscard]] const layers::patch_embed& patch_embedding() const noexcept { return patches_; }
  [[nodiscard]] const layers::encoder_block& block(std::size_t i) const noexcept { return blocks_[i]; }

  // Multiply-accumulates of one block for `batch` inputs (all blocks are equal).
  [[nodiscard]] std::size_t block_macs(std::size_t batch) const noexcept {
    return blocks_.empty() ? 0 : blocks_[0].macs(batch, tokens());
  }

  // Scratch for a forward pass over `batch` images of h × w.
  [[nodiscard]] std::size_t workspace_floats(std::size_t batch, std::size_t h, std::size_t w) const noexcept {
    std::size_t inner = batch * patches_.workspace_floats(h, w);
    for (const auto& b : blocks_) inner = std::max(inner, b.workspace_floats(batch, tokens()));
    return workspace::rounded(batch * tokens() * dim()) + inner;
  }

  // CLS features: images (batch, channels, h, w) → out (batch, dim), running the
  // blocks listed in `blocks`, in that order. Throws shape_error on a wrong input
  // shape and argument_error on a block index ≥ depth().
  void forward(const_view images, std::span<const std::size_t> blocks, mutable_view out, workspace& ws) const {
    const std::size_t batch = check(images, blocks);
    if (out.rank() != 2 || out.extent(0) != batch || out.extent(1) != dim())
      throw shape_error("admn.vit.output", "output must be [" + std::to_string(batch) + "," + std::to_string(dim()) +
                                               "], got " + out.shape().to_string());
    workspace::scope scope(ws);
    const mutable_view x = ws.take(shape{batch * tokens(), dim()});
    if (blocks.empty()) {
      // Only token 0 reaches the output, and nothing mixes tokens: skip the patches.
      for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t i = 0; i < dim(); ++i)
          out(b, i) = cls_.data()[i] + pos_.table().data()[i];
      norm_.forward(out, out);
      return;
    }
    run(images, blocks, x, batch, ws);
    // Final norm on the CLS rows only: one row every `tokens` rows.
    const const_view cls_rows(x.data(), shape{batch, dim()}, strides_t{static_cast<std::ptrdiff_t>(tokens() * dim()), 1});
    norm_.forward(cls_rows, out);
  }

  // Every token after the final norm: out (batch, tokens, dim).
  void forward_tokens(const_view images, std::span<const std::size_t> blocks, mutable_view out, workspace& ws) const {
    const std::size_t batch = check(images, blocks);
    if (out.rank() != 3 || out.extent(0) != batch || out.extent(1) != tokens() || out.extent(2) != dim() ||
        !out.is_contiguous())
      throw shape_error("admn.vit.output", "output must be a contiguous [" + std::to_string(batch) + "," +
                                               std::to_string(tokens()) + "," + std::to_string(dim()) + "], got " +
                                               out.shape().to_string());
    const mutable_view x = out.reshape(shape{batch * tokens(), dim()});
    run(images, blocks, x, batch, ws);
    norm_.forward(x, x);
  }

private:
  std::size_t check(const_view images, std::span<const std::size_t> blocks) const {
    if (images.rank() != 4 || images.extent(1) != channels() || !images.is_contiguous() ||
        patches_.patches(images.extent(2), images.extent(3)) + 1 != tokens())
      throw shape_error("admn.vit.input", "input must be a contiguous [batch," + std::to_string(channels()) +
                                              ",h,w] with " + std::to_string(tokens() - 1) + " patches of " +
                                              std::to_string(patches_.patch_h()) + "x" +
                                              std::to_string(patches_.patch_w()) + ", got " +
                                              images.shape().to_string());
    for (const std::size_t b : blocks)
      if (b >= depth())
        throw argument_error("admn.vit.block_index", "block " + std::to_string(b) + " does not exist (depth " +
                                                         std::to_string(depth()) + ")");
    return images.extent(0);
  }

  // x (batch·tokens × dim) = blocks(patches + cls + pos), before the final norm.
  void run(const_view images, std::span<const std::size_t> blocks, mutable_view x, std::size_t batch,
           workspace& ws) const {
    const std::size_t h = images.extent(2), w = images.extent(3), image_size = channels() * h * w;
    const std::size_t per_image = patches_.workspace_floats(h, w);
    {
      // Images are independent: embed them in parallel, each with its own scratch.
      workspace::scope scope(ws);
      float* scratch = ws.take(batch * per_image);
      kernels::for_each_chunk(batch, 1, [&](std::size_t b, std::size_t) {
        const mutable_view rows = x.slice(b * tokens() + 1, (b + 1) * tokens());
        patches_.forward(images.data() + b * image_size, h, w, rows, scratch + b * per_image);
      });
    }
    cls_.write(mutable_view(x.data(), shape{batch, dim()}, strides_t{static_cast<std::ptrdiff_t>(tokens() * dim()), 1}));
    pos_.add_to(x, batch);
    for (const std::size_t index : blocks) blocks_[index].forward(x, batch, tokens(), ws);
  }

  layers::patch_embed patches_;
  layers::class_token cls_;
  layers::learned_position_embedding pos_;
  std::vector<layers::encoder_block> blocks_;
  layers::layer_norm norm_;
};

}  // namespace admn::model
