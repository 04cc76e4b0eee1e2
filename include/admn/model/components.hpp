// admn/model/components.hpp — the Fusion and Head slots of a network type (the Policy
// slot is in policy.hpp).
//
// Each slot takes a small type naming a run-time component:
//   Fusion      transformer_fusion             adapters + sin PE + TransformerEnc + mean (§5.1-5.2)
//   Head        gaussian_2d                    GTDM's 2-D Gaussian (§5.3): pred_mean, pred_cov
//               classifier                     a Linear: logits (§5.4)
// The concepts below are the contract a user's own component must meet.
#pragma once

#include <admn/model/fusion.hpp>
#include <admn/model/heads.hpp>
#include <admn/model/policy.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <concepts>
#include <string>
#include <utility>
#include <vector>

namespace admn::model {

using fusion_config = fusion_spec;

// ---- fusion ----------------------------------------------------------------------------------

struct transformer_fusion {
  static constexpr bool is_fusion = true;
  using runtime = fusion_encoder;
};

// Represents: the Fusion slot. Requires: is_fusion and a runtime with load(w, config),
// dim(), feature_dim(m), forward(features, batch, out, ws).
template <class F>
concept fusion_type = requires(const typename F::runtime& r) {
  requires F::is_fusion;
  { r.dim() } -> std::convertible_to<std::size_t>;
  { r.feature_dim(std::size_t{}) } -> std::convertible_to<std::size_t>;
};

// ---- heads -----------------------------------------------------------------------------------

using named_outputs = std::vector<std::pair<std::string, tensor>>;

struct gaussian_2d {
  static constexpr bool is_head = true;
  struct runtime : gaussian_head {
    explicit runtime(gaussian_head h) : gaussian_head(std::move(h)) {}
    static runtime load(const io::weight_source& w, std::size_t dim) {
      return runtime(gaussian_head::load(w, dim));
    }
    [[nodiscard]] std::string describe() const {
      return "2-D Gaussian (pred_mean, pred_cov) from width " + std::to_string(in_features());
    }
    [[nodiscard]] named_outputs forward(const_view fused, workspace& ws) const {
      const std::size_t batch = fused.extent(0);
      tensor mean(shape{batch, 2}), cov(shape{batch, 2, 2});
      gaussian_head::forward(fused, mean.view(), cov.view(), ws);
      named_outputs out;
      out.emplace_back("pred_mean", std::move(mean));
      out.emplace_back("pred_cov", std::move(cov));
      return out;
    }
  };
};

struct classifier {
  static constexpr bool is_head = true;
  struct runtime : linear_head {
    explicit runtime(linear_head h) : linear_head(std::move(h)) {}
    static runtime load(const io::weight_source& w, std::size_t dim) {
      return runtime(linear_head::load(w, dim));
    }
    [[nodiscard]] std::size_t workspace_floats(std::size_t) const noexcept { return 0; }
    [[nodiscard]] std::string describe() const {
      return "classifier, " + std::to_string(classes()) + " classes from width " +
             std::to_string(in_features());
    }
    [[nodiscard]] named_outputs forward(const_view fused, workspace&) const {
      tensor logits(shape{fused.extent(0), classes()});
      linear_head::forward(fused, logits.view());
      named_outputs out;
      out.emplace_back("logits", std::move(logits));
      return out;
    }
  };
};

// Represents: the Head slot. Requires: is_head and a runtime with load(w, dim),
// forward(fused, ws) → named outputs, macs(batch), workspace_floats(batch), describe().
template <class H>
concept head_type = requires(const typename H::runtime& r, const_view v, workspace& ws) {
  requires H::is_head;
  { r.forward(v, ws) } -> std::same_as<named_outputs>;
  { r.macs(std::size_t{}) } -> std::convertible_to<std::size_t>;
  { r.describe() } -> std::convertible_to<std::string>;
};

}  // namespace admn::model
