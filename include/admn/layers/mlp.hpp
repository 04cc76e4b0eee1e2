// admn/layers/mlp.hpp — two Linear layers with an activation between them.
//
//   y = fc2(act(fc1(x)))           timm Mlp (GELU), vit_dev FeedForward `net.1`/`net.4`,
//                                  ADMN adapters (LeakyReLU 0.01 / ReLU) — ADMN_SPEC §2.3, §4.5, §5.1
// The activation is fused into fc1's GEMM; with `accumulate` the result is added
// to y (the residual stream). Key names differ per model, so they are parameters.
#pragma once

#include <admn/layers/linear.hpp>
#include <admn/tensor/workspace.hpp>

#include <string>

namespace admn::layers {

struct mlp_keys {
  std::string fc1 = "fc1.";
  std::string fc2 = "fc2.";
};

class mlp {
public:
  mlp(linear fc1, linear fc2, kernels::activation_fn act) : fc1_(std::move(fc1)), fc2_(std::move(fc2)), act_(act) {
    if (fc2_.in_features() != fc1_.out_features())
      throw shape_error("admn.mlp.shape", "fc2 takes " + std::to_string(fc2_.in_features()) +
                                              " features but fc1 gives " + std::to_string(fc1_.out_features()));
  }

  // Sizes come from the weights; `dim` (when non-zero) is checked against fc1's input.
  static mlp load(const io::weight_source& w, const mlp_keys& keys, kernels::activation_fn act, std::size_t dim = 0) {
    linear fc1 = linear::load(w.sub(keys.fc1), {.in = dim});
    linear fc2 = linear::load(w.sub(keys.fc2), {.in = fc1.out_features()});
    return mlp(std::move(fc1), std::move(fc2), act);
  }

  [[nodiscard]] std::size_t in_features() const noexcept { return fc1_.in_features(); }
  [[nodiscard]] std::size_t hidden_features() const noexcept { return fc1_.out_features(); }
  [[nodiscard]] std::size_t out_features() const noexcept { return fc2_.out_features(); }
  [[nodiscard]] kernels::activation_fn activation() const noexcept { return act_; }
  [[nodiscard]] const linear& fc1() const noexcept { return fc1_; }
  [[nodiscard]] const linear& fc2() const noexcept { return fc2_; }
  [[nodiscard]] std::size_t macs(std::size_t rows) const noexcept { return fc1_.macs(rows) + fc2_.macs(rows); }
  [[nodiscard]] std::size_t workspace_floats(std::size_t rows) const noexcept {
    return workspace::rounded(rows * hidden_features());
  }

  // y = fc2(act(fc1(x))) (or y += … when accumulate). x: rows × in, y: rows × out.
  void forward(const_view x, mutable_view y, workspace& ws, bool accumulate = false) const {
    workspace::scope scope(ws);
    const mutable_view hidden = ws.take(shape{x.extent(0), hidden_features()});
    fc1_.forward(x, hidden, act_);
    fc2_.forward(hidden, y, {}, accumulate);
  }

private:
  linear fc1_;
  linear fc2_;
  kernels::activation_fn act_;
};

}  // namespace admn::layers
