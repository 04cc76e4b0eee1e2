// admn/model/policy.hpp — the Policy slot of a network: who decides each sample's plan.
//
// A policy looks at one call's preprocessed inputs (or the backbones' stem tokens,
// policy_input) and run options and writes one
// ordered plan per sample: which blocks of each modality run, in which order.
// Provided:
//   conv_controller<Summary, Qoi>  ADMN's QoI-aware controller (docs/numerics.md §4) feeding the
//                                  top-L rule: equal block costs (§4.6), per-modality block
//                                  costs with the budget in cost units (§4.10), or seeded
//                                  Gumbel sampling (§4.7); one budget per call or per sample
//   static_plans                   the same plan for every input: the config's static plan
//                                  (first:N, every-other:T — LayerDrop's pruning recipes —
//                                  or block lists); `no_controller` is its older name
//   task_block_select              AdaMTL's task-aware block select on the stem tokens
//                                  (model/adamtl.hpp)
// A call that names its plans bypasses the policy and its cost; a call may also ask
// for random block orders (LayerShuffle), whoever chose the blocks.
// Your own policy: a type with `is_policy`, `learned` (true: it needs a budget) and a
// `runtime` that meets policy_runtime — see examples/custom_policy.cpp.
#pragma once

#include <admn/adaptive/execution_order.hpp>
#include <admn/adaptive/static_plan.hpp>
#include <admn/adaptive/top_l.hpp>
#include <admn/adaptive/unequal_top_l.hpp>
#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/model/controller.hpp>
#include <admn/model/run_options.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace admn::model {

// What a policy's load() is told about the network it serves.
struct policy_setup {
  controller_config controller{};
  // A bundle's trained budgets, ascending: one controller each, under "<prefix>@L." (e.g.
  // controller@8.) instead of the prefix "controller.". Empty: one controller.
  std::vector<std::size_t> trained_budgets{};
  std::vector<controller_input> modalities{};  // in network order: name, sizes, depth
  std::vector<std::size_t> costs{};            // the network's block costs (empty: equal)
  std::string static_plan{};                   // the network's static plan (static_plans)
  std::vector<std::string> paths{};            // a gating policy's modality subsets ("rgb+depth")
  std::vector<std::string> prefixes{};         // a policy of several parts: one prefix each (AdaMTL)
  // Per modality: the backbone's stem tokens and width, for a policy on stem tokens.
  std::vector<std::size_t> tokens{};
  std::vector<std::size_t> widths{};
  [[nodiscard]] std::vector<std::size_t> depths() const {
    std::vector<std::size_t> out;
    for (const auto& m : modalities) out.push_back(m.depth);
    return out;
  }
};

// What a policy decides from: the preprocessed images (ADMN's controller), or the
// backbones' stem tokens [cls; PatchEmbed] + pos of every modality (AdaMTL's BlockSelect).
// A policy declares the latter with `static constexpr policy_input input =
// policy_input::stem_tokens;`; without it, images. The network then embeds every
// modality first and continues the backbones from those tokens.
enum class policy_input : std::uint8_t { images, stem_tokens };

template <class P>
[[nodiscard]] constexpr policy_input input_of() noexcept {
  if constexpr (requires { P::input; })
    return P::input;
  else
    return policy_input::images;
}

// One call, as a policy sees it.
struct policy_call {
  std::span<const const_view> inputs;  // per modality: preprocessed images (B·instances, C, H, W)
  std::size_t batch = 0;
  std::span<const std::size_t> depths;  // blocks per modality
  std::span<const std::size_t> costs;   // the network's block costs (empty: equal)
  const run_options& options;
  // Per modality, for a policy on stem tokens: (B·instances·tokens, width); else empty.
  std::span<const const_view> tokens{};
};

// What a policy writes: plans (one per sample) and, for a learned one, its logits and QoI.
struct decision {
  std::vector<adaptive::ordered_plan> plans{};
  tensor logits{shape{0}};
  tensor qoi{shape{0}};
};

// Represents: the run-time half of a policy.
// Requires:   decide(call, decision, ws) fills decision.plans with call.batch plans that fit
//             call.depths (checked by the network) and may take scratch from ws;
//             macs(batch) and describe() account for it.
template <class R>
concept policy_runtime = requires(const R& r, const policy_call& call, decision& d, workspace& ws,
                                  std::size_t batch) {
  { r.decide(call, d, ws) } -> std::same_as<void>;
  { r.macs(batch) } -> std::convertible_to<std::size_t>;
  { r.describe() } -> std::convertible_to<std::string>;
};

// Represents: the Policy slot of a network.
// Requires:   is_policy; learned (true when a call must give a budget); a runtime with
//             static load(weights, policy_setup) and the members of policy_runtime;
//             optionally `input` (input_of).
template <class P>
concept policy_type = requires(const io::weight_source& w, const policy_setup& setup) {
  requires P::is_policy;
  { P::learned } -> std::convertible_to<bool>;
  typename P::runtime;
  { P::runtime::load(w, setup) } -> std::same_as<typename P::runtime>;
}
&&policy_runtime<typename P::runtime>;

// ---- ADMN's top-L rule over a call's budgets ------------------------------------------------

// The selector each sample of a call uses: top-L with equal costs, or the unequal-cost
// rule; built (and every budget checked) before anything is computed.
class call_selectors {
 public:
  // Throws argument_error [admn.network.budget] when the call gives no budget or a
  // budget list of the wrong length, budget_error for a budget the rule cannot meet,
  // argument_error [admn.plan.costs] for bad costs.
  explicit call_selectors(const policy_call& call) {
    const run_options& o = call.options;
    if (!o.budgets.empty() && o.budgets.size() != call.batch)
      throw argument_error("admn.network.budget", std::to_string(o.budgets.size()) + " budgets for " +
                                                      std::to_string(call.batch) + " samples");
    if (o.budgets.empty() && !o.budget)
      throw argument_error("admn.network.budget", "give a budget (or a plan) to run the network");
    const std::span<const std::size_t> costs =
        o.costs.empty() ? call.costs : std::span<const std::size_t>(o.costs);
    for (std::size_t b = 0; b < call.batch; ++b) {
      const std::size_t budget = o.budgets.empty() ? *o.budget : o.budgets[b];
      if (costs.empty())
        selectors_.emplace_back(adaptive::top_l_selector(call.depths, budget));
      else
        selectors_.emplace_back(adaptive::unequal_top_l_selector(call.depths, costs, budget));
    }
  }

  // Sample b's plan from its Σ depth logits (deterministic, or with the call's Gumbel noise).
  [[nodiscard]] adaptive::layer_plan pick(std::size_t b, std::span<const float> logits,
                                          const run_options& o) const {
    return std::visit(
        [&](const auto& s) {
          if (!o.sample) return s.select(logits);
          adaptive::gumbel_rng rng(o.sample->seed + b);
          return s.sample(logits, rng, o.sample->noise);
        },
        selectors_[b]);
  }

 private:
  std::vector<std::variant<adaptive::top_l_selector, adaptive::unequal_top_l_selector>> selectors_;
};

// ---- ADMN's controller -----------------------------------------------------------------------

// GTDM conv_controller<summary::cls, qoi::sigma>, AVE <summary::cls, qoi::logits>,
// MMFI <summary::mean, qoi::sigma>. From a bundle (policy_setup::trained_budgets) it loads
// one controller per trained budget and runs, for each sample, the one trained for its
// budget (ADMN trains a controller per L; the backbones, fusion and head are shared).
template <summary Summary = summary::cls, qoi Qoi = qoi::sigma>
struct conv_controller {
  static constexpr bool is_policy = true;
  static constexpr bool learned = true;
  // The controller itself (of a bundle: the one of its smallest budget), plus the others.
  struct runtime : conv_controller_net {
    explicit runtime(conv_controller_net net) : conv_controller_net(std::move(net)) {}
    static runtime load(const io::weight_source& w, const policy_setup& setup) {
      if (setup.trained_budgets.empty())
        return runtime(conv_controller_net::load(w, setup.controller, setup.modalities, Summary, Qoi));
      std::vector<conv_controller_net> nets;
      for (const std::size_t budget : setup.trained_budgets) {
        controller_config c = setup.controller;
        c.prefix = bundle_prefix(c.prefix, budget);
        nets.push_back(conv_controller_net::load(w, c, setup.modalities, Summary, Qoi));
      }
      runtime r(std::move(nets.front()));
      r.budgets_ = setup.trained_budgets;
      for (std::size_t i = 1; i < nets.size(); ++i) r.others_.push_back(std::move(nets[i]));
      return r;
    }
    // "controller." → "controller@8.".
    [[nodiscard]] static std::string bundle_prefix(std::string_view prefix, std::size_t budget) {
      std::string out(prefix.ends_with('.') ? prefix.substr(0, prefix.size() - 1) : prefix);
      return out + "@" + std::to_string(budget) + ".";
    }
    [[nodiscard]] std::span<const std::size_t> trained_budgets() const noexcept { return budgets_; }

    // Budgets are checked before any controller runs; then its logits feed the top-L rule.
    void decide(const policy_call& call, decision& d, workspace& ws) const {
      const call_selectors selectors(call);
      std::vector<std::size_t> which(call.batch, 0);  // the controller each sample uses
      for (std::size_t b = 0; b < call.batch; ++b)
        which[b] =
            controller_for(call.options.budgets.empty() ? *call.options.budget : call.options.budgets[b],
                           call.options.nearest_trained_budget);
      d.logits = tensor(shape{call.batch, logit_count()});
      d.qoi = tensor(shape{call.batch, qoi_count()});
      for (std::size_t i = 0; i <= others_.size(); ++i) {
        if (std::find(which.begin(), which.end(), i) == which.end()) continue;
        const conv_controller_net& net = i == 0 ? *this : others_[i - 1];
        if (i == 0 && others_.empty()) {
          net.forward(call.inputs, d.logits.view(), d.qoi.view(), ws);
          break;
        }
        // A bundle: this controller on the whole batch, its rows kept for its samples.
        tensor logits(shape{call.batch, logit_count()}), qoi(shape{call.batch, qoi_count()});
        net.forward(call.inputs, logits.view(), qoi.view(), ws);
        for (std::size_t b = 0; b < call.batch; ++b)
          if (which[b] == i) {
            std::copy_n(logits.data() + b * logit_count(), logit_count(),
                        d.logits.data() + b * logit_count());
            std::copy_n(qoi.data() + b * qoi_count(), qoi_count(), d.qoi.data() + b * qoi_count());
          }
      }
      for (std::size_t b = 0; b < call.batch; ++b)
        d.plans.emplace_back(selectors.pick(
            b, std::span<const float>(d.logits.data() + b * logit_count(), logit_count()), call.options));
    }
    [[nodiscard]] std::string describe() const {
      std::string out = conv_controller_net::describe();
      if (!budgets_.empty()) {
        out += "; a bundle of controllers trained for budgets";
        for (std::size_t i = 0; i < budgets_.size(); ++i)
          out += (i ? ", " : " ") + std::to_string(budgets_[i]);
      }
      return out;
    }

   private:
    // Index of the controller for `budget`: 0 without a bundle. Throws argument_error
    // [admn.network.budget] listing the trained budgets when none fits.
    [[nodiscard]] std::size_t controller_for(std::size_t budget, bool nearest_lower) const {
      if (budgets_.empty()) return 0;
      std::size_t found = budgets_.size();
      for (std::size_t i = 0; i < budgets_.size(); ++i)
        if (budgets_[i] == budget || (nearest_lower && budgets_[i] < budget)) found = i;
      if (found == budgets_.size() || (!nearest_lower && budgets_[found] != budget)) {
        std::string list;
        for (std::size_t i = 0; i < budgets_.size(); ++i)
          list += (i ? ", " : "") + std::to_string(budgets_[i]);
        throw argument_error("admn.network.budget", "no controller of this bundle was trained for budget " +
                                                        std::to_string(budget) + " (trained: " + list +
                                                        (nearest_lower ? "; none lower" : "") + ")");
      }
      return found;
    }

    std::vector<std::size_t> budgets_{};
    std::vector<conv_controller_net> others_{};
  };
};

// ---- static plans ----------------------------------------------------------------------------

// The config's static plan for every sample (adaptive/static_plan.hpp text form); with
// none, every call must name its plan.
struct static_plans {
  static constexpr bool is_policy = true;
  static constexpr bool learned = false;
  class runtime {
   public:
    // Throws the errors of adaptive::parse_plan for a static plan that does not fit.
    static runtime load(const io::weight_source&, const policy_setup& setup) {
      runtime r;
      if (!setup.static_plan.empty()) {
        const auto depths = setup.depths();
        r.plan_ = adaptive::parse_plan(setup.static_plan, depths);
        r.text_ = setup.static_plan;
      }
      return r;
    }
    void decide(const policy_call& call, decision& d, workspace&) const {
      if (call.options.budget || !call.options.budgets.empty())
        throw argument_error("admn.network.budget",
                             "this network has no controller: give a plan instead of a budget");
      if (!plan_)
        throw argument_error("admn.network.budget",
                             "give a plan to run the network (it has no controller and no static plan)");
      d.plans.assign(call.batch, adaptive::ordered_plan(*plan_));
    }
    [[nodiscard]] std::size_t macs(std::size_t) const noexcept { return 0; }
    [[nodiscard]] std::string describe() const {
      return plan_ ? "static plan '" + text_ + "' (" + plan_->to_string() + ")"
                   : "none (plans are given by the caller)";
    }

   private:
    std::optional<adaptive::layer_plan> plan_{};
    std::string text_{};
  };
};

// The older name: a network without a learned controller.
using no_controller = static_plans;

}  // namespace admn::model
