// admn/model/gate_policy.hpp — DynMM's modality gate as the Policy of one shared network.
//
//   using net = network<modality_gate_policy, transformer_fusion, gaussian_2d, rgb, depth>;
//   config.controller.prefix = "selector.";               // where the gate's weights are
//   config.paths = {"rgb", "depth", "rgb+depth"};         // the subset each gate logit scores
//   const auto result = load<net>(weights, config).run(inputs, {}, ws);
//
// Per sample the gate (model::modality_gate, dynmm.hpp) scores K modality subsets and the
// argmax (ties: the lower index) picks one; the sample then runs every block of the
// modalities in that subset and none of the others (modality_subset_plan). Unlike
// gated_experts, the paths share one network — its backbones, fusion and head — and a
// modality outside the path still reaches the fusion as its backbone's constant
// LN(cls + pos[0]) token (docs/numerics.md §2.6), ADMN's meaning of a dropped backbone.
//
// Weights and config (policy_setup):
//   <controller.prefix>encoder_dict.<modality>.…, combiner_encoder.…        the gate's trunk;
//   <controller.prefix>cls                   its summary token (without one: the mean over tokens)
//   <controller.prefix>mod_sel_head.{0,2}.weight (and .bias when stored)     its head: K logits
//   controller.heads / antialias / eps       the combiner's heads, the encoders' Resize, LN eps
//   modality_config::encoder                 each modality's conv encoder (as for ADMN's controller)
//   network_config::paths                    K subsets, modality names joined by '+'
// The gate sees the preprocessed images, as ADMN's controller does (gated_experts' gate sees
// the raw inputs: the same tensors when the modalities have no preprocessing stages).
//
// No budget: `learned` is false, so network::has_controller() is false — the network has
// no controller() accessor, latency profiles time no controller and admn-run's
// --latency-budget refuses it — but the gate's MACs count in network::macs(plan) and in
// describe(). decision.logits (network_result::controller_logits) are the gate's (B, K)
// logits, not per-block ones; decision.qoi stays empty.
#pragma once

#include <admn/adaptive/execution_order.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/model/dynmm.hpp>
#include <admn/model/policy.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace admn::model {

struct modality_gate_policy {
  static constexpr bool is_policy = true;
  static constexpr bool learned = false;  // it takes no budget

  class runtime {
   public:
    // Throws config_error [admn.gate.paths] for no paths, [admn.gate.modality] for a path
    // naming no modality of the network (or an empty name), [admn.gate.duplicate] for a
    // modality named twice in a path or two paths of the same subset, [admn.gate.width]
    // for a gate head whose width is not the number of paths; load_error for missing or
    // mis-shaped gate tensors.
    static runtime load(const io::weight_source& w, const policy_setup& setup) {
      if (setup.paths.empty())
        throw config_error("admn.gate.paths",
                           "a modality gate needs its paths (network_config::paths: modality names "
                           "joined by '+', one per gate logit)");
      const std::vector<std::size_t> depths = setup.depths();
      std::vector<std::uint32_t> bits;
      std::vector<adaptive::layer_plan> plans;
      for (const std::string& path : setup.paths) {
        const std::uint32_t subset = parse_path(path, setup.modalities);
        for (std::size_t k = 0; k < bits.size(); ++k)
          if (bits[k] == subset)
            throw config_error("admn.gate.duplicate", "paths " + std::to_string(k) + " ('" + setup.paths[k] +
                                                          "') and " + std::to_string(bits.size()) + " ('" +
                                                          path + "') choose the same modalities");
        bits.push_back(subset);
        plans.push_back(modality_subset_plan(subset, depths));
      }
      std::vector<gate_input> inputs;
      for (const auto& m : setup.modalities)
        inputs.push_back({m.name, m.channels, m.height, m.width, m.instances, m.encoder});
      modality_gate gate = modality_gate::load(w,
                                               {.prefix = setup.controller.prefix,
                                                .head_prefix = "mod_sel_head.",
                                                .heads = setup.controller.heads,
                                                .antialias = setup.controller.antialias,
                                                .eps = setup.controller.eps},
                                               inputs);
      if (gate.paths() != setup.paths.size())
        throw config_error("admn.gate.width", "the gate's head '" + w.sub(setup.controller.prefix).prefix() +
                                                  "mod_sel_head.2.' scores " + std::to_string(gate.paths()) +
                                                  " paths, the config lists " +
                                                  std::to_string(setup.paths.size()));
      std::vector<std::size_t> instances;
      for (const auto& m : setup.modalities) instances.push_back(m.instances);
      return runtime(std::move(gate), setup.paths, std::move(bits), std::move(plans), std::move(instances));
    }

    [[nodiscard]] const modality_gate& gate() const noexcept { return gate_; }
    [[nodiscard]] std::size_t paths() const noexcept { return names_.size(); }
    // Path k as configured ("rgb+depth"), its modalities (bit m = modality m) and its plan.
    [[nodiscard]] const std::string& path_name(std::size_t k) const noexcept { return names_[k]; }
    [[nodiscard]] std::uint32_t path_modalities(std::size_t k) const noexcept { return bits_[k]; }
    [[nodiscard]] const adaptive::layer_plan& path_plan(std::size_t k) const noexcept { return plans_[k]; }

    [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept { return gate_.macs(batch); }
    [[nodiscard]] std::string describe() const {
      std::string out = "modality gate choosing among";
      for (std::size_t k = 0; k < names_.size(); ++k) out += (k ? " | " : " ") + names_[k];
      return out + "; " + gate_.describe();
    }

    // call.inputs[m]: (B·instances_m, C, H, W) preprocessed. Throws argument_error
    // [admn.network.budget] when the call gives a budget, [admn.gate.options] when it asks
    // for block costs or Gumbel sampling (a gate spends neither), [admn.gate.nan] for a NaN logit.
    void decide(const policy_call& call, decision& d, workspace& ws) const {
      if (call.options.budget || !call.options.budgets.empty())
        throw argument_error("admn.network.budget",
                             "this network's policy is a modality gate: it takes no budget");
      if (!call.options.costs.empty() || call.options.sample)
        throw argument_error("admn.gate.options",
                             "a modality gate picks its path by argmax: block costs and Gumbel sampling "
                             "do not apply");
      // The gate takes (B, instances, C, H, W): the same memory, viewed per sample.
      std::array<const_view, adaptive::max_modalities> views{};
      for (std::size_t m = 0; m < call.inputs.size(); ++m) {
        const const_view in = call.inputs[m];
        views[m] =
            const_view(in.data(), shape{call.batch, instances_[m], in.extent(1), in.extent(2), in.extent(3)});
      }
      const std::span<const const_view> images(views.data(), call.inputs.size());
      const std::size_t k = paths();
      d.logits = tensor(shape{call.batch, k});
      gate_.forward(images, d.logits.view(), ws);
      d.plans.clear();
      for (std::size_t b = 0; b < call.batch; ++b)
        d.plans.emplace_back(
            plans_[modality_gate::select(std::span<const float>(d.logits.data() + b * k, k))]);
    }

   private:
    runtime(modality_gate gate, std::vector<std::string> names, std::vector<std::uint32_t> bits,
            std::vector<adaptive::layer_plan> plans, std::vector<std::size_t> instances)
        : gate_(std::move(gate)),
          names_(std::move(names)),
          bits_(std::move(bits)),
          plans_(std::move(plans)),
          instances_(std::move(instances)) {}

    // "rgb+depth" → bit m set for each named modality m.
    static std::uint32_t parse_path(std::string_view path, const std::vector<controller_input>& modalities) {
      std::uint32_t subset = 0;
      std::size_t start = 0;
      while (true) {
        const std::size_t end = path.find('+', start);
        const std::string_view name = path.substr(start, end == std::string_view::npos ? end : end - start);
        std::size_t m = 0;
        while (m < modalities.size() && modalities[m].name != name) ++m;
        if (m == modalities.size()) {
          std::string known;
          for (const auto& mod : modalities) known += (known.empty() ? "" : ", ") + mod.name;
          throw config_error("admn.gate.modality", "path '" + std::string(path) + "' names '" +
                                                       std::string(name) +
                                                       "', not a modality of the network (" + known + ")");
        }
        if ((subset >> m) & 1u)
          throw config_error("admn.gate.duplicate",
                             "path '" + std::string(path) + "' names '" + std::string(name) + "' twice");
        subset |= 1u << m;
        if (end == std::string_view::npos) return subset;
        start = end + 1;
      }
    }

    modality_gate gate_;
    std::vector<std::string> names_;
    std::vector<std::uint32_t> bits_;
    std::vector<adaptive::layer_plan> plans_;
    std::vector<std::size_t> instances_;
  };
};

}  // namespace admn::model
