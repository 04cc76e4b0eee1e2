// admn/model/run_options.hpp — what one call of network::run asks for, and what it returns.
//
// A call either names its plans (ordered or not; the policy is bypassed and costs
// nothing) or gives the policy what it needs to decide: a budget L for every sample
// or one per sample, block costs for the unequal-cost rule, Gumbel sampling. Any
// decided plan may then run its blocks in a random order per sample (LayerShuffle).
#pragma once

#include <admn/adaptive/execution_order.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/adaptive/top_l.hpp>
#include <admn/error.hpp>
#include <admn/tensor/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace admn::model {

// Seeded Gumbel top-L at inference (docs/numerics.md §4.7): sample b of a call ranks
// (logit + noise_scale·g) / temperature with g drawn from gumbel_rng(seed + b).
struct gumbel_sampling {
  std::uint64_t seed = 0;
  adaptive::gumbel_options noise{};
};

// One ordered plan per sample; built from layer plans too (each runs ascending).
struct plan_list : std::vector<adaptive::ordered_plan> {
  using std::vector<adaptive::ordered_plan>::vector;
  plan_list() = default;
  plan_list(std::vector<adaptive::ordered_plan> plans)  // NOLINT(google-explicit-constructor)
      : std::vector<adaptive::ordered_plan>(std::move(plans)) {}
  plan_list(const std::vector<adaptive::layer_plan>& plans)  // NOLINT(google-explicit-constructor)
      : std::vector<adaptive::ordered_plan>(plans.begin(), plans.end()) {}
};

struct run_options {
  std::optional<std::size_t> budget{};  // L for every sample (in cost units with costs)
  std::vector<std::size_t> budgets{};   // one L per sample; overrides `budget`
  // Per-modality block costs: the unequal-cost top-L (docs/numerics.md §4.10), the
  // budget counted in cost units. Empty: the network config's costs, else equal costs.
  std::vector<std::size_t> costs{};
  std::optional<gumbel_sampling> sample{};  // stochastic top-L instead of the deterministic one
  // A plan for every sample, or one per sample (overrides `plan`): the policy is
  // bypassed. A layer_plan converts to its ascending order.
  std::optional<adaptive::ordered_plan> plan{};
  plan_list plans{};
  // LayerShuffle: sample b runs the kept blocks of modality m in the random order
  // execution_order::shuffled(mask, order_seed + 8·b + m), whoever decided the blocks.
  std::optional<std::uint64_t> order_seed{};
  // With a bundle (one controller per trained budget), a budget no controller was trained
  // for uses the controller of the nearest lower trained budget instead of throwing.
  bool nearest_trained_budget = false;
  // The tasks (heads) to compute, by name (network::task_names()); empty: every task.
  // Outputs come in this order. An unknown or repeated name is an argument_error
  // [admn.network.task].
  std::vector<std::string> tasks{};
  bool check_finite = false;  // reject NaN/±Inf inputs (argument_error [admn.network.nonfinite])
};

// What every run of the model tier returns (network, gated_experts, multi_task_network)
// besides its decisions: the heads' outputs by name, each with one row per sample.
struct named_result {
  std::vector<std::pair<std::string, tensor>> outputs;
  // Throws argument_error [admn.result.output] naming `name` when no head gave it.
  [[nodiscard]] const tensor& output(std::string_view name) const {
    for (const auto& [n, t] : outputs)
      if (n == name) return t;
    throw argument_error("admn.result.output", "no output named '" + std::string(name) + "'");
  }
};

// The outputs of one network run, for a batch of B samples, and what was decided.
struct network_result : named_result {
  std::vector<adaptive::layer_plan> plans;     // the blocks each sample ran, one per sample
  std::vector<adaptive::ordered_plan> orders;  // … in the order they ran
  tensor controller_logits;                    // (B, Σ depth): a learned policy's logits, before forcing
  tensor qoi;                                  // (B, q): its QoI head's output
  // (controller_logits and qoi are empty, shape {0}, when no learned policy ran)
  std::vector<std::size_t> fusion_paths;  // per sample: the operator a gated fusion chose (else empty)
};

}  // namespace admn::model
