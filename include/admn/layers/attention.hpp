// admn/layers/attention.hpp — multi-head self-attention with a fused qkv projection.
//
//   [q k v] = x·Wqkvᵀ (+ b)     Wqkv (3·inner, dim); q, k, v each split into `heads` heads
//   o_h     = softmax(scale·q_h k_hᵀ) v_h,  scale = head_dim^-0.5
//   y       = o·Woutᵀ + b_out   Wout (dim, inner)
// timm Attention: keys `qkv.`, `proj.`, qkv bias (docs/numerics.md §2.3); vit_dev
// Attention: keys `to_qkv.`, `to_out.0.`, no qkv bias, scale after QKᵀ (§4.5).
// Heads of all sequences run in parallel; each writes its own output columns. They run
// in at most `scratch_slots` chunks, each chunk reusing one head scratch for its heads in
// turn: the scratch does not grow with batch × heads, and since the chunking depends on
// neither the thread count nor the CPU, the results do not either.
#pragma once

#include <admn/kernels/attention.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/layers/linear.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

namespace admn::layers {

struct attention_keys {
  std::string qkv = "qkv.";
  std::string out = "proj.";
};

struct attention_spec {
  std::size_t heads = 1;
  bool qkv_bias = true;
  kernels::scale_at scale_at = kernels::scale_at::scores;
  std::optional<float> scale{};                             // default head_dim^-0.5
  kernels::precision precision = kernels::precision::fp32;  // of both projections (load only)
};

class multi_head_attention {
 public:
  multi_head_attention(linear qkv, linear out, const attention_spec& spec)
      : qkv_(std::move(qkv)), out_(std::move(out)), spec_(spec) {
    const std::size_t rows = qkv_.out_features();
    if (spec_.heads == 0 || rows % 3 != 0 || (rows / 3) % spec_.heads != 0)
      throw shape_error("admn.attention.heads",
                        "qkv gives " + std::to_string(rows) +
                            " features, not 3 × a multiple of heads = " + std::to_string(spec_.heads));
    if (out_.in_features() != inner() || out_.out_features() != qkv_.in_features())
      throw shape_error("admn.attention.shape", "output projection must be (" +
                                                    std::to_string(qkv_.in_features()) + ", " +
                                                    std::to_string(inner()) + ")");
    scale_ = spec_.scale ? *spec_.scale : 1.0f / std::sqrt(static_cast<float>(head_dim()));
  }

  static multi_head_attention load(const io::weight_source& w, const attention_keys& keys,
                                   const attention_spec& spec,
                                   std::optional<std::size_t> dim = std::nullopt) {
    linear qkv =
        linear::load(w.sub(keys.qkv), {.in = dim, .bias = spec.qkv_bias, .precision = spec.precision});
    linear out = linear::load(w.sub(keys.out), {.out = qkv.in_features(), .precision = spec.precision});
    return multi_head_attention(std::move(qkv), std::move(out), spec);
  }

  [[nodiscard]] std::size_t dim() const noexcept { return qkv_.in_features(); }
  [[nodiscard]] std::size_t heads() const noexcept { return spec_.heads; }
  [[nodiscard]] std::size_t inner() const noexcept { return qkv_.out_features() / 3; }
  [[nodiscard]] std::size_t head_dim() const noexcept { return inner() / spec_.heads; }
  [[nodiscard]] float scale() const noexcept { return scale_; }

  // Projections plus QKᵀ and AV for `batch` sequences of `tokens` tokens.
  [[nodiscard]] std::size_t macs(std::size_t batch, std::size_t tokens) const noexcept {
    return qkv_.macs(batch * tokens) + 2 * batch * tokens * tokens * inner() + out_.macs(batch * tokens);
  }
  // Head scratches at most: enough parallel work for the attention core (a few % of a
  // ViT block's MACs), while a batch of ViT-B images needs 16 of its 0.25 MiB, not 12 per image.
  static constexpr std::size_t scratch_slots = 16;

  // y = attention(x) (or y += … when accumulate). x, y: (batch·tokens) × dim,
  // sequence b in rows [b·tokens, (b+1)·tokens).
  void forward(const_view x, std::size_t batch, std::size_t tokens, mutable_view y, workspace& ws,
               bool accumulate = false) const {
    ADMN_ASSERT(x.extent(0) == batch * tokens);
    workspace::scope scope(ws);
    const std::size_t rows = batch * tokens;
    const mutable_view qkv = ws.take(shape{rows, 3 * inner()});
    const mutable_view heads_out = ws.take(shape{rows, inner()});
    const kernels::attention_shape s = head_shape(tokens);
    const std::size_t per_head = workspace::rounded(kernels::active().attention_scratch_floats(s));
    const std::size_t tasks = batch * heads();
    const std::size_t per_slot = (tasks + scratch_slots - 1) / scratch_slots;
    float* scratch = ws.take(std::min(tasks, scratch_slots) * per_head);
    qkv_.forward(x, qkv);
    kernels::for_each_chunk(tasks, per_slot, [&](std::size_t begin, std::size_t end) {
      float* slot = scratch + begin / per_slot * per_head;
      for (std::size_t task = begin; task < end; ++task) {
        const std::size_t b = task / heads(), h = task % heads();
        kernels::active().attention_head(s, qkv.data() + b * tokens * 3 * inner(), h,
                                         heads_out.data() + b * tokens * inner(), slot);
      }
    });
    out_.forward(heads_out, y, {}, accumulate);
  }

 private:
  [[nodiscard]] kernels::attention_shape head_shape(std::size_t tokens) const noexcept {
    return {tokens, heads(), head_dim(), 3 * inner(), inner(), scale_, spec_.scale_at};
  }

  linear qkv_;
  linear out_;
  attention_spec spec_;
  float scale_ = 1.0f;
};

}  // namespace admn::layers
