// admn/layers/mlp.hpp — two Linear layers with an activation between them.
//
//   y = fc2(act(fc1(x)))           timm Mlp (GELU), vit_dev FeedForward `net.1`/`net.4`,
//                                  ADMN adapters (LeakyReLU 0.01 / ReLU) — docs/numerics.md §2.3, §4.5, §5.1
// The activation is fused into fc1's GEMM; with `accumulate` the result is added
// to y (the residual stream). Key names differ per model, so they are parameters.
//
// PReLU (LayerCollapse, Shabgahi et al., "LayerCollapse: Adaptive compression of
// neural networks"): act(h) = h ≥ 0 ? h : a·h with a learned slope, one (nn.PReLU())
// or one per hidden feature, read from `<act>weight`. When every slope is 1 the MLP
// is linear and collapses into one Linear:
//   y = W2·(W1·x + b1) + b2 = (W2·W1)·x + (W2·b1 + b2)
// collapse(tolerance) builds that Linear (products in double, rounded once) when
// every slope is within `tolerance` of 1; it saves in·hidden + hidden·out − in·out
// multiply-accumulates per row.
#pragma once

#include <admn/error.hpp>
#include <admn/kernels/activation.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/layers/linear.hpp>
#include <admn/tensor/workspace.hpp>

#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace admn::layers {

struct mlp_keys {
  std::string fc1 = "fc1.";
  std::string fc2 = "fc2.";
  // PReLU slopes `<act>weight`. Empty: derived from fc1's key — timm's `…fc1.` →
  // `…act.`, an nn.Sequential index `…n.` → `…(n+1).` (the module after fc1).
  std::string act{};
};

class mlp {
 public:
  mlp(linear fc1, linear fc2, kernels::activation_fn act)
      : fc1_(std::move(fc1)), fc2_(std::move(fc2)), act_(act) {
    if (fc2_->in_features() != fc1_.out_features())
      throw shape_error("admn.mlp.shape", "fc2 takes " + std::to_string(fc2_->in_features()) +
                                              " features but fc1 gives " +
                                              std::to_string(fc1_.out_features()));
  }

  // PReLU with one slope per hidden feature (nn.PReLU(hidden) on (rows, hidden)).
  // Throws shape_error [admn.mlp.prelu] unless slopes has `hidden` values.
  mlp(linear fc1, linear fc2, tensor slopes)
      : mlp(std::move(fc1), std::move(fc2), {kernels::activation::prelu, 1.0f}) {
    if (slopes.size() != fc1_.out_features())
      throw shape_error("admn.mlp.prelu", "per-channel PReLU needs " + std::to_string(fc1_.out_features()) +
                                              " slopes, got " + std::to_string(slopes.size()));
    slopes_ = std::move(slopes);
  }

  // The collapsed form of a linear MLP: one Linear (see collapse()).
  explicit mlp(linear collapsed) : fc1_(std::move(collapsed)), act_{} {}

  // Sizes come from the weights; `dim` (when given) is checked against fc1's input.
  // With a prelu activation the slopes are bound from `<keys.act>weight`, of shape
  // [1] or [hidden]; act.slope is ignored. Throws config_error [admn.mlp.prelu_key]
  // when no key can be derived.
  static mlp load(const io::weight_source& w, const mlp_keys& keys, kernels::activation_fn act,
                  std::optional<std::size_t> dim = std::nullopt,
                  kernels::precision precision = kernels::precision::fp32) {
    linear fc1 = linear::load(w.sub(keys.fc1), {.in = dim, .precision = precision});
    linear fc2 = linear::load(w.sub(keys.fc2), {.in = fc1.out_features(), .precision = precision});
    if (act.kind != kernels::activation::prelu) return mlp(std::move(fc1), std::move(fc2), act);
    const io::weight_source slopes_source = w.sub(keys.act.empty() ? activation_key(keys.fc1, w) : keys.act);
    const auto stored = slopes_source.shape_of("weight");
    if (stored.size() == 1 && stored[0] == 1) {
      act.slope = slopes_source.load("weight", shape{1}).data()[0];
      return mlp(std::move(fc1), std::move(fc2), act);
    }
    tensor slopes = slopes_source.load("weight", shape{fc1.out_features()});
    return mlp(std::move(fc1), std::move(fc2), std::move(slopes));
  }

  [[nodiscard]] bool collapsed() const noexcept { return !fc2_.has_value(); }
  [[nodiscard]] std::size_t in_features() const noexcept { return fc1_.in_features(); }
  // 0 once collapsed.
  [[nodiscard]] std::size_t hidden_features() const noexcept { return collapsed() ? 0 : fc1_.out_features(); }
  [[nodiscard]] std::size_t out_features() const noexcept {
    return collapsed() ? fc1_.out_features() : fc2_->out_features();
  }
  [[nodiscard]] kernels::activation_fn activation() const noexcept { return act_; }
  // Per-hidden-feature PReLU slopes; empty for a single slope (in activation().slope).
  [[nodiscard]] std::span<const float> prelu_slopes() const noexcept {
    return slopes_ ? slopes_->values() : std::span<const float>{};
  }
  // The first Linear; once collapsed, the only one.
  [[nodiscard]] const linear& fc1() const noexcept { return fc1_; }
  [[nodiscard]] const linear& fc2() const noexcept {
    ADMN_ASSERT(!collapsed());
    return *fc2_;
  }
  [[nodiscard]] std::size_t macs(std::size_t rows) const noexcept {
    return fc1_.macs(rows) + (collapsed() ? 0 : fc2_->macs(rows));
  }

  // Linear within `tolerance`: no activation, or a (P/Leaky)ReLU whose every slope
  // a has |a − 1| ≤ tolerance. (ReLU and GELU never are.)
  [[nodiscard]] bool is_linear(float tolerance) const noexcept {
    if (collapsed() || act_.kind == kernels::activation::none) return true;
    if (act_.kind != kernels::activation::prelu && act_.kind != kernels::activation::leaky_relu) return false;
    if (!slopes_) return std::abs(act_.slope - 1.0f) <= tolerance;
    for (const float a : slopes_->values())
      if (!(std::abs(a - 1.0f) <= tolerance)) return false;
    return true;
  }

  // The single Linear (W2·W1, W2·b1 + b2) when is_linear(tolerance), else nothing.
  // Already collapsed: nothing. The products are summed in double and rounded once.
  [[nodiscard]] std::optional<mlp> collapse(float tolerance) const {
    if (collapsed() || !is_linear(tolerance)) return std::nullopt;
    const std::size_t in = in_features(), hidden = hidden_features(), out = out_features();
    std::vector<double> w1(hidden * in), w2(out * hidden), b1(hidden, 0.0);
    for (std::size_t k = 0; k < hidden; ++k)
      for (std::size_t j = 0; j < in; ++j) w1[k * in + j] = fc1_.weight(k, j);
    for (std::size_t i = 0; i < out; ++i)
      for (std::size_t k = 0; k < hidden; ++k) w2[i * hidden + k] = fc2_->weight(i, k);
    if (const tensor* b = fc1_.bias())
      for (std::size_t k = 0; k < hidden; ++k) b1[k] = b->data()[k];
    const bool has_bias = fc1_.has_bias() || fc2_->has_bias();
    tensor weight(shape{out, in});
    std::optional<tensor> bias;
    if (has_bias) bias.emplace(shape{out});
    kernels::for_each_chunk(out, 16, [&](std::size_t begin, std::size_t end) {
      std::vector<double> row(in);
      for (std::size_t i = begin; i < end; ++i) {
        std::fill(row.begin(), row.end(), 0.0);
        double b = fc2_->bias() ? fc2_->bias()->data()[i] : 0.0;
        for (std::size_t k = 0; k < hidden; ++k) {
          const double a = w2[i * hidden + k];
          const double* w1_row = w1.data() + k * in;
          for (std::size_t j = 0; j < in; ++j) row[j] += a * w1_row[j];
          b += a * b1[k];
        }
        for (std::size_t j = 0; j < in; ++j) weight.data()[i * in + j] = static_cast<float>(row[j]);
        if (bias) bias->data()[i] = static_cast<float>(b);
      }
    });
    return mlp(linear(weight, std::move(bias), fc1_.precision()));
  }

  // y = fc2(act(fc1(x))) (or y += … when accumulate). x: rows × in, y: rows × out.
  void forward(const_view x, mutable_view y, workspace& ws, bool accumulate = false) const {
    if (collapsed()) {
      fc1_.forward(x, y, {}, accumulate);
      return;
    }
    workspace::scope scope(ws);
    const mutable_view hidden = ws.take(shape{x.extent(0), hidden_features()});
    if (slopes_) {
      fc1_.forward(x, hidden);
      kernels::active().prelu_channels(hidden.data(), hidden.extent(0), hidden.extent(1),
                                       static_cast<std::size_t>(hidden.stride(0)), slopes_->data());
    } else {
      fc1_.forward(x, hidden, act_);
    }
    fc2_->forward(hidden, y, {}, accumulate);
  }

 private:
  // `…fc1.` → `…act.`; `…n.` → `…(n+1).`.
  static std::string activation_key(const std::string& fc1, const io::weight_source& w) {
    const std::size_t end = fc1.size() > 0 && fc1.back() == '.' ? fc1.size() - 1 : fc1.size();
    const std::size_t dot = fc1.rfind('.', end == 0 ? 0 : end - 1);
    const std::size_t start = dot == std::string::npos || end == 0 ? 0 : dot + 1;
    const std::string last = fc1.substr(start, end - start);
    const std::string head = fc1.substr(0, start);
    if (last == "fc1") return head + "act.";
    if (!last.empty() && last.find_first_not_of("0123456789") == std::string::npos && last.size() < 6)
      return head + std::to_string(std::stoul(last) + 1) + ".";
    throw config_error("admn.mlp.prelu_key", "cannot tell where the PReLU slopes of the MLP at '" +
                                                 w.prefix() + fc1 + "' are stored: give mlp_keys::act");
  }

  linear fc1_;
  std::optional<linear> fc2_;
  kernels::activation_fn act_;
  std::optional<tensor> slopes_;
};

}  // namespace admn::layers
