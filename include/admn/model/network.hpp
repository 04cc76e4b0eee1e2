// admn/model/network.hpp — an adaptive multimodal network as one flat type.
//
//   using net = network<conv_controller<>, transformer_fusion, gaussian_2d, rgb, depth>;
//   const net model = load<net>(weights, config);
//   const auto result = model.run(inputs, {.budget = 8}, ws);
//
// The type fixes the structure (which policy, fusion and head, which modalities with
// which preprocessing and backbone); the weights and the config fix the sizes and
// every backbone option; the budget or plan is chosen per call. The pipeline
// (docs/numerics.md §1):
//   1. preprocess every modality's images (same tensors for policy and backbone, §4.1)
//   2. the policy decides one ordered plan per sample (model/policy.hpp; ADMN's
//      controller → logits → top-L, §4.6), or the caller names the plans; a policy on
//      stem tokens (AdaMTL) gets every modality's [cls; PatchEmbed] + pos first
//   3. each modality's backbone runs the plan's blocks, in its order, on all instances
//      of a sample (from those stem tokens when the policy read them); samples sharing
//      an order run as one batch, the rest are gathered (model/sample_groups.hpp)
//   4. fusion over all instance tokens → the heads: every task, or those the call names.
// A loaded network is immutable: run() is const and thread-safe, given one
// workspace per thread.
#pragma once

#include <admn/adaptive/execution_order.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/detail/format.hpp>
#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/model/components.hpp>
#include <admn/model/input_checks.hpp>
#include <admn/model/modality.hpp>
#include <admn/model/policy.hpp>
#include <admn/model/run_options.hpp>
#include <admn/model/sample_groups.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace admn::model {

// Per-modality settings that no tensor holds: where its weights are, its inputs, and
// the backbone's full spec (every option a bare vit_backbone takes).
struct modality_config {
  std::string backbone_prefix{};               // default "<name>."
  std::string adapter_prefix{};                // default "<name>_adapter."
  std::optional<std::size_t> heads{};          // attention heads: no tensor holds them, so required
  std::size_t instances = 1;                   // images per sample (sensor nodes, frames)
  std::array<std::size_t, 2> image{224, 224};  // height, width of each image
  controller_encoder_config encoder{};         // what the controller does with this modality
  kernels::precision precision = kernels::precision::fp32;               // backbone Linears (bf16: opt-in)
  float eps = 1e-5f;                                                     // the backbone's LayerNorms (§0)
  kernels::activation_fn mlp_activation{kernels::activation::gelu_erf};  // prelu: LayerCollapse models
  std::optional<float> collapse_linear_mlps{};  // LayerCollapse tolerance on |slope − 1|; unset: none
  std::string layer_position_key{};             // LayerShuffle's position table under the prefix; "": none
};

struct network_config {
  std::vector<modality_config> modalities{};  // in the network's modality order
  controller_config controller{};
  fusion_config fusion{};
  std::string head_prefix = "output_head.";  // a single head's weights
  std::string head_name = "output";          // a single head's task name (run_options::tasks)
  std::vector<task_spec> tasks{};            // a head list's tasks (task_heads), in order
  // A policy of several parts: one weight prefix each (AdaMTL: one BlockSelect per task).
  std::vector<std::string> policy_prefixes{};
  // Block costs per modality for the top-L rule (AVE-Unequal: {3, 1}); empty: equal.
  // A call's run_options::costs override them.
  std::vector<std::size_t> costs{};
  std::string static_plan{};  // the static_plans policy's plan (adaptive/static_plan.hpp text)
  // The modality subsets a gating policy chooses among, one per path, each as modality
  // names joined by '+' (DynMM's experts on one network: {"rgb", "depth", "rgb+depth"}).
  std::vector<std::string> paths{};
  // A bundle's trained budgets (ascending; metadata admn.budgets): one controller per budget
  // under "controller@L." — see model/policy.hpp. Empty: one controller under controller.prefix.
  std::vector<std::size_t> trained_budgets{};
};

namespace detail {

template <class... M>
consteval bool names_unique() {
  const std::array<std::string_view, sizeof...(M)> names{M::name()...};
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j)
      if (names[i] == names[j]) return false;
  return true;
}

}  // namespace detail

// The blocks of a mask (ascending) or of an execution order (as ordered).
[[nodiscard]] inline adaptive::block_list blocks_to_run(const adaptive::layer_mask& mask) noexcept {
  return mask.blocks();
}
[[nodiscard]] inline const adaptive::block_list& blocks_to_run(
    const adaptive::execution_order& order) noexcept {
  return order.blocks();
}

// Runs `backbone` for `batch` samples of `per` images each, sample b running the
// blocks of blocks_of(b) (a const adaptive::layer_mask& — its blocks ascending — or a
// const adaptive::execution_order& — its blocks in that order):
//   images (batch·per, C, H, W) → features (batch·per, dim), sample-major rows.
// Samples with equal blocks run as one backbone batch (model/sample_groups.hpp), so every
// block runs only on the rows that keep it; results equal per-sample runs bit for bit.
template <class BlocksOf>
void run_grouped(const vit_backbone& backbone, const_view images, std::size_t per, std::size_t batch,
                 BlocksOf&& blocks_of, mutable_view features, workspace& ws) {
  for_each_group(batch, blocks_of, [&](const auto& group) {
    workspace::scope scope(ws);
    const const_view in = gather(group, images, per, ws);
    const mutable_view out = group_rows(group, features, per, ws);
    backbone.forward(in, blocks_to_run(group.key()), out, ws);
    scatter(group, out, features, per);
  });
}

// Represents: a network of Policy, Fusion and Head over the Modalities.
// Requires:   policy_type<Policy>, fusion_type<Fusion>, head_type<Head>,
//             1 ≤ sizeof...(Modalities) ≤ adaptive::max_modalities, each a modality_type
//             with a name distinct from the others.
// Ensures:    load() binds every tensor it needs by key with shape checks; run() is
//             const and thread-safe with one workspace per thread.
template <class Policy, class Fusion, class Head, class... Modalities>
requires policy_type<Policy> && fusion_type<Fusion> && head_type<Head> &&
    (modality_type<Modalities>&&...) class network {
  static_assert(sizeof...(Modalities) >= 1, "admn: a network needs at least one modality");
  static_assert(sizeof...(Modalities) <= adaptive::max_modalities,
                "admn: too many modalities for a layer plan");
  static_assert(detail::names_unique<Modalities...>(), "admn: two modalities of a network share a name");

 public:
  static constexpr std::size_t modality_count = sizeof...(Modalities);
  using policy_runtime = typename Policy::runtime;
  using fusion_runtime = typename Fusion::runtime;
  using head_runtime = typename Head::runtime;

  [[nodiscard]] static constexpr std::array<std::string_view, modality_count> modality_names() noexcept {
    return {Modalities::name()...};
  }

  // Binds every tensor the network uses. Throws config_error when the config does not
  // describe every modality ([admn.config.heads] for a backbone without a head count),
  // load_error for missing or mis-shaped tensors.
  static network load(const io::weight_source& w, network_config config) {
    if (config.modalities.size() != modality_count)
      throw config_error("admn.config.modalities", "the network has " + std::to_string(modality_count) +
                                                       " modalities, the config describes " +
                                                       std::to_string(config.modalities.size()));
    const auto names = modality_names();
    for (std::size_t m = 0; m < modality_count; ++m) {
      auto& mc = config.modalities[m];
      if (mc.backbone_prefix.empty()) mc.backbone_prefix = std::string(names[m]) + ".";
      if (mc.adapter_prefix.empty()) mc.adapter_prefix = std::string(names[m]) + "_adapter.";
      if (mc.instances == 0)
        throw config_error("admn.config.instances",
                           "modality '" + std::string(names[m]) + "' has 0 instances");
      if (!mc.heads)
        throw config_error(
            "admn.config.heads",
            "modality '" + std::string(names[m]) +
                "': the backbone's attention head count is not in the config (no tensor "
                "holds it; a model file gives it in admn.config: \"vit_heads\" for the registry's "
                "networks, \"heads\" for a network of your own, docs/config.md)");
    }
    std::vector<vit_backbone> backbones;
    for (std::size_t m = 0; m < modality_count; ++m) {
      const auto& mc = config.modalities[m];
      backbones.push_back(
          vit_backbone::load(w.sub(mc.backbone_prefix), {.heads = *mc.heads,
                                                         .eps = mc.eps,
                                                         .mlp_activation = mc.mlp_activation,
                                                         .layer_position_key = mc.layer_position_key,
                                                         .collapse_linear_mlps = mc.collapse_linear_mlps,
                                                         .precision = mc.precision,
                                                         .image = mc.image}));
    }

    policy_setup setup{.controller = config.controller,
                       .trained_budgets = config.trained_budgets,
                       .costs = config.costs,
                       .static_plan = config.static_plan,
                       .paths = config.paths,
                       .prefixes = config.policy_prefixes};
    for (std::size_t m = 0; m < modality_count; ++m) {
      const auto& mc = config.modalities[m];
      setup.modalities.push_back({std::string(names[m]), backbones[m].channels(), mc.image[0], mc.image[1],
                                  mc.instances, backbones[m].depth(), mc.encoder});
      setup.tokens.push_back(backbones[m].tokens());
      setup.widths.push_back(backbones[m].dim());
    }
    policy_runtime policy = policy_runtime::load(w, setup);

    fusion_config fusion = config.fusion;
    fusion.adapter_prefixes.clear();
    fusion.instances.clear();
    for (const auto& mc : config.modalities) {
      fusion.adapter_prefixes.push_back(mc.adapter_prefix);
      fusion.instances.push_back(mc.instances);
    }
    std::array<std::size_t, modality_count> widths{};
    for (std::size_t m = 0; m < modality_count; ++m) widths[m] = backbones[m].dim();
    fusion_runtime fuse = [&] {
      if constexpr (requires { fusion_runtime::load(w, fusion); })
        return fusion_runtime::load(w, fusion);
      else
        return fusion_runtime::load(w, fusion, std::span<const std::size_t>(widths));
    }();
    head_runtime head = [&] {
      if constexpr (head_list_runtime<head_runtime>)
        return head_runtime::load(w, fuse.dim(), std::span<const task_spec>(config.tasks));
      else
        return head_runtime::load(w.sub(config.head_prefix), fuse.dim());
    }();
    return network(std::move(config), std::move(backbones), std::move(policy), std::move(fuse),
                   std::move(head));
  }

  [[nodiscard]] const network_config& config() const noexcept { return config_; }
  [[nodiscard]] const vit_backbone& backbone(std::size_t m) const noexcept { return backbones_[m]; }
  [[nodiscard]] std::array<std::size_t, modality_count> depths() const noexcept {
    std::array<std::size_t, modality_count> out{};
    for (std::size_t m = 0; m < modality_count; ++m) out[m] = backbones_[m].depth();
    return out;
  }
  [[nodiscard]] std::size_t total_blocks() const noexcept {
    std::size_t total = 0;
    for (const auto& b : backbones_) total += b.depth();
    return total;
  }
  // Whether the policy decides from the inputs and a budget (ADMN's controller).
  [[nodiscard]] static constexpr bool has_controller() noexcept { return Policy::learned; }
  [[nodiscard]] const policy_runtime& policy() const noexcept { return policy_; }
  [[nodiscard]] const policy_runtime& controller() const noexcept requires(Policy::learned) {
    return policy_;
  }
  [[nodiscard]] const fusion_runtime& fusion() const noexcept { return fusion_; }
  [[nodiscard]] const head_runtime& head() const noexcept { return head_; }
  // Whether the policy decides from the backbones' stem tokens (every modality is then
  // embedded before it runs).
  [[nodiscard]] static constexpr bool policy_reads_tokens() noexcept {
    return input_of<Policy>() == policy_input::stem_tokens;
  }

  // The tasks a call may name (run_options::tasks): the head list's, or the single head's.
  [[nodiscard]] std::vector<std::string> task_names() const {
    if constexpr (head_list_runtime<head_runtime>)
      return head_.task_names();
    else
      return {config_.head_name};
  }

  // MACs of one sample under `plan` (the policy included when it runs).
  [[nodiscard]] std::size_t macs(const adaptive::layer_plan& plan, bool with_controller = true) const {
    std::size_t total = fusion_.macs(1) + head_.macs(1);
    if (with_controller) total += policy_.macs(1);
    for (std::size_t m = 0; m < modality_count; ++m) {
      const auto& mc = config_.modalities[m];
      if (plan[m].count() != 0 || policy_reads_tokens())
        total += backbones_[m].patch_embedding().macs(mc.instances, mc.image[0], mc.image[1]);
      total += plan[m].count() * backbones_[m].block_macs(mc.instances);
    }
    return total;
  }

  // The input shape of each modality (model/input_checks.hpp), for checks before a run.
  [[nodiscard]] std::array<input_spec, modality_count> input_specs() const {
    const auto names = modality_names();
    std::array<input_spec, modality_count> specs{};
    for_each_modality([&]<class M>(std::size_t m, std::type_identity<M>) {
      const auto& mc = config_.modalities[m];
      specs[m] = {names[m], mc.instances, M::input_channels, mc.image[0], mc.image[1]};
    });
    return specs;
  }

  // inputs[m]: (B, instances_m, C_m, H_m, W_m), in modality order, named by
  // modality_names(). Throws shape_error on a wrong input, budget_error on a bad
  // budget, argument_error on a bad plan, cost list or a missing budget.
  [[nodiscard]] network_result run(std::span<const const_view> inputs, const run_options& options,
                                   workspace& ws) const {
    const std::size_t batch = check_inputs(inputs);
    if (options.check_finite) model::check_finite(inputs, input_specs());
    const std::vector<std::size_t> tasks = tasks_for(options);
    workspace::scope scope(ws);
    network_result result;

    // 1. Preprocessing.
    std::array<const_view, modality_count> ready{};
    for_each_modality([&]<class M>(std::size_t m, std::type_identity<M>) {
      const auto& mc = config_.modalities[m];
      const std::size_t images = batch * mc.instances;
      using runner = preprocess_runner<typename M::preprocessing>;
      float* scratch =
          ws.take(runner::template scratch_floats<M::input_channels>(images, mc.image[0], mc.image[1]));
      const const_view flat = inputs[m].reshape(shape{images, M::input_channels, mc.image[0], mc.image[1]});
      ready[m] = runner::template run<M::input_channels>(flat, scratch);
    });

    // A policy on stem tokens: every modality's stem first; the backbones continue from it.
    std::array<mutable_view, modality_count> stems{};
    std::array<const_view, modality_count> stem_views{};
    if constexpr (policy_reads_tokens())
      for (std::size_t m = 0; m < modality_count; ++m) {
        stems[m] = ws.take(
            shape{batch * config_.modalities[m].instances * backbones_[m].tokens(), backbones_[m].dim()});
        backbones_[m].embed(ready[m], stems[m], ws);
        stem_views[m] = stems[m];
      }

    // 2. Plans: the policy's, or the caller's; then the call's block orders.
    result.orders = orders_for(batch, ready, stem_views, options, result, ws);
    for (const auto& o : result.orders) result.plans.push_back(o.masks());

    // 3. Backbones: modalities in parallel, each in a child workspace of its own.
    std::array<mutable_view, modality_count> features{};
    for (std::size_t m = 0; m < modality_count; ++m)
      features[m] = ws.take(shape{batch * config_.modalities[m].instances, backbones_[m].dim()});
    const std::span<workspace> arenas = ws.children(modality_count);
    kernels::for_each_chunk(modality_count, 1, [&](std::size_t m, std::size_t) {
      if constexpr (policy_reads_tokens())
        run_embedded(m, stems[m], result.orders, features[m], arenas[m]);
      else
        run_backbone(m, ready[m], result.orders, features[m], arenas[m]);
    });

    // 4. Fusion and head.
    const mutable_view fused = ws.take(shape{batch, fusion_.dim()});
    std::array<const_view, modality_count> feature_views{};
    for (std::size_t m = 0; m < modality_count; ++m) feature_views[m] = features[m];
    if constexpr (requires { fusion_.forward(feature_views, batch, fused, ws, result.fusion_paths); })
      fusion_.forward(feature_views, batch, fused, ws, result.fusion_paths);  // a gated fusion reports
    else
      fusion_.forward(feature_views, batch, fused, ws);
    if constexpr (head_list_runtime<head_runtime>)
      result.outputs = options.tasks.empty() ? head_.forward(fused, ws) : head_.forward(fused, tasks, ws);
    else
      result.outputs = head_.forward(fused, ws);
    return result;
  }

  // A human-readable account: modalities, backbones, controller, fusion, head, and
  // per block the MACs of one sample; `plan` marks the active blocks.
  [[nodiscard]] std::string describe(const std::optional<adaptive::layer_plan>& plan = std::nullopt) const {
    std::ostringstream out;
    out << "network: " << modality_count << " modalities, " << total_blocks() << " backbone blocks\n";
    const auto names = modality_names();
    for (std::size_t m = 0; m < modality_count; ++m) {
      const auto& b = backbones_[m];
      const auto& mc = config_.modalities[m];
      out << "  modality '" << names[m] << "': " << mc.instances << " x " << b.channels() << "x"
          << mc.image[0] << "x" << mc.image[1] << " -> ViT width " << b.dim() << ", " << b.depth()
          << " blocks, " << *mc.heads << " heads, " << b.tokens() << " tokens; "
          << fixed(static_cast<double>(b.block_macs(mc.instances)) / 1e9)
          << " GMAC per block (all instances)";
      if (plan) out << "; active " << (*plan)[m].to_string();
      out << "\n";
    }
    out << "  policy: " << policy_.describe();
    if (policy_.macs(1) != 0) out << ", " << fixed(static_cast<double>(policy_.macs(1)) / 1e9) << " GMAC";
    out << "\n";
    out << "  fusion: " << fusion_.describe() << ", " << fixed(static_cast<double>(fusion_.macs(1)) / 1e9)
        << " GMAC\n";
    out << "  head: " << head_.describe() << "\n";
    if (plan)
      out << "  plan " << plan->to_string() << ": " << fixed(static_cast<double>(macs(*plan)) / 1e9)
          << " GMAC per sample\n";
    return out.str();
  }

 private:
  network(network_config config, std::vector<vit_backbone> backbones, policy_runtime policy,
          fusion_runtime fusion, head_runtime head)
      : config_(std::move(config)),
        backbones_(std::move(backbones)),
        policy_(std::move(policy)),
        fusion_(std::move(fusion)),
        head_(std::move(head)) {
    for (std::size_t m = 0; m < modality_count; ++m)
      if (fusion_.feature_dim(m) != backbones_[m].dim())
        throw shape_error("admn.network.shape",
                          "the adapter of modality '" + std::string(modality_names()[m]) + "' takes " +
                              std::to_string(fusion_.feature_dim(m)) + " features, its backbone gives " +
                              std::to_string(backbones_[m].dim()));
  }

  // The call's tasks as indices into task_names(), checked before anything runs.
  [[nodiscard]] std::vector<std::size_t> tasks_for(const run_options& options) const {
    std::vector<std::size_t> out;
    if (options.tasks.empty()) return out;
    const std::vector<std::string> names = task_names();
    for (const auto& t : options.tasks) {
      const auto it = std::find(names.begin(), names.end(), t);
      if (it == names.end()) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        throw argument_error("admn.network.task", "no task named '" + t + "' (tasks: " + list + ")");
      }
      const auto index = static_cast<std::size_t>(it - names.begin());
      if (std::find(out.begin(), out.end(), index) != out.end())
        throw argument_error("admn.network.task", "task '" + t + "' is named twice");
      out.push_back(index);
    }
    return out;
  }

  static std::string fixed(double v) { return admn::detail::fixed_decimal(v, 4); }

  template <class Fn>
  static void for_each_modality(Fn&& fn) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (fn(I, std::type_identity<Modalities>{}), ...); }
    (std::index_sequence_for<Modalities...>{});
  }

  std::size_t check_inputs(std::span<const const_view> inputs) const {
    const auto specs = input_specs();
    return check_input_shapes(inputs, specs);
  }

  // The caller's plans, or the policy's; each checked against the backbones, then
  // shuffled per sample when the call asks for random block orders.
  std::vector<adaptive::ordered_plan> orders_for(std::size_t batch,
                                                 const std::array<const_view, modality_count>& ready,
                                                 const std::array<const_view, modality_count>& stems,
                                                 const run_options& options, network_result& result,
                                                 workspace& ws) const {
    const auto depth_list = depths();
    std::vector<adaptive::ordered_plan> orders;
    if (!options.plans.empty()) {
      if (options.plans.size() != batch)
        throw argument_error("admn.network.plan", std::to_string(options.plans.size()) + " plans for " +
                                                      std::to_string(batch) + " samples");
      orders = options.plans;
    } else if (options.plan) {
      orders.assign(batch, *options.plan);
    } else {
      policy_call call{.inputs = std::span<const const_view>(ready.data(), ready.size()),
                       .batch = batch,
                       .depths = std::span<const std::size_t>(depth_list.data(), depth_list.size()),
                       .costs = config_.costs,
                       .options = options};
      if constexpr (policy_reads_tokens())
        call.tokens = std::span<const const_view>(stems.data(), stems.size());
      decision d;
      policy_.decide(call, d, ws);
      if (d.plans.size() != batch)
        throw argument_error("admn.network.policy", "the policy decided " + std::to_string(d.plans.size()) +
                                                        " plans for " + std::to_string(batch) + " samples");
      orders = std::move(d.plans);
      result.controller_logits = std::move(d.logits);
      result.qoi = std::move(d.qoi);
    }
    for (const auto& p : orders) {
      bool ok = p.modalities() == modality_count;
      for (std::size_t m = 0; ok && m < modality_count; ++m) ok = p[m].depth() == depth_list[m];
      if (!ok)
        throw argument_error("admn.network.plan", "plan '" + p.to_string() + "' does not fit the network's " +
                                                      std::to_string(modality_count) + " backbones");
    }
    if (options.order_seed)
      for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t m = 0; m < modality_count; ++m)
          orders[b][m] = adaptive::execution_order::shuffled(
              orders[b][m].mask(), *options.order_seed + b * adaptive::max_modalities + m);
    return orders;
  }

  // Runs modality m's backbone for every sample (see run_grouped).
  void run_backbone(std::size_t m, const_view images, const std::vector<adaptive::ordered_plan>& orders,
                    mutable_view features, workspace& ws) const {
    run_grouped(
        backbones_[m], images, config_.modalities[m].instances, orders.size(),
        [&](std::size_t b) -> const adaptive::execution_order& { return orders[b][m]; }, features, ws);
  }

  // Continues modality m's backbone from its stem tokens (in place), samples grouped
  // by block order as in run_grouped.
  void run_embedded(std::size_t m, mutable_view stems, const std::vector<adaptive::ordered_plan>& orders,
                    mutable_view features, workspace& ws) const {
    const std::size_t per = config_.modalities[m].instances;
    const auto order_of = [&](std::size_t b) -> const adaptive::execution_order& { return orders[b][m]; };
    for_each_group(orders.size(), order_of, [&](const auto& group) {
      workspace::scope scope(ws);
      const mutable_view x = gather(group, stems, per * backbones_[m].tokens(), ws);
      const mutable_view out = group_rows(group, features, per, ws);
      backbones_[m].forward_embedded(x, blocks_to_run(group.key()), out, ws);
      scatter(group, out, features, per);
    });
  }

  network_config config_;
  std::vector<vit_backbone> backbones_;
  policy_runtime policy_;
  fusion_runtime fusion_;
  head_runtime head_;
};

// load<Net>(weights, config): the entry point users call.
template <class Net>
[[nodiscard]] Net load(const io::weight_source& weights, network_config config) {
  return Net::load(weights, std::move(config));
}

}  // namespace admn::model
