// admn/model/gated_fusion.hpp — DynMM's fusion-level gating: per sample, one of several
// fusion operators of different cost, only the chosen one computed.
//
//   using net = network<static_plans, gated_fusion<mean_fusion, transformer_fusion>, classifier,
//                       rgb, depth>;
//   const auto result = load<net>(weights, config).run(inputs, {.plan = all}, ws);
//   result.fusion_paths[b]                     the operator sample b's gate chose
//
// Per sample b, with f_{m,i} the backbone feature of instance i of modality m (I_m instances):
//   g = [mean_i f_{0,i}, mean_i f_{1,i}, …]        each modality's mean over its instances,
//                                                  concatenated in modality order (Σ_m D_m)
//   logits = W2·ReLU(W1·g + b1) + b2              K logits, one per operator
//   k = argmax_k logits_k                         ties: the lower index; a NaN logit throws
//   fused_b = Op_k(f_b)
// Samples that chose the same operator run through it as one batch: adjacent ones in place,
// the others gathered, run and scattered back — so a sample's result does not depend on the
// rest of the batch, bit for bit (the kernels do not depend on the batch size).
//
// Weight keys (under the network's root, like the fusion they replace):
//   fusion_gate.0.weight (H, Σ_m D_m), .bias (H)   the gate's first Linear (bias optional)
//   fusion_gate.2.weight (K, H), .bias (K)         its second (nn.Sequential(Linear, ReLU, Linear))
//   fusion.<k>.…                                   operator k's own keys, e.g. for transformer_fusion
//                                                  fusion.1.<modality>_adapter.… and fusion.1.encoder.…
// Every operator is loaded with the network's fusion_config (adapter prefixes, keys, heads),
// relative to fusion.<k>.; all must give the same width and take the backbones' widths.
//
// MACs: sample_macs(k) = gate + operator k, what a sample that chose k costs. macs(batch) —
// what network::macs counts for the fusion — is the gate plus the dearest operator, the
// bound a budget can plan with before the gate has run.
#pragma once

#include <admn/adaptive/layer_plan.hpp>
#include <admn/detail/assert.hpp>
#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/layers/linear.hpp>
#include <admn/layers/mlp.hpp>
#include <admn/model/components.hpp>
#include <admn/model/fusion.hpp>
#include <admn/model/sample_groups.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace admn::model {

// ---- the mean of the adapted features ---------------------------------------------------------

// The cheap operator: t_{m,i} = Adapter_m(f_{m,i}), out = mean over all tokens (in token
// order: modality 0's instances, then modality 1's, …). No position encoding, no encoder.
class adapter_mean {
 public:
  // Throws config_error [admn.fusion.modalities] without one adapter and instance count per
  // modality, shape_error [admn.fusion.shape] for adapters of different output widths.
  adapter_mean(std::vector<layers::mlp> adapters, std::vector<std::size_t> instances)
      : adapters_(std::move(adapters)), instances_(std::move(instances)) {
    if (adapters_.size() != instances_.size() || adapters_.empty())
      throw config_error("admn.fusion.modalities",
                         "fusion needs one adapter and one instance count per modality");
    for (std::size_t m = 1; m < adapters_.size(); ++m)
      if (adapters_[m].out_features() != adapters_[0].out_features())
        throw shape_error("admn.fusion.shape", "adapter " + std::to_string(m) + " gives " +
                                                   std::to_string(adapters_[m].out_features()) +
                                                   " features, adapter 0 gives " +
                                                   std::to_string(adapters_[0].out_features()));
    for (const std::size_t n : instances_) tokens_ += n;
  }

  // Binds the adapters (spec.adapter_prefixes, relative to `w`); spec.heads is unused.
  static adapter_mean load(const io::weight_source& w, const fusion_spec& spec) {
    std::vector<layers::mlp> adapters;
    for (const auto& prefix : spec.adapter_prefixes)
      adapters.push_back(layers::mlp::load(w.sub(prefix), spec.adapter_keys, spec.adapter_activation));
    return adapter_mean(std::move(adapters), spec.instances);
  }

  [[nodiscard]] std::size_t modalities() const noexcept { return adapters_.size(); }
  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t dim() const noexcept { return adapters_[0].out_features(); }
  [[nodiscard]] std::size_t instances(std::size_t m) const noexcept { return instances_[m]; }
  [[nodiscard]] std::size_t feature_dim(std::size_t m) const noexcept { return adapters_[m].in_features(); }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    std::size_t total = 0;
    for (std::size_t m = 0; m < modalities(); ++m) total += adapters_[m].macs(batch * instances_[m]);
    return total;
  }
  [[nodiscard]] std::string describe() const {
    return "mean of " + std::to_string(tokens_) + " adapted tokens, width " + std::to_string(dim());
  }

  // features[m]: (batch·instances_m) × feature_dim(m), sample-major; out: batch × dim.
  void forward(std::span<const const_view> features, std::size_t batch, mutable_view out,
               workspace& ws) const {
    ADMN_ASSERT(features.size() == modalities());
    const std::size_t d = dim();
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t j = 0; j < d; ++j) out(b, j) = 0.0f;
    // Token sums accumulate in token order, as torch.mean(dim=1) over the stacked tokens.
    for (std::size_t m = 0; m < modalities(); ++m) {
      workspace::scope scope(ws);
      const std::size_t n = instances_[m];
      const mutable_view adapted = ws.take(shape{batch * n, d});
      adapters_[m].forward(features[m], adapted, ws);
      for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t j = 0; j < d; ++j) out(b, j) += adapted(b * n + i, j);
    }
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t j = 0; j < d; ++j) out(b, j) /= static_cast<float>(tokens_);
  }

 private:
  std::vector<layers::mlp> adapters_;
  std::vector<std::size_t> instances_;
  std::size_t tokens_ = 0;
};

// The Fusion slot type of adapter_mean (alone, or as an operator of gated_fusion).
struct mean_fusion {
  static constexpr bool is_fusion = true;
  using runtime = adapter_mean;
};

// ---- the gated fusion -------------------------------------------------------------------------

// Represents: one operator of a gated_fusion.
// Requires:   a fusion_type whose runtime has static load(weights, fusion_spec), macs(batch)
//             and forward(features, batch, out, ws) (as fusion_encoder).
template <class Op>
concept fusion_operator = fusion_type<Op> &&
    requires(const typename Op::runtime& r, const io::weight_source& w, const fusion_spec& spec,
             std::span<const const_view> features, std::size_t batch, mutable_view out, workspace& ws) {
  { Op::runtime::load(w, spec) } -> std::same_as<typename Op::runtime>;
  { r.macs(batch) } -> std::convertible_to<std::size_t>;
  { r.forward(features, batch, out, ws) } -> std::same_as<void>;
};

// Represents: the Fusion slot of a network whose fusion is chosen per sample by a gate.
// Requires:   2 ≤ sizeof...(Ops) ≤ 64, each a fusion_operator.
// Ensures:    the runtime computes the gate and, for each sample, the chosen operator only,
//             reporting the choices (network_result::fusion_paths).
template <class... Ops>
requires(fusion_operator<Ops>&&...) struct gated_fusion {
  static_assert(sizeof...(Ops) >= 2 && sizeof...(Ops) <= 64, "admn: gated_fusion needs 2 to 64 operators");
  static constexpr bool is_fusion = true;
  static constexpr std::size_t operator_count = sizeof...(Ops);

  class runtime {
   public:
    // Throws shape_error [admn.fusion_gate.shape] when two operators give different widths or
    // take different feature widths (naming both operators), load_error for missing or
    // mis-shaped tensors (a gate whose head does not score operator_count operators included).
    static runtime load(const io::weight_source& w, const fusion_spec& spec) {
      auto ops = [&]<std::size_t... K>(std::index_sequence<K...>) {
        return std::tuple<typename Ops::runtime...>(
            Ops::runtime::load(w.sub("fusion." + std::to_string(K) + "."), spec)...);
      }
      (std::index_sequence_for<Ops...>{});
      const std::size_t modalities = spec.instances.size();
      std::size_t widths = 0;
      std::vector<std::size_t> feature_dims;
      for (std::size_t m = 0; m < modalities; ++m) {
        feature_dims.push_back(std::get<0>(ops).feature_dim(m));
        widths += feature_dims.back();
      }
      const std::size_t dim = std::get<0>(ops).dim();
      for_each_operator([&]<std::size_t k>(std::integral_constant<std::size_t, k>) {
        const auto& op = std::get<k>(ops);
        if (op.dim() != dim)
          throw shape_error("admn.fusion_gate.shape",
                            "fusion operator 0 (" + std::get<0>(ops).describe() + ") gives width " +
                                std::to_string(dim) + ", operator " + std::to_string(k) + " (" +
                                op.describe() + ") gives " + std::to_string(op.dim()));
        for (std::size_t m = 0; m < modalities; ++m)
          if (op.feature_dim(m) != feature_dims[m])
            throw shape_error("admn.fusion_gate.shape",
                              "fusion operator 0 takes " + std::to_string(feature_dims[m]) +
                                  " features of modality " + std::to_string(m) + ", operator " +
                                  std::to_string(k) + " takes " + std::to_string(op.feature_dim(m)));
      });
      const io::weight_source g0 = w.sub("fusion_gate.0."), g2 = w.sub("fusion_gate.2.");
      layers::linear first = layers::linear::load(g0, {.in = widths, .bias = g0.contains("bias")});
      layers::linear second = layers::linear::load(
          g2, {.in = first.out_features(), .out = operator_count, .bias = g2.contains("bias")});
      return runtime(std::move(ops), std::move(first), std::move(second), spec.instances,
                     std::move(feature_dims));
    }

    [[nodiscard]] std::size_t modalities() const noexcept { return instances_.size(); }
    [[nodiscard]] std::size_t dim() const noexcept { return std::get<0>(ops_).dim(); }
    [[nodiscard]] std::size_t feature_dim(std::size_t m) const noexcept { return feature_dims_[m]; }
    [[nodiscard]] std::size_t instances(std::size_t m) const noexcept { return instances_[m]; }
    template <std::size_t K>
    [[nodiscard]] const auto& op() const noexcept {
      return std::get<K>(ops_);
    }

    // MACs of the gate, of operator k, of a sample that chose k (gate + operator k), and the
    // bound network::macs counts (gate + the dearest operator).
    [[nodiscard]] std::size_t gate_macs(std::size_t batch = 1) const noexcept {
      return first_.macs(batch) + second_.macs(batch);
    }
    [[nodiscard]] std::size_t operator_macs(std::size_t k, std::size_t batch = 1) const noexcept {
      std::size_t out = 0;
      for_each_operator([&]<std::size_t j>(std::integral_constant<std::size_t, j>) {
        if (j == k) out = std::get<j>(ops_).macs(batch);
      });
      return out;
    }
    [[nodiscard]] std::size_t sample_macs(std::size_t k) const noexcept {
      return gate_macs(1) + operator_macs(k, 1);
    }
    [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
      std::size_t dearest = 0;
      for (std::size_t k = 0; k < operator_count; ++k) dearest = std::max(dearest, operator_macs(k, batch));
      return gate_macs(batch) + dearest;
    }

    [[nodiscard]] std::string describe() const {
      std::string out = "gated fusion over " + std::to_string(operator_count) + " operators, gate " +
                        std::to_string(first_.in_features()) + " -> " +
                        std::to_string(first_.out_features()) + " -> " + std::to_string(operator_count) +
                        " (" + std::to_string(gate_macs(1)) + " MAC)";
      for_each_operator([&]<std::size_t k>(std::integral_constant<std::size_t, k>) {
        out += "; operator " + std::to_string(k) + ": " + std::get<k>(ops_).describe() + " (" +
               std::to_string(operator_macs(k, 1)) + " MAC per sample)";
      });
      return out;
    }

    // The gate's logits for `batch` samples: features as forward() takes them; logits (batch, K).
    void gate_logits(std::span<const const_view> features, std::size_t batch, mutable_view logits,
                     workspace& ws) const {
      ADMN_ASSERT(features.size() == modalities() && logits.extent(0) == batch);
      workspace::scope scope(ws);
      const mutable_view g = ws.take(shape{batch, first_.in_features()});
      std::size_t column = 0;
      for (std::size_t m = 0; m < modalities(); ++m) {
        const std::size_t n = instances_[m], d = feature_dims_[m];
        for (std::size_t b = 0; b < batch; ++b)
          for (std::size_t j = 0; j < d; ++j) {
            float sum = 0.0f;
            for (std::size_t i = 0; i < n; ++i) sum += features[m](b * n + i, j);
            g(b, column + j) = sum / static_cast<float>(n);
          }
        column += d;
      }
      const mutable_view hidden = ws.take(shape{batch, first_.out_features()});
      first_.forward(g, hidden, {kernels::activation::relu});
      second_.forward(hidden, logits);
    }

    // The hard decision: argmax, the lower index on ties. Throws argument_error
    // [admn.fusion_gate.nan] naming the sample and the operator when a logit is NaN.
    [[nodiscard]] static std::size_t select(std::span<const float> logits, std::size_t sample = 0) {
      std::size_t best = 0;
      for (std::size_t k = 0; k < logits.size(); ++k) {
        if (std::isnan(logits[k]))
          throw argument_error("admn.fusion_gate.nan", "sample " + std::to_string(sample) +
                                                           ": the fusion gate's logit for operator " +
                                                           std::to_string(k) + " is NaN");
        if (logits[k] > logits[best]) best = k;
      }
      return best;
    }

    // features[m]: (batch·instances_m) × feature_dim(m), sample-major; out: batch × dim.
    // paths: set to each sample's operator. Throws as select() on a NaN gate logit.
    void forward(std::span<const const_view> features, std::size_t batch, mutable_view out, workspace& ws,
                 std::vector<std::size_t>& paths) const {
      ADMN_ASSERT(features.size() == modalities() && modalities() <= adaptive::max_modalities);
      paths.assign(batch, 0);
      {
        workspace::scope scope(ws);
        const mutable_view logits = ws.take(shape{batch, operator_count});
        gate_logits(features, batch, logits, ws);
        for (std::size_t b = 0; b < batch; ++b)
          paths[b] = select(std::span<const float>(logits.data() + b * operator_count, operator_count), b);
      }
      // The samples of one operator run through it as one batch (model/sample_groups.hpp).
      const auto path_of = [&](std::size_t b) -> const std::size_t& { return paths[b]; };
      for_each_group(batch, path_of, [&](const auto& group) {
        workspace::scope scope(ws);
        std::array<const_view, adaptive::max_modalities> views{};
        for (std::size_t m = 0; m < modalities(); ++m)
          views[m] = gather(group, features[m], instances_[m], ws);
        const mutable_view fused = group_rows(group, out, 1, ws);
        for_each_operator([&]<std::size_t k>(std::integral_constant<std::size_t, k>) {
          if (k == group.key())
            std::get<k>(ops_).forward(std::span<const const_view>(views.data(), modalities()), group.size(),
                                      fused, ws);
        });
        scatter(group, fused, out, 1);
      });
    }

    // As above, without the report.
    void forward(std::span<const const_view> features, std::size_t batch, mutable_view out,
                 workspace& ws) const {
      std::vector<std::size_t> paths;
      forward(features, batch, out, ws, paths);
    }

   private:
    runtime(std::tuple<typename Ops::runtime...> ops, layers::linear first, layers::linear second,
            std::vector<std::size_t> instances, std::vector<std::size_t> feature_dims)
        : ops_(std::move(ops)),
          first_(std::move(first)),
          second_(std::move(second)),
          instances_(std::move(instances)),
          feature_dims_(std::move(feature_dims)) {}

    template <class Fn>
    static void for_each_operator(Fn&& fn) {
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        (fn(std::integral_constant<std::size_t, K>{}), ...);
      }
      (std::index_sequence_for<Ops...>{});
    }

    std::tuple<typename Ops::runtime...> ops_;
    layers::linear first_;
    layers::linear second_;
    std::vector<std::size_t> instances_;
    std::vector<std::size_t> feature_dims_;
  };
};

}  // namespace admn::model
