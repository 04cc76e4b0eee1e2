// admn/model/components.hpp — the Fusion and Head slots of a network type (the Policy
// slot is in policy.hpp).
//
// Each slot takes a small type naming a run-time component:
//   Fusion      transformer_fusion             adapters + sin PE + TransformerEnc + mean (§5.1-5.2)
//               pass_through                   one modality's features as they are (AdaMTL)
//   Head        gaussian_2d                    GTDM's 2-D Gaussian (§5.3): pred_mean, pred_cov
//               classifier                     a Linear: logits (§5.4)
//               task_heads                     named task heads, a subset per call (AdaMTL)
// The concepts below are the contract a user's own component must meet.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/model/fusion.hpp>
#include <admn/model/heads.hpp>
#include <admn/model/policy.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <concepts>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace admn::model {

using fusion_config = fusion_spec;

// ---- fusion ----------------------------------------------------------------------------------

struct transformer_fusion {
  static constexpr bool is_fusion = true;
  struct runtime : fusion_encoder {
    explicit runtime(fusion_encoder f) : fusion_encoder(std::move(f)) {}
    static runtime load(const io::weight_source& w, const fusion_config& config) {
      return runtime(fusion_encoder::load(w, config));
    }
    [[nodiscard]] std::string describe() const {
      return "transformer fusion of " + std::to_string(tokens()) + " tokens, width " + std::to_string(dim()) +
             ", " + std::to_string(encoder().depth()) + " layers";
    }
  };
};

// One modality's features straight to the heads (a multi-task encoder: AdaMTL). No
// weights; the width is the backbone's.
struct pass_through {
  static constexpr bool is_fusion = true;
  class runtime {
   public:
    // Throws config_error [admn.fusion.pass_through] unless the network has one
    // modality of one instance.
    static runtime load(const io::weight_source&, const fusion_config& config,
                        std::span<const std::size_t> feature_dims) {
      if (feature_dims.size() != 1 || config.instances.size() != 1 || config.instances[0] != 1)
        throw config_error("admn.fusion.pass_through",
                           "a pass-through fusion takes one modality of one instance, the network has " +
                               std::to_string(feature_dims.size()) + " modalities (" +
                               std::to_string(config.instances.empty() ? 0 : config.instances[0]) +
                               " instances of the first)");
      runtime r;
      r.dim_ = feature_dims[0];
      return r;
    }
    [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
    [[nodiscard]] std::size_t feature_dim(std::size_t) const noexcept { return dim_; }
    [[nodiscard]] std::size_t macs(std::size_t) const noexcept { return 0; }
    [[nodiscard]] std::string describe() const {
      return "pass-through, the backbone's width-" + std::to_string(dim_) + " features";
    }
    void forward(std::span<const const_view> features, std::size_t batch, mutable_view out,
                 workspace&) const {
      std::copy_n(features[0].data(), batch * dim_, out.data());
    }

   private:
    std::size_t dim_ = 0;
  };
};

// Represents: the Fusion slot.
// Requires:   is_fusion and a runtime with
//               static load(w, fusion_config), or load(w, fusion_config, feature dims) for a
//               fusion whose width comes from the backbones;
//               dim(), feature_dim(m), macs(batch), describe();
//               forward(features, batch, out, ws) — or forward(features, batch, out, ws, paths)
//               for a fusion that reports, per sample, the operator it chose.
template <class F>
concept fusion_type = requires(const typename F::runtime& r, const io::weight_source& w,
                               const fusion_config& config, std::span<const std::size_t> dims,
                               std::span<const const_view> features, mutable_view out, workspace& ws,
                               std::vector<std::size_t>& paths, std::size_t n) {
  requires F::is_fusion;
  requires(
      requires {
        { F::runtime::load(w, config) } -> std::same_as<typename F::runtime>;
      } ||
      requires {
        { F::runtime::load(w, config, dims) } -> std::same_as<typename F::runtime>;
      });
  { r.dim() } -> std::convertible_to<std::size_t>;
  { r.feature_dim(n) } -> std::convertible_to<std::size_t>;
  { r.macs(n) } -> std::convertible_to<std::size_t>;
  { r.describe() } -> std::convertible_to<std::string>;
  requires(
      requires { r.forward(features, n, out, ws); } || requires { r.forward(features, n, out, ws, paths); });
};

// ---- heads -----------------------------------------------------------------------------------
// A network's heads are a list of named tasks. A single head (gaussian_2d, classifier,
// your own) is the one-task case, named by network_config::head_name; a head list
// (task_heads) holds one head per network_config::tasks entry and computes the tasks a
// call names (run_options::tasks).

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

// AdaMTL's task heads: one task_head per task (a Linear or an MLP, from the weights),
// each giving one output named by its task.
struct task_heads {
  static constexpr bool is_head = true;
  class runtime {
   public:
    // Keys under each task's prefix (default "heads.<name>."). Throws config_error
    // [admn.heads.tasks] without tasks or for two tasks of one name.
    static runtime load(const io::weight_source& w, std::size_t dim, std::span<const task_spec> tasks) {
      if (tasks.empty()) throw config_error("admn.heads.tasks", "a task head list needs a task");
      for (std::size_t i = 0; i < tasks.size(); ++i)
        for (std::size_t j = i + 1; j < tasks.size(); ++j)
          if (tasks[i].name == tasks[j].name)
            throw config_error("admn.heads.tasks", "two tasks are named '" + tasks[i].name + "'");
      runtime r;
      for (const auto& t : tasks)
        r.heads_.push_back(
            task_head::load(w.sub(t.prefix.empty() ? "heads." + t.name + "." : t.prefix), t, dim));
      return r;
    }
    [[nodiscard]] std::size_t size() const noexcept { return heads_.size(); }
    [[nodiscard]] const task_head& head(std::size_t t) const noexcept { return heads_[t]; }
    [[nodiscard]] std::vector<std::string> task_names() const {
      std::vector<std::string> out;
      for (const auto& h : heads_) out.push_back(h.name());
      return out;
    }
    [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
      std::size_t total = 0;
      for (const auto& h : heads_) total += h.macs(batch);
      return total;
    }
    [[nodiscard]] std::string describe() const {
      std::string out = std::to_string(heads_.size()) + " tasks:";
      for (std::size_t t = 0; t < heads_.size(); ++t)
        out += (t ? ", " : " ") + heads_[t].name() + " (" +
               (heads_[t].kind() == task_kind::classification ? "classification" : "regression") + ", " +
               std::to_string(heads_[t].outputs()) + " outputs)";
      return out;
    }
    // The tasks listed in `tasks` (indices into task_names()), in that order.
    [[nodiscard]] named_outputs forward(const_view fused, std::span<const std::size_t> tasks,
                                        workspace& ws) const {
      named_outputs out;
      for (const std::size_t t : tasks) {
        tensor value(shape{fused.extent(0), heads_[t].outputs()});
        heads_[t].forward(fused, value.view(), ws);
        out.emplace_back(heads_[t].name(), std::move(value));
      }
      return out;
    }
    // Every task, in order.
    [[nodiscard]] named_outputs forward(const_view fused, workspace& ws) const {
      std::vector<std::size_t> all(heads_.size());
      for (std::size_t t = 0; t < all.size(); ++t) all[t] = t;
      return forward(fused, all, ws);
    }

   private:
    std::vector<task_head> heads_;
  };
};

// Represents: a Head runtime holding a list of named heads.
// Requires:   task_names() and forward(fused, tasks, ws) computing only the listed tasks.
template <class R>
concept head_list_runtime = requires(const R& r, const_view v, std::span<const std::size_t> tasks,
                                     workspace& ws) {
  { r.task_names() } -> std::convertible_to<std::vector<std::string>>;
  { r.forward(v, tasks, ws) } -> std::same_as<named_outputs>;
};

// Represents: the Head slot.
// Requires:   is_head and a runtime with static load(w, dim) (one head, its weights under
//             network_config::head_prefix) or load(w, dim, tasks) and head_list_runtime
//             (a list, one head per network_config::tasks entry); forward(fused, ws) → named
//             outputs (every task), macs(batch), describe().
template <class H>
concept head_type = requires(const typename H::runtime& r, const io::weight_source& w, const_view v,
                             workspace& ws, std::span<const task_spec> tasks, std::size_t n) {
  requires H::is_head;
  requires(requires {
    { H::runtime::load(w, n) } -> std::same_as<typename H::runtime>;
  } || (requires {
             { H::runtime::load(w, n, tasks) } -> std::same_as<typename H::runtime>;
           } &&
        head_list_runtime<typename H::runtime>));
  { r.forward(v, ws) } -> std::same_as<named_outputs>;
  { r.macs(n) } -> std::convertible_to<std::size_t>;
  { r.describe() } -> std::convertible_to<std::string>;
};

}  // namespace admn::model
