// admn/model/heads.hpp — the task heads on the fused vector.
//
// task_head      one named task of a multi-task model: a Linear, or fc1 → GELU → fc2 (AdaMTL)
// linear_head    logits = W·h + b                       AVE Linear(256,28), MMFI Linear(64,27) (§5.4)
// gaussian_head  GTDM OutputHead (docs/numerics.md §5.3):
//   h   = GELU(W1·GELU(W1·x + b1) + b1)                  the SAME Linear applied twice (mlp.0)
//   o   = [mean_head(h) (2), cov_head(h) (4)]
//   mean = (sigmoid(o[0:2]) − 0.5)·2·mean_scale           mean_scale = [200, 200]
//   L = [[softplus(o[3]), 0], [o[5], softplus(o[4])]],  cov = L·Lᵀ + I    (o[2] unused)
#pragma once

#include <admn/io/weight_source.hpp>
#include <admn/kernels/unfused.hpp>
#include <admn/layers/linear.hpp>
#include <admn/layers/mlp.hpp>
#include <admn/tensor/workspace.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

namespace admn::model {

class linear_head {
 public:
  explicit linear_head(layers::linear fc) : fc_(std::move(fc)) {}
  // `dim` (when given) is checked against the weight; unset, it is taken from it.
  static linear_head load(const io::weight_source& w, std::optional<std::size_t> dim = std::nullopt) {
    return linear_head(layers::linear::load(w, {.in = dim}));
  }
  [[nodiscard]] std::size_t in_features() const noexcept { return fc_.in_features(); }
  [[nodiscard]] std::size_t classes() const noexcept { return fc_.out_features(); }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept { return fc_.macs(batch); }
  // h: batch × dim → logits: batch × classes.
  void forward(const_view h, mutable_view logits) const { fc_.forward(h, logits); }

 private:
  layers::linear fc_;
};

class gaussian_head {
 public:
  gaussian_head(layers::linear shared, layers::linear mean, layers::linear cov,
                std::array<float, 2> mean_scale = {200.0f, 200.0f})
      : shared_(std::move(shared)), mean_(std::move(mean)), cov_(std::move(cov)), mean_scale_(mean_scale) {
    if (shared_.in_features() != shared_.out_features() || mean_.out_features() != 2 ||
        cov_.out_features() != 4 || mean_.in_features() != shared_.out_features() ||
        cov_.in_features() != shared_.out_features())
      throw shape_error("admn.gaussian_head.shape", "expected mlp.0 (d,d), mean_head (2,d), cov_head (4,d)");
  }

  // Keys mlp.0, mean_head, cov_head. `mlp.2` is the same Linear in the reference
  // (one module registered twice); it is not needed, so it is accepted unused.
  static gaussian_head load(const io::weight_source& w, std::optional<std::size_t> dim = std::nullopt) {
    layers::linear shared = layers::linear::load(w.sub("mlp.0."), {.in = dim, .out = dim});
    for (const char* key : {"mlp.2.weight", "mlp.2.bias"})
      if (w.contains(key)) w.mark_unused_ok(key);
    layers::linear mean = layers::linear::load(w.sub("mean_head."), {.in = shared.out_features(), .out = 2});
    layers::linear cov = layers::linear::load(w.sub("cov_head."), {.in = shared.out_features(), .out = 4});
    return gaussian_head(std::move(shared), std::move(mean), std::move(cov));
  }

  [[nodiscard]] std::size_t in_features() const noexcept { return shared_.in_features(); }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    return 2 * shared_.macs(batch) + mean_.macs(batch) + cov_.macs(batch);
  }

  // h: batch × dim → mean: batch × 2, cov: batch × 2 × 2.
  void forward(const_view h, mutable_view mean, mutable_view cov, workspace& ws) const {
    workspace::scope scope(ws);
    const std::size_t batch = h.extent(0);
    const mutable_view a = ws.take(shape{batch, in_features()});
    const mutable_view b = ws.take(shape{batch, in_features()});
    const mutable_view o = ws.take(shape{batch, 6});
    const kernels::activation_fn gelu{kernels::activation::gelu_erf};
    shared_.forward(h, a, gelu);
    shared_.forward(a, b, gelu);
    mean_.forward(b, mutable_view(o.data(), shape{batch, 2}, strides_t{6, 1}));
    cov_.forward(b, mutable_view(o.data() + 2, shape{batch, 4}, strides_t{6, 1}));
    for (std::size_t s = 0; s < batch; ++s) {
      for (std::size_t i = 0; i < 2; ++i)
        mean(s, i) = (1.0f / (1.0f + std::exp(-o(s, i))) - 0.5f) * 2.0f * mean_scale_[i];
      const float d0 = softplus(o(s, 3)), d1 = softplus(o(s, 4)), off = o(s, 5);
      // cov = L·Lᵀ + I with L = [[d0, 0], [off, d1]]; each product rounded on its own, so
      // the result does not depend on whether the program's flags let GCC fuse a·b + c.
      using kernels::unfused_product;
      cov(s, 0, 0) = unfused_product(d0, d0) + 1.0f;
      cov(s, 0, 1) = d0 * off;
      cov(s, 1, 0) = off * d0;
      cov(s, 1, 1) = unfused_product(off, off) + unfused_product(d1, d1) + 1.0f;
    }
  }

 private:
  // torch.nn.functional.softplus (beta 1, threshold 20): x above 20 passes through.
  static float softplus(float x) noexcept { return x > 20.0f ? x : std::log1p(std::exp(x)); }

  layers::linear shared_;
  layers::linear mean_;
  layers::linear cov_;
  std::array<float, 2> mean_scale_;
};

enum class task_kind : std::uint8_t { classification, regression };

struct task_spec {
  std::string name;
  task_kind kind = task_kind::classification;
  std::string prefix{};  // default "heads.<name>."
};

// One task's head on the encoder's CLS features: a Linear (keys weight, bias) or an
// MLP (fc1, fc2, GELU), recognised from the weights.
class task_head {
 public:
  static task_head load(const io::weight_source& w, const task_spec& spec, std::size_t dim) {
    task_head h;
    h.name_ = spec.name;
    h.kind_ = spec.kind;
    if (w.contains("fc1.weight"))
      h.mlp_.emplace(layers::mlp::load(w, {}, {kernels::activation::gelu_erf}, dim));
    else
      h.linear_.emplace(layers::linear::load(w, {.in = dim}));
    return h;
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] task_kind kind() const noexcept { return kind_; }
  [[nodiscard]] std::size_t outputs() const noexcept {
    return mlp_ ? mlp_->out_features() : linear_->out_features();
  }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    return mlp_ ? mlp_->macs(batch) : linear_->macs(batch);
  }
  // features: batch × dim → out: batch × outputs().
  void forward(const_view features, mutable_view out, workspace& ws) const {
    if (mlp_)
      mlp_->forward(features, out, ws);
    else
      linear_->forward(features, out);
  }

 private:
  task_head() = default;
  std::string name_;
  task_kind kind_ = task_kind::classification;
  std::optional<layers::linear> linear_;
  std::optional<layers::mlp> mlp_;
};

}  // namespace admn::model
