// admn/model/vit_backbone.hpp — the Vision Transformer backbone with skippable blocks.
//
//   x = [cls; PatchEmbed(image)] + pos_embed            (docs/numerics.md §2.2)
//   for l in blocks-to-run: x = Block_l(x)              (§2.3; a skipped block is identity)
//   out = LN_final(x)[:, 0]                             (§2.4: CLS token after the final norm)
// Sizes come from the weights (dim, depth, patch size, channels, token count); the
// head count comes from the caller, since no tensor holds it. Any subset of blocks
// in any order may run; with none, the output is LN(cls + pos[0]) for every input
// (§2.6) and the patch embedding is skipped too. Keys: cls_token, pos_embed,
// patch_embed.proj.{weight,bias}, blocks.{i}.…, norm.{weight,bias}; `head.*` is
// the unused classifier and is not bound.
//
// Options for the related systems (vit_spec):
//   layer_position_key    LayerShuffle (Freiberger et al., "LayerShuffle: Enhancing
//                         Robustness in Vision Transformers by Randomizing Layer Execution
//                         Order"): a learned [depth, dim] table E; the block run at
//                         execution position p (0-based, in the order given to forward)
//                         receives x + E[p] on every token:  x ← Block_{o_p}(x + E[p]).
//   mlp_activation        PReLU MLPs (slopes at blocks.{i}.mlp.act.weight) for
//                         LayerCollapse models (Shabgahi et al.); GELU by default.
//   collapse_linear_mlps  the load-time LayerCollapse transform: every MLP whose slopes
//                         are within this tolerance of 1 becomes one Linear
//                         (layers::mlp::collapse); collapsed() reports what changed.
// Speed option: `precision = bf16` stores the blocks' Linear weights as bf16 and runs
// them on AVX512-BF16 (kernels/gemm_bf16.hpp; ~1e-3 relative error instead of ~1e-7);
// `precision = int8` quantises them per output channel and their inputs per token
// (kernels/gemm_int8.hpp; ~1e-2). The patch embedding, LayerNorms and attention stay f32.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/layers/encoder_block.hpp>
#include <admn/layers/layer_norm.hpp>
#include <admn/layers/patch_embed.hpp>
#include <admn/layers/position_embedding.hpp>
#include <admn/tensor/workspace.hpp>

#include <array>
#include <charconv>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace admn::model {

struct vit_spec {
  std::size_t heads = 12;
  float eps = 1e-5f;  // docs/numerics.md §0: nn.LayerNorm passed explicitly
  kernels::activation_fn mlp_activation{kernels::activation::gelu_erf};
  // e.g. "layer_position.weight"; empty: none. Read during load() only. (A string_view:
  // GCC 12 warns falsely on std::string members of nested designated initializers.)
  std::string_view layer_position_key{};
  std::optional<float> collapse_linear_mlps{};              // tolerance on |slope − 1|; unset: no collapse
  kernels::precision precision = kernels::precision::fp32;  // of the blocks' Linears (bf16, int8: opt-in)
  // The images' height and width when known at load: checked to give pos_embed's token count.
  std::optional<std::array<std::size_t, 2>> image{};
};

// What the load-time LayerCollapse transform did to a backbone.
struct collapse_report {
  std::size_t mlps = 0;                  // MLPs examined (one per block)
  std::vector<std::size_t> blocks{};     // blocks whose MLP became one Linear
  std::size_t macs_saved_per_token = 0;  // Σ over those blocks of in·hidden + hidden·out − in·out
  [[nodiscard]] std::size_t count() const noexcept { return blocks.size(); }
  // Saved per forward pass over `images` inputs of `tokens` tokens each.
  [[nodiscard]] std::size_t macs_saved(std::size_t images, std::size_t tokens) const noexcept {
    return macs_saved_per_token * images * tokens;
  }
};

class vit_backbone {
 public:
  // layer_positions: LayerShuffle's [positions, dim] table (see vit_spec), or none.
  vit_backbone(layers::patch_embed patches, layers::class_token cls, layers::learned_position_embedding pos,
               std::vector<layers::encoder_block> blocks, layers::layer_norm norm,
               std::optional<tensor> layer_positions = std::nullopt)
      : patches_(std::move(patches)),
        cls_(std::move(cls)),
        pos_(std::move(pos)),
        blocks_(std::move(blocks)),
        norm_(std::move(norm)),
        layer_positions_(std::move(layer_positions)) {
    const std::size_t d = patches_.dim();
    bool ok = cls_.dim() == d && pos_.dim() == d && norm_.dim() == d && pos_.tokens() >= 1;
    for (const auto& b : blocks_) ok = ok && b.dim() == d;
    if (layer_positions_)
      ok = ok && layer_positions_->shape().rank() == 2 && layer_positions_->shape()[1] == d;
    if (!ok)
      throw shape_error("admn.vit.shape",
                        "patch embedding, class token, position table, blocks, norm "
                        "and layer positions disagree on the width " +
                            std::to_string(d));
  }

  // Binds a timm-style ViT under `w`'s prefix (e.g. weights.sub("vision.")). The depth
  // is the number of consecutive `blocks.{i}.` present; a key of a later block after a
  // gap is an error (load_error [admn.vit.block_gap]), as is an image size that does
  // not give pos_embed's token count (config_error [admn.config.image_size]).
  static vit_backbone load(const io::weight_source& w, const vit_spec& spec = {}) {
    layers::patch_embed patches = layers::patch_embed::load(w.sub("patch_embed."));
    const std::size_t d = patches.dim();
    layers::class_token cls = layers::class_token::load(w, "cls_token", d);
    layers::learned_position_embedding pos = layers::learned_position_embedding::load(w, "pos_embed", d);
    if (spec.image && patches.patches((*spec.image)[0], (*spec.image)[1]) + 1 != pos.tokens())
      throw config_error(
          "admn.config.image_size",
          "images of " + std::to_string((*spec.image)[0]) + "x" + std::to_string((*spec.image)[1]) +
              " give " + std::to_string(patches.patches((*spec.image)[0], (*spec.image)[1])) +
              " patches of " + std::to_string(patches.patch_h()) + "x" + std::to_string(patches.patch_w()) +
              ", but '" + w.prefix() + "pos_embed' holds " + std::to_string(pos.tokens() - 1) +
              " (plus the class token)");
    std::size_t depth = 0;
    while (w.contains("blocks." + std::to_string(depth) + ".norm1.weight")) ++depth;
    check_block_sequence(w, depth);
    std::vector<layers::encoder_block> blocks;
    model::collapse_report report;
    for (std::size_t i = 0; i < depth; ++i)
      blocks.push_back(load_block(w.sub("blocks." + std::to_string(i) + "."), spec, d, i, report));
    layers::layer_norm norm = layers::layer_norm::load(w.sub("norm."), d, spec.eps);
    // timm's 1000-way classifier exists in ADMN checkpoints but is never used (§7.1).
    for (const char* unused : {"head.weight", "head.bias"})
      if (w.contains(unused)) w.mark_unused_ok(unused);
    std::optional<tensor> positions;
    if (!spec.layer_position_key.empty())
      positions = w.load(spec.layer_position_key, shape{blocks.size(), d});
    vit_backbone out(std::move(patches), std::move(cls), std::move(pos), std::move(blocks), std::move(norm),
                     std::move(positions));
    out.collapsed_ = std::move(report);
    return out;
  }

  [[nodiscard]] std::size_t dim() const noexcept { return patches_.dim(); }
  [[nodiscard]] std::size_t depth() const noexcept { return blocks_.size(); }
  [[nodiscard]] std::size_t tokens() const noexcept { return pos_.tokens(); }
  [[nodiscard]] std::size_t channels() const noexcept { return patches_.channels(); }
  [[nodiscard]] const layers::patch_embed& patch_embedding() const noexcept { return patches_; }
  [[nodiscard]] const layers::encoder_block& block(std::size_t i) const noexcept { return blocks_[i]; }

  [[nodiscard]] bool has_layer_positions() const noexcept { return layer_positions_.has_value(); }
  // The LayerCollapse transform's account (empty unless vit_spec::collapse_linear_mlps).
  [[nodiscard]] const model::collapse_report& collapsed() const noexcept { return collapsed_; }

  // Multiply-accumulates of one block for `batch` inputs (block 0: all blocks are
  // equal unless some MLPs were collapsed).
  [[nodiscard]] std::size_t block_macs(std::size_t batch) const noexcept {
    return blocks_.empty() ? 0 : blocks_[0].macs(batch, tokens());
  }
  // … of block `index`.
  [[nodiscard]] std::size_t block_macs(std::size_t batch, std::size_t index) const noexcept {
    return blocks_[index].macs(batch, tokens());
  }

  // CLS features: images (batch, channels, h, w) → out (batch, dim), running the
  // blocks listed in `blocks`, in that order. Throws shape_error on a wrong input
  // shape and argument_error on a block index ≥ depth().
  void forward(const_view images, std::span<const std::size_t> blocks, mutable_view out,
               workspace& ws) const {
    const std::size_t batch = check(images, blocks);
    if (out.rank() != 2 || out.extent(0) != batch || out.extent(1) != dim())
      throw shape_error("admn.vit.output", "output must be [" + std::to_string(batch) + "," +
                                               std::to_string(dim()) + "], got " + out.shape().to_string());
    workspace::scope scope(ws);
    const mutable_view x = ws.take(shape{batch * tokens(), dim()});
    if (blocks.empty()) {
      // Only token 0 reaches the output, and nothing mixes tokens: skip the patches.
      for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t i = 0; i < dim(); ++i) out(b, i) = cls_.data()[i] + pos_.table().data()[i];
      norm_.forward(out, out);
      return;
    }
    run(images, blocks, x, batch, ws);
    // Final norm on the CLS rows only: one row every `tokens` rows.
    const const_view cls_rows(x.data(), shape{batch, dim()},
                              strides_t{static_cast<std::ptrdiff_t>(tokens() * dim()), 1});
    norm_.forward(cls_rows, out);
  }

  // Every token after the final norm: out (batch, tokens, dim).
  void forward_tokens(const_view images, std::span<const std::size_t> blocks, mutable_view out,
                      workspace& ws) const {
    const std::size_t batch = check(images, blocks);
    if (out.rank() != 3 || out.extent(0) != batch || out.extent(1) != tokens() || out.extent(2) != dim() ||
        !out.is_contiguous())
      throw shape_error("admn.vit.output", "output must be a contiguous [" + std::to_string(batch) + "," +
                                               std::to_string(tokens()) + "," + std::to_string(dim()) +
                                               "], got " + out.shape().to_string());
    const mutable_view x = out.reshape(shape{batch * tokens(), dim()});
    run(images, blocks, x, batch, ws);
    norm_.forward(x, x);
  }

  // The two halves of forward(), for policies that look at the embedded tokens
  // before choosing blocks (AdaMTL). embed: x (batch·tokens × dim, contiguous) =
  // [cls; PatchEmbed(images)] + pos_embed. forward_embedded: runs `blocks` on x in
  // place, then out (batch × dim) = LN_final(x)[:, 0]. Together they equal forward().
  void embed(const_view images, mutable_view x, workspace& ws) const {
    const std::size_t batch = check(images, {});
    check_tokens(x, batch);
    stem(images, x, batch, ws);
  }
  void forward_embedded(mutable_view x, std::span<const std::size_t> blocks, mutable_view out,
                        workspace& ws) const {
    const std::size_t batch = x.rank() == 2 && tokens() != 0 ? x.extent(0) / tokens() : 0;
    check_tokens(x, batch);
    check_blocks(blocks);
    if (out.rank() != 2 || out.extent(0) != batch || out.extent(1) != dim())
      throw shape_error("admn.vit.output", "output must be [" + std::to_string(batch) + "," +
                                               std::to_string(dim()) + "], got " + out.shape().to_string());
    run_blocks(blocks, x, batch, ws);
    const const_view cls_rows(x.data(), shape{batch, dim()},
                              strides_t{static_cast<std::ptrdiff_t>(tokens() * dim()), 1});
    norm_.forward(cls_rows, out);
  }

 private:
  // Blocks are numbered 0 … depth−1 without gaps: any other key under `blocks.` (a later
  // block, or a renamed one) means block `depth` is missing (or lacks its norm1.weight),
  // not that the model ends there.
  static void check_block_sequence(const io::weight_source& w, std::size_t depth) {
    const std::string prefix = w.prefix() + "blocks.";
    for (const auto& t : w.file().tensors()) {
      const std::string_view name = t.name;
      if (!name.starts_with(prefix)) continue;
      const std::string_view rest = name.substr(prefix.size());
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
      const bool numbered = ec == std::errc() && end != rest.data() && end != rest.data() + rest.size() &&
                            *end == '.' && (rest[0] != '0' || end == rest.data() + 1);
      if (numbered && index < depth) continue;
      throw load_error("admn.vit.block_gap",
                       "block " + std::to_string(depth) + " is missing: no tensor '" + prefix +
                           std::to_string(depth) + ".norm1.weight', yet '" + std::string(name) +
                           "' exists (blocks must be numbered 0, 1, 2, … without gaps)");
    }
  }

  void check_tokens(const_view x, std::size_t batch) const {
    if (x.rank() != 2 || batch == 0 || x.extent(0) != batch * tokens() || x.extent(1) != dim() ||
        !x.is_contiguous())
      throw shape_error("admn.vit.tokens", "token matrix must be a contiguous [batch*" +
                                               std::to_string(tokens()) + "," + std::to_string(dim()) +
                                               "], got " + x.shape().to_string());
  }

  std::size_t check(const_view images, std::span<const std::size_t> blocks) const {
    if (images.rank() != 4 || images.extent(1) != channels() || !images.is_contiguous() ||
        patches_.patches(images.extent(2), images.extent(3)) + 1 != tokens())
      throw shape_error("admn.vit.input", "input must be a contiguous [batch," + std::to_string(channels()) +
                                              ",h,w] with " + std::to_string(tokens() - 1) + " patches of " +
                                              std::to_string(patches_.patch_h()) + "x" +
                                              std::to_string(patches_.patch_w()) + ", got " +
                                              images.shape().to_string());
    check_blocks(blocks);
    return images.extent(0);
  }

  void check_blocks(std::span<const std::size_t> blocks) const {
    for (const std::size_t b : blocks)
      if (b >= depth())
        throw argument_error(
            "admn.vit.block_index",
            "block " + std::to_string(b) + " does not exist (depth " + std::to_string(depth()) + ")");
    if (layer_positions_ && blocks.size() > layer_positions_->shape()[0])
      throw argument_error("admn.vit.layer_position",
                           "an execution order of " + std::to_string(blocks.size()) +
                               " blocks needs as many layer position embeddings, the "
                               "table has " +
                               std::to_string(layer_positions_->shape()[0]));
  }

  // x (batch·tokens × dim) = blocks(patches + cls + pos), before the final norm.
  void run(const_view images, std::span<const std::size_t> blocks, mutable_view x, std::size_t batch,
           workspace& ws) const {
    stem(images, x, batch, ws);
    run_blocks(blocks, x, batch, ws);
  }

  // x = [cls; patches] + pos.
  void stem(const_view images, mutable_view x, std::size_t batch, workspace& ws) const {
    const std::size_t h = images.extent(2), w = images.extent(3), image_size = channels() * h * w;
    const std::size_t per_image = patches_.scratch_floats(h, w);
    {
      // Images are independent: embed them in parallel, each with its own scratch.
      workspace::scope scope(ws);
      float* scratch = ws.take(batch * per_image);
      kernels::for_each_chunk(batch, 1, [&](std::size_t b, std::size_t) {
        const mutable_view rows = x.slice(b * tokens() + 1, (b + 1) * tokens());
        patches_.forward(images.data() + b * image_size, h, w, rows, scratch + b * per_image);
      });
    }
    cls_.write(mutable_view(x.data(), shape{batch, dim()},
                            strides_t{static_cast<std::ptrdiff_t>(tokens() * dim()), 1}));
    pos_.add_to(x, batch);
  }

  void run_blocks(std::span<const std::size_t> blocks, mutable_view x, std::size_t batch,
                  workspace& ws) const {
    for (std::size_t p = 0; p < blocks.size(); ++p) {
      if (layer_positions_) add_row(x, layer_positions_->data() + p * dim());
      blocks_[blocks[p]].forward(x, batch, tokens(), ws);
    }
  }

  // Every row of x += e (dim values).
  void add_row(mutable_view x, const float* e) const noexcept {
    const std::size_t d = dim();
    for (std::size_t r = 0; r < x.extent(0); ++r) {
      float* row = x.data() + r * d;
      for (std::size_t i = 0; i < d; ++i) row[i] += e[i];
    }
  }

  // One timm block. With collapse_linear_mlps the parts are bound as
  // encoder_block::load binds them (timm flavour), so that the MLP can be replaced
  // by its collapsed Linear before the block is built.
  static layers::encoder_block load_block(const io::weight_source& w, const vit_spec& spec, std::size_t d,
                                          std::size_t index, model::collapse_report& report) {
    if (!spec.collapse_linear_mlps)
      return layers::encoder_block::load(w,
                                         {.heads = spec.heads,
                                          .flavour = layers::block_flavour::timm,
                                          .eps = spec.eps,
                                          .mlp_activation = spec.mlp_activation,
                                          .precision = spec.precision},
                                         d);
    layers::layer_norm norm1 = layers::layer_norm::load(w.sub("norm1."), d, spec.eps);
    layers::multi_head_attention attn =
        layers::multi_head_attention::load(w, {"attn.qkv.", "attn.proj."},
                                           {.heads = spec.heads,
                                            .qkv_bias = true,
                                            .scale_at = kernels::scale_at::scores,
                                            .precision = spec.precision},
                                           d);
    layers::layer_norm norm2 = layers::layer_norm::load(w.sub("norm2."), d, spec.eps);
    layers::mlp mlp = layers::mlp::load(w, {"mlp.fc1.", "mlp.fc2."}, spec.mlp_activation, d, spec.precision);
    ++report.mlps;
    if (auto collapsed = mlp.collapse(*spec.collapse_linear_mlps)) {
      report.macs_saved_per_token += mlp.macs(1) - collapsed->macs(1);
      report.blocks.push_back(index);
      mlp = std::move(*collapsed);
    }
    return layers::encoder_block(std::move(norm1), std::move(attn), std::move(norm2), std::move(mlp));
  }

  layers::patch_embed patches_;
  layers::class_token cls_;
  layers::learned_position_embedding pos_;
  std::vector<layers::encoder_block> blocks_;
  layers::layer_norm norm_;
  std::optional<tensor> layer_positions_;
  model::collapse_report collapsed_{};
};

}  // namespace admn::model
