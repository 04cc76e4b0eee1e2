// admn/adaptive/cost.hpp — the cost of a plan: MACs from shapes, and a cost table.
//
// MACs (multiply-accumulates) follow the accounting of docs/numerics.md §8, which uses
// fvcore's conventions with two corrections:
//   counted      one MAC per multiply-add of every Linear, Conv2d and matrix product
//                (fvcore calls one MAC a "flop"); QKᵀ and A·V of attention, 2·N²·inner
//                per sequence, *including* timm's fused scaled_dot_product_attention,
//                which fvcore under torch 2.4 has no handler for and silently drops
//                (0.0596 GMAC per 197-token ViT-B block);
//   not counted  bias additions, LayerNorm / BatchNorm (fvcore adds ~5 per element
//                for a norm; §8 leaves them out: with them a ViT-B block would be
//                1.4555, not 1.4540 GMAC), softmax, GELU/ReLU, residual and
//                positional-encoding additions, max-pooling, token means, the
//                antialiased Resize (no fvcore handler either), the layer-mask top-k.
// A block kept for a modality runs on every instance (node/frame) of it, so its cost
// is instances × one image's (§1, §9.8); a backbone with no kept block skips its
// patch embedding too (admn computes only LN(cls + pos[0]) then, §2.6).
//
// The reference networks' full-size shapes are in admn/zoo/reference_shapes.hpp.
//
// A cost_table holds one number per part of a network — controller, each modality's
// patch embedding and one block (all instances), fusion + head, a fixed overhead — in
// any unit: MACs (macs_table) or milliseconds (latency_profile in profile.hpp). The
// planner (planner.hpp) works on either.
#pragma once

#include <admn/adaptive/budget.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/error.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace admn::adaptive {

// ---- MACs from shapes --------------------------------------------------------------------

struct block_macs {
  std::uint64_t qkv = 0, attention = 0, proj = 0, mlp = 0;
  [[nodiscard]] constexpr std::uint64_t total() const noexcept { return qkv + attention + proj + mlp; }
};

[[nodiscard]] constexpr std::uint64_t linear_macs(std::uint64_t rows, std::uint64_t in,
                                                  std::uint64_t out) noexcept {
  return rows * in * out;
}

// A pre-norm transformer block (timm Block §2.3, vit_dev layer §4.5) on one sequence
// of `tokens`: width dim, attention width inner = heads·dim_head, MLP hidden mlp.
[[nodiscard]] constexpr block_macs transformer_block_macs(std::uint64_t tokens, std::uint64_t dim,
                                                          std::uint64_t inner, std::uint64_t mlp) noexcept {
  return {.qkv = linear_macs(tokens, dim, 3 * inner),
          .attention = 2 * tokens * tokens * inner,
          .proj = linear_macs(tokens, inner, dim),
          .mlp = linear_macs(tokens, dim, mlp) + linear_macs(tokens, mlp, dim)};
}

// A timm ViT (§2): ViT-B/16 at 224×224 by default.
struct vit_shape {
  std::size_t dim = 768, depth = 12, heads = 12, mlp = 3072, channels = 3;
  std::array<std::size_t, 2> image{224, 224};
  std::array<std::size_t, 2> patch{16, 16};

  [[nodiscard]] constexpr std::size_t patches() const noexcept {
    return (image[0] / patch[0]) * (image[1] / patch[1]);
  }
  [[nodiscard]] constexpr std::size_t tokens() const noexcept { return patches() + 1; }
  // One block on one image (inner = dim in timm).
  [[nodiscard]] constexpr block_macs block() const noexcept {
    return transformer_block_macs(tokens(), dim, dim, mlp);
  }
  // Conv2d(C, dim, k = s = patch) on one image.
  [[nodiscard]] constexpr std::uint64_t patch_embed() const noexcept {
    return std::uint64_t{patches()} * channels * patch[0] * patch[1] * dim;
  }
};

// A controller conv encoder (§4.2): Resize → Conv(k0) → Conv(k1) → MaxPool → Conv(k2)
// → Flatten → Linear(F, dim); all convs stride 1, no padding.
struct conv_encoder_shape {
  std::size_t channels = 3;
  std::array<std::size_t, 2> resize{100, 100};
  std::array<std::size_t, 2> pool{3, 3};
  std::array<std::size_t, 3> widths{6, 6, 3};
  std::array<std::size_t, 3> kernels{10, 10, 5};
  std::size_t dim = 256;

  // Throws shape_error [admn.cost.shape] when a kernel does not fit.
  [[nodiscard]] std::size_t flat_features() const { return walk(nullptr); }
  [[nodiscard]] std::uint64_t macs() const {
    std::uint64_t convs = 0;
    const std::size_t flat = walk(&convs);
    return convs + linear_macs(1, flat, dim);
  }

 private:
  std::size_t walk(std::uint64_t* convs) const {
    std::size_t c = channels, h = resize[0], w = resize[1];
    for (std::size_t i = 0; i < 3; ++i) {
      if (i == 2) {
        if (pool[0] == 0 || pool[1] == 0) throw shape_error("admn.cost.shape", "a pooling window of 0");
        h /= pool[0];
        w /= pool[1];
      }
      if (kernels[i] == 0 || h < kernels[i] || w < kernels[i])
        throw shape_error("admn.cost.shape", "conv kernel " + std::to_string(kernels[i]) + " does not fit " +
                                                 std::to_string(h) + "x" + std::to_string(w));
      h = h - kernels[i] + 1;
      w = w - kernels[i] + 1;
      if (convs) *convs += std::uint64_t{widths[i]} * h * w * c * kernels[i] * kernels[i];
      c = widths[i];
    }
    return c * h * w;
  }
};

// vit_dev TransformerEnc (§4.5): the controller's combiner and the fusion encoder.
struct encoder_shape {
  std::size_t dim = 256, depth = 6, heads = 4, dim_head = 64, mlp = 768;
  [[nodiscard]] constexpr std::uint64_t macs(std::size_t tokens) const noexcept {
    return depth * transformer_block_macs(tokens, dim, heads * dim_head, mlp).total();
  }
};

// The QoI-aware controller (§4): encoders on the first `encoded[m]` instances of each
// modality, optional CLS, combiner, layer-logit head (no biases) and QoI head.
struct controller_shape {
  std::vector<conv_encoder_shape> encoders;
  std::vector<std::size_t> encoded;
  bool cls = true;
  encoder_shape combiner{.dim = 256, .depth = 4, .heads = 4, .dim_head = 64, .mlp = 1024};
  std::size_t head_hidden = 200, logits = 24, noise_hidden = 250, qoi = 2;

  [[nodiscard]] std::size_t tokens() const noexcept {
    std::size_t n = cls ? 1 : 0;
    for (const std::size_t e : encoded) n += e;
    return n;
  }
  [[nodiscard]] std::uint64_t macs() const {
    if (encoders.size() != encoded.size())
      throw shape_error("admn.cost.shape", "controller: one encoded-instance count per encoder");
    std::uint64_t total = combiner.macs(tokens());
    for (std::size_t m = 0; m < encoders.size(); ++m) total += encoded[m] * encoders[m].macs();
    total += linear_macs(1, combiner.dim, head_hidden) + linear_macs(1, head_hidden, logits);
    total += linear_macs(1, combiner.dim, noise_hidden) + linear_macs(1, noise_hidden, qoi);
    return total;
  }
};

struct modality_shape {
  std::string name;
  vit_shape vit{};
  std::size_t instances = 1;
};

// A whole network: backbones, optional controller, adapters (per instance
// vit.dim → hidden → fusion.dim), fusion encoder over all instances, head.
struct network_shape {
  std::vector<modality_shape> modalities;
  std::optional<controller_shape> controller;
  std::size_t adapter_hidden = 512;
  encoder_shape fusion{};
  std::uint64_t head = 0;  // MACs of the head on the fused vector

  [[nodiscard]] std::size_t fusion_tokens() const noexcept {
    std::size_t n = 0;
    for (const auto& m : modalities) n += m.instances;
    return n;
  }
  [[nodiscard]] std::uint64_t adapters() const noexcept {
    std::uint64_t total = 0;
    for (const auto& m : modalities)
      total += linear_macs(m.instances, m.vit.dim, adapter_hidden) +
               linear_macs(m.instances, adapter_hidden, fusion.dim);
    return total;
  }
  [[nodiscard]] std::uint64_t fusion_head() const noexcept {
    return adapters() + fusion.macs(fusion_tokens()) + head;
  }
};

// ---- cost tables ---------------------------------------------------------------------------

struct modality_cost {
  std::string name;
  std::size_t depth = 0;
  double embed = 0.0;  // patch embedding of all instances (paid when ≥ 1 block is kept)
  double block = 0.0;  // one block on all instances
};

enum class bound : std::uint8_t { upper, lower };

struct cost_table {
  double controller = 0.0;  // 0 for a network without a controller
  std::vector<modality_cost> modalities;
  double fusion_head = 0.0;  // adapters + fusion encoder + head
  double overhead = 0.0;     // everything else a run pays (latency only; 0 for MACs)

  [[nodiscard]] std::vector<std::size_t> depths() const {
    std::vector<std::size_t> out;
    for (const auto& m : modalities) out.push_back(m.depth);
    return out;
  }

  // The cost of one sample under `plan`. Throws argument_error [admn.plan.modalities]
  // when the plan has another number of modalities.
  [[nodiscard]] double plan_cost(const layer_plan& plan, bool with_controller = true) const {
    if (plan.modalities() != modalities.size())
      throw argument_error("admn.plan.modalities",
                           "plan '" + plan.to_string() + "' has " + std::to_string(plan.modalities()) +
                               " modalities, the table " + std::to_string(modalities.size()));
    double total = fusion_head + overhead + (with_controller ? controller : 0.0);
    for (std::size_t m = 0; m < modalities.size(); ++m) {
      const std::size_t kept = plan[m].count();
      if (kept != 0) total += modalities[m].embed + static_cast<double>(kept) * modalities[m].block;
    }
    return total;
  }

  // The cost of a controller run with budget L (docs/numerics.md §4.6: block 0 of every
  // modality plus L − M more, split by the controller). The split is known only once
  // the controller has seen the input, so this bounds it: bound::upper gives the
  // extra blocks to the most expensive modalities first, bound::lower to the cheapest.
  // Equal for modalities of equal block cost (GTDM, MMFI). Throws budget_error
  // [admn.budget.too_small] / [admn.budget.too_large].
  [[nodiscard]] double budget_cost(std::size_t layers, bound b = bound::upper) const {
    const std::vector<std::size_t> d = depths();
    check_budget(layers, d);
    for (const auto& m : modalities)
      if (m.depth == 0)
        throw budget_error("admn.budget.too_small", "modality '" + m.name + "' has no block to force");
    double total = fusion_head + overhead + controller;
    std::vector<std::size_t> order(modalities.size());
    for (std::size_t m = 0; m < order.size(); ++m) {
      order[m] = m;
      total += modalities[m].embed + modalities[m].block;
    }
    // Ties keep the modalities' order (index as the last key: a plain sort, no buffer).
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      if (modalities[x].block != modalities[y].block)
        return b == bound::upper ? modalities[x].block > modalities[y].block
                                 : modalities[x].block < modalities[y].block;
      return x < y;
    });
    std::size_t extra = layers - modalities.size();
    for (const std::size_t m : order) {
      const std::size_t take = std::min(extra, modalities[m].depth - 1);
      total += static_cast<double>(take) * modalities[m].block;
      extra -= take;
    }
    return total;
  }
};

// MACs per part from shapes.
[[nodiscard]] inline cost_table macs_table(const network_shape& s) {
  cost_table t;
  if (s.controller) t.controller = static_cast<double>(s.controller->macs());
  for (const auto& m : s.modalities)
    t.modalities.push_back({m.name, m.vit.depth, static_cast<double>(m.instances * m.vit.patch_embed()),
                            static_cast<double>(m.instances * m.vit.block().total())});
  t.fusion_head = static_cast<double>(s.fusion_head());
  return t;
}

// MACs per part of a loaded network (model::network), from its layers' macs().
template <class Net>
[[nodiscard]] cost_table macs_table_of(const Net& net) {
  cost_table t;
  t.controller = static_cast<double>(net.policy().macs(1));
  const auto names = Net::modality_names();
  for (std::size_t m = 0; m < Net::modality_count; ++m) {
    const auto& b = net.backbone(m);
    const auto& mc = net.config().modalities[m];
    t.modalities.push_back(
        {std::string(names[m]), b.depth(),
         static_cast<double>(b.patch_embedding().macs(mc.instances, mc.image[0], mc.image[1])),
         static_cast<double>(b.block_macs(mc.instances))});
  }
  t.fusion_head = static_cast<double>(net.fusion().macs(1) + net.head().macs(1));
  return t;
}

}  // namespace admn::adaptive
