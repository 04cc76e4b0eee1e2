// admn/model/components.hpp — the Controller, Fusion and Head slots of a network type.
//
// Each slot takes a small policy type naming a run-time component:
//   Controller  conv_controller<Summary, Qoi>  ADMN's QoI-aware controller (docs/numerics.md §4)
//               no_controller                  plans always come from the caller
//   Fusion      transformer_fusion             adapters + sin PE + TransformerEnc + mean (§5.1-5.2)
//   Head        gaussian_2d                    GTDM's 2-D Gaussian (§5.3): pred_mean, pred_cov
//               classifier                     a Linear: logits (§5.4)
// The concepts below are the contract a user's own policy must meet.
#pragma once

#include <admn/model/controller.hpp>
#include <admn/model/fusion.hpp>
#include <admn/model/heads.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <concepts>
#include <string>
#include <utility>
#include <vector>

namespace admn::model {

using fusion_config = fusion_spec;

// ---- controller ------------------------------------------------------------------------------

// ADMN's controller with the summary and QoI head the network uses:
// GTDM conv_controller<summary::cls, qoi::sigma>, AVE <summary::cls, qoi::logits>,
// MMFI <summary::mean, qoi::sigma>.
template <summary Summary = summary::cls, qoi Qoi = qoi::sigma>
struct conv_controller {
  static constexpr bool is_controller = true;
  static constexpr bool learned = true;
  struct runtime : conv_controller_net {
    explicit runtime(conv_controller_net net) : conv_controller_net(std::move(net)) {}
    static runtime load(const io::weight_source& w, const controller_config& c,
                        const std::vector<controller_input>& in) {
      return runtime(conv_controller_net::load(w, c, in, Summary, Qoi));
    }
  };
};

// No learned controller: every run names its plan (static plans, LayerDrop pruning).
struct no_controller {
  static constexpr bool is_controller = true;
  static constexpr bool learned = false;
  using runtime = conv_controller_net;  // never constructed
};

// Represents: the Controller slot of a network.
// Requires:   is_controller, and `learned` telling whether a controller runs.
template <class C>
concept controller_type = requires {
  requires C::is_controller;
  { C::learned } -> std::convertible_to<bool>;
  typename C::runtime;
};

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
