// admn/model/adamtl.hpp — a shared encoder, a block-selection policy and several task heads (AdaMTL).
//
// AdaMTL (Neseem et al., "AdaMTL: Adaptive Input-dependent Inference for Efficient
// Multi-Task Learning") attaches a light policy network to the shared encoder of a
// multi-task model; per input it decides which encoder blocks run, and every task
// head reads the one encoder output. On a ViT encoder (docs/numerics.md §2), per sample:
//   x0    = [cls; PatchEmbed(image)] + pos_embed                       the encoder's stem
//   z^t   = fc_t( flatten_p ReLU(mlp_t(x0_p)) )                         one BlockSelect per controller t:
//           per-token Linear(dim, hidden), ReLU, the tokens' vectors    keys <policy>mlp., <policy>fc.
//           concatenated, Linear(tokens·hidden, depth)
//   keep  = { l : σ(z^t_l) > 0.5 for some t }                           the hard decision (gumbel_sigmoid,
//                                                                       threshold 0.5); several controllers
//                                                                       ("per_task" policies) are OR-ed
//   budget L (a run-time target): when more than L blocks are kept, keep the L with the
//           largest score s_l = max_t z^t_l (ties: the lower index) — admn's rule; AdaMTL
//           reaches its target through training, and its released BlockSelect samples
//           Gumbel noise even in eval, which admn does not.
//   f     = LN_final(Blocks_keep(x0))[0]                                 kept blocks in increasing order
//   y_t   = head_t(f)                                                    Linear, or fc1 → GELU → fc2
// A classification head outputs logits, a regression head values. One run returns
// every task's output (or those it names) and the blocks each sample used; samples with
// the same blocks run as one batch, the others are gathered, so skipped blocks cost nothing.
// In admn's types: multi_task_net = network<task_block_select (a policy on the stem
// tokens), pass_through (the encoder's features to the heads), task_heads, one image
// modality>; multi_task_network adds AdaMTL's options (MAC target, one mask for all).
#pragma once

#include <admn/adaptive/layer_mask.hpp>
#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/layers/linear.hpp>
#include <admn/layers/mlp.hpp>
#include <admn/model/components.hpp>
#include <admn/model/modality.hpp>
#include <admn/model/network.hpp>
#include <admn/model/policy.hpp>
#include <admn/model/vit_backbone.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace admn::model {

// AdaMTL's BlockSelect: encoder stem tokens → one logit per encoder block.
class block_policy {
 public:
  block_policy(layers::linear token_mlp, layers::linear fc, std::size_t tokens)
      : mlp_(std::move(token_mlp)), fc_(std::move(fc)), tokens_(tokens) {
    if (fc_.in_features() != tokens_ * mlp_.out_features())
      throw shape_error("admn.policy.shape", "fc takes " + std::to_string(fc_.in_features()) +
                                                 " features, the " + std::to_string(tokens_) +
                                                 " tokens give " +
                                                 std::to_string(tokens_ * mlp_.out_features()));
  }

  // Keys mlp.{weight,bias} (hidden, dim), fc.{weight,bias} (depth, tokens·hidden).
  static block_policy load(const io::weight_source& w, std::size_t dim, std::size_t tokens,
                           std::size_t depth) {
    layers::linear token_mlp = layers::linear::load(w.sub("mlp."), {.in = dim});
    layers::linear fc =
        layers::linear::load(w.sub("fc."), {.in = tokens * token_mlp.out_features(), .out = depth});
    return block_policy(std::move(token_mlp), std::move(fc), tokens);
  }

  [[nodiscard]] std::size_t blocks() const noexcept { return fc_.out_features(); }
  [[nodiscard]] std::size_t hidden() const noexcept { return mlp_.out_features(); }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    return mlp_.macs(batch * tokens_) + fc_.macs(batch);
  }

  // x0: (batch·tokens) × dim, contiguous; logits: batch × blocks().
  void forward(const_view x0, std::size_t batch, mutable_view logits, workspace& ws) const {
    workspace::scope scope(ws);
    const mutable_view h = ws.take(shape{batch * tokens_, hidden()});
    mlp_.forward(x0, h, {kernels::activation::relu});
    fc_.forward(h.reshape(shape{batch, tokens_ * hidden()}), logits);
  }

 private:
  layers::linear mlp_;
  layers::linear fc_;
  std::size_t tokens_;
};

// AdaMTL's decision rule on one sample's block scores (max over the controllers): keep
// the blocks with σ(z) > 0.5, and under a budget the `budget` of them with the largest
// scores (ties: the lower index). Throws shape_error [admn.policy.scores] for a score
// count other than `depth`, argument_error [admn.policy.nan] for a NaN score.
[[nodiscard]] inline adaptive::layer_mask task_block_choice(std::span<const float> scores, std::size_t depth,
                                                            std::optional<std::size_t> budget) {
  if (scores.size() != depth)
    throw shape_error("admn.policy.scores", "expected " + std::to_string(depth) + " block scores, got " +
                                                std::to_string(scores.size()));
  adaptive::layer_mask mask(depth);
  std::array<std::size_t, adaptive::max_depth> order{};
  std::size_t kept = 0;
  for (std::size_t l = 0; l < depth; ++l) {
    if (std::isnan(scores[l]))
      throw argument_error("admn.policy.nan", "policy logit " + std::to_string(l) + " is NaN");
    if (scores[l] > 0.0f) order[kept++] = l;  // σ(z) > 0.5
  }
  const std::size_t limit = budget ? std::min(*budget, kept) : kept;
  // Ties keep block order (index as the last key): a plain sort allocates nothing.
  std::sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept),
      [&](std::size_t a, std::size_t b) { return scores[a] != scores[b] ? scores[a] > scores[b] : a < b; });
  for (std::size_t i = 0; i < limit; ++i) mask.keep(order[i]);
  return mask;
}

// AdaMTL's task-aware block select as a network policy: it reads the stem tokens of the
// network's one modality, runs one BlockSelect per prefix (network_config::policy_prefixes,
// default {"policy."}), takes the max of their logits and keeps blocks by
// task_block_choice. A budget (run_options::budget, or one per sample) caps the blocks;
// without one, every block the policy keeps runs.
struct task_block_select {
  static constexpr bool is_policy = true;
  static constexpr bool learned = false;  // a budget is optional
  static constexpr policy_input input = policy_input::stem_tokens;
  class runtime {
   public:
    // Throws config_error [admn.multitask.modalities] unless the network has one
    // modality of one instance; load_error for missing or mis-shaped tensors.
    static runtime load(const io::weight_source& w, const policy_setup& setup) {
      if (setup.modalities.size() != 1 || setup.modalities[0].instances != 1)
        throw config_error("admn.multitask.modalities",
                           "task-aware block select runs on one modality of one instance, the network has " +
                               std::to_string(setup.modalities.size()) + " modalities");
      runtime r;
      r.depth_ = setup.modalities[0].depth;
      const std::vector<std::string> prefixes =
          setup.prefixes.empty() ? std::vector<std::string>{"policy."} : setup.prefixes;
      for (const auto& prefix : prefixes)
        r.policies_.push_back(block_policy::load(w.sub(prefix), setup.widths[0], setup.tokens[0], r.depth_));
      return r;
    }
    [[nodiscard]] std::size_t depth() const noexcept { return depth_; }
    [[nodiscard]] std::size_t controllers() const noexcept { return policies_.size(); }
    [[nodiscard]] const block_policy& controller(std::size_t t) const noexcept { return policies_[t]; }

    void decide(const policy_call& call, decision& d, workspace& ws) const {
      const run_options& o = call.options;
      if (!o.budgets.empty() && o.budgets.size() != call.batch)
        throw argument_error("admn.network.budget", std::to_string(o.budgets.size()) + " budgets for " +
                                                        std::to_string(call.batch) + " samples");
      d.logits = tensor(shape{call.batch, depth_});
      {
        workspace::scope scope(ws);
        const mutable_view logits = ws.take(shape{call.batch, depth_});
        for (std::size_t t = 0; t < policies_.size(); ++t) {
          policies_[t].forward(call.tokens[0], call.batch, logits, ws);
          for (std::size_t i = 0; i < logits.size(); ++i)
            d.logits.data()[i] = t == 0 ? logits.data()[i] : std::max(d.logits.data()[i], logits.data()[i]);
        }
      }
      for (std::size_t b = 0; b < call.batch; ++b) {
        const std::optional<std::size_t> budget = o.budgets.empty() ? o.budget : o.budgets[b];
        adaptive::layer_plan plan(call.depths);
        plan[0] =
            task_block_choice(std::span<const float>(d.logits.data() + b * depth_, depth_), depth_, budget);
        d.plans.emplace_back(plan);
      }
    }
    [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
      std::size_t total = 0;
      for (const auto& p : policies_) total += p.macs(batch);
      return total;
    }
    [[nodiscard]] std::string describe() const {
      return std::to_string(policies_.size()) + " BlockSelect controller(s) on the stem tokens, hidden " +
             std::to_string(policies_[0].hidden());
    }

   private:
    std::size_t depth_ = 0;
    std::vector<block_policy> policies_;
  };
};

struct multi_task_config {
  std::string encoder_prefix = "encoder.";
  vit_spec encoder{};                                   // heads, eps, … of the shared ViT
  std::vector<std::string> policy_prefixes{"policy."};  // one BlockSelect each, OR-ed
  std::vector<task_spec> tasks{};
  std::array<std::size_t, 2> image{224, 224};  // height, width of the input images
};

struct multi_task_options {
  std::optional<std::size_t> budget{};         // at most this many encoder blocks per sample
  std::optional<std::size_t> max_macs{};       // per sample, all included: the block budget that fits
  std::optional<adaptive::layer_mask> mask{};  // bypass the policy: these blocks for every sample
  std::vector<std::string> tasks{};            // the tasks to compute (empty: all; run_options::tasks)
};

// outputs: one per task computed, in task order: (B, outputs).
struct multi_task_result : named_result {
  tensor policy_logits;                     // (B, depth): max over the controllers; empty with a mask
  std::vector<adaptive::layer_mask> masks;  // the blocks each sample ran
  std::vector<std::size_t> macs;            // per sample: stem + policy + kept blocks + heads computed
};

// AdaMTL as a typed network: one image modality (no preprocessing), the task-aware block
// select on its stem tokens, the encoder's features straight to the named task heads.
template <std::size_t Channels = 3>
using multi_task_net = network<task_block_select, pass_through, task_heads,
                               modality<"image", image_input<Channels>, preprocess<>, vit<Channels>>>;

// multi_task_net with AdaMTL's own options: a MAC target, a mask for every sample, and
// images as (B, C, H, W).
template <std::size_t Channels = 3>
class basic_multi_task_network {
 public:
  using network_type = multi_task_net<Channels>;

  // Throws config_error without tasks or policies, or for two tasks of one name;
  // load_error for missing or mis-shaped tensors.
  static basic_multi_task_network load(const io::weight_source& w, const multi_task_config& config) {
    if (config.tasks.empty()) throw config_error("admn.multitask.tasks", "a multi-task network needs a task");
    if (config.policy_prefixes.empty())
      throw config_error("admn.multitask.policy",
                         "a multi-task network needs a policy (one prefix at least)");
    for (std::size_t i = 0; i < config.tasks.size(); ++i)
      for (std::size_t j = i + 1; j < config.tasks.size(); ++j)
        if (config.tasks[i].name == config.tasks[j].name)
          throw config_error("admn.multitask.tasks", "two tasks are named '" + config.tasks[i].name + "'");
    const vit_spec& e = config.encoder;
    network_config nc{.modalities = {{.backbone_prefix = config.encoder_prefix,
                                      .heads = e.heads,
                                      .instances = 1,
                                      .image = config.image,
                                      .precision = e.precision,
                                      .eps = e.eps,
                                      .mlp_activation = e.mlp_activation,
                                      .collapse_linear_mlps = e.collapse_linear_mlps,
                                      .layer_position_key = std::string(e.layer_position_key)}},
                      .tasks = config.tasks,
                      .policy_prefixes = config.policy_prefixes};
    return basic_multi_task_network(config, network_type::load(w, std::move(nc)));
  }

  [[nodiscard]] const network_type& network() const noexcept { return net_; }
  [[nodiscard]] const vit_backbone& encoder() const noexcept { return net_.backbone(0); }
  [[nodiscard]] std::size_t depth() const noexcept { return encoder().depth(); }
  [[nodiscard]] std::size_t tasks() const noexcept { return net_.head().size(); }
  [[nodiscard]] const task_head& head(std::size_t t) const noexcept { return net_.head().head(t); }

  // Per sample: what every run pays (stem, policy, heads), and one block.
  [[nodiscard]] std::size_t fixed_macs(bool with_policy = true) const noexcept {
    std::size_t total = encoder().patch_embedding().macs(1, config_.image[0], config_.image[1]);
    if (with_policy) total += net_.policy().macs(1);
    return total + net_.head().macs(1);
  }
  [[nodiscard]] std::size_t macs(const adaptive::layer_mask& mask, bool with_policy = true) const {
    std::size_t total = fixed_macs(with_policy);
    for (const std::size_t l : mask.blocks()) total += encoder().block_macs(1, l);
    return total;
  }
  // The largest block budget whose MACs fit `max_macs` per sample (all blocks cost
  // alike unless MLPs were collapsed: the dearest block is assumed). Throws
  // budget_error [admn.budget.too_small] when not even the fixed part fits.
  [[nodiscard]] std::size_t budget_for(std::size_t max_macs) const {
    const std::size_t fixed = fixed_macs(true);
    if (max_macs < fixed)
      throw budget_error("admn.budget.too_small", "a target of " + std::to_string(max_macs) +
                                                      " MACs is below the " + std::to_string(fixed) +
                                                      " that stem, policy and heads need");
    std::size_t dearest = 0;
    for (std::size_t l = 0; l < depth(); ++l) dearest = std::max(dearest, encoder().block_macs(1, l));
    return dearest == 0 ? depth() : std::min(depth(), (max_macs - fixed) / dearest);
  }

  // The policy's decision for one sample's scores (max over controllers).
  [[nodiscard]] adaptive::layer_mask select(std::span<const float> scores,
                                            std::optional<std::size_t> budget) const {
    return task_block_choice(scores, depth(), budget);
  }

  // images: (B, C, H, W) with H, W the configured image size. Throws shape_error on a
  // wrong input, budget_error on an impossible MAC target, argument_error on a mask
  // of another depth or an unknown task.
  [[nodiscard]] multi_task_result run(const_view images, const multi_task_options& options,
                                      workspace& ws) const {
    if (images.rank() != 4 || images.extent(1) != Channels || images.extent(2) != config_.image[0] ||
        images.extent(3) != config_.image[1] || images.extent(0) == 0 || !images.is_contiguous())
      throw shape_error("admn.multitask.input", "input must be a contiguous [B," + std::to_string(Channels) +
                                                    "," + std::to_string(config_.image[0]) + "," +
                                                    std::to_string(config_.image[1]) + "], got " +
                                                    images.shape().to_string());
    if (options.mask && options.mask->depth() != depth())
      throw argument_error("admn.multitask.mask", "mask '" + options.mask->to_string() +
                                                      "' does not fit the " + std::to_string(depth()) +
                                                      "-block encoder");
    run_options o{.budget = options.budget, .tasks = options.tasks};
    if (options.max_macs) o.budget = std::min(o.budget.value_or(depth()), budget_for(*options.max_macs));
    if (options.mask) {
      const auto depths = net_.depths();
      adaptive::layer_plan plan(std::span<const std::size_t>(depths.data(), depths.size()));
      plan[0] = *options.mask;
      o.budget.reset();
      o.plan = adaptive::ordered_plan(plan);
    }
    const std::size_t batch = images.extent(0);
    const const_view input =
        images.reshape(shape{batch, 1, images.extent(1), images.extent(2), images.extent(3)});
    network_result r = net_.run(std::span<const const_view>(&input, 1), o, ws);

    multi_task_result result;
    if (!options.mask) result.policy_logits = std::move(r.controller_logits);
    // Heads the call did not name cost nothing.
    std::size_t skipped = 0;
    if (!options.tasks.empty())
      for (std::size_t t = 0; t < tasks(); ++t)
        if (std::find(options.tasks.begin(), options.tasks.end(), head(t).name()) == options.tasks.end())
          skipped += head(t).macs(1);
    for (const auto& p : r.plans) {
      result.masks.push_back(p[0]);
      result.macs.push_back(macs(p[0], !options.mask) - skipped);
    }
    result.outputs = std::move(r.outputs);
    return result;
  }

  // The encoder, the policy and the heads, with MACs per sample.
  [[nodiscard]] std::string describe() const {
    std::ostringstream out;
    const auto& p = net_.policy();
    out << "multi-task network: ViT encoder width " << encoder().dim() << ", " << depth() << " blocks, "
        << encoder().tokens() << " tokens, " << static_cast<double>(encoder().block_macs(1)) / 1e6
        << " MMAC per block\n  policy: " << p.controllers() << " BlockSelect controller(s), hidden "
        << p.controller(0).hidden() << ", " << static_cast<double>(p.macs(1)) / 1e6 << " MMAC\n";
    for (std::size_t t = 0; t < tasks(); ++t)
      out << "  task '" << head(t).name()
          << "': " << (head(t).kind() == task_kind::classification ? "classification, " : "regression, ")
          << head(t).outputs() << " outputs\n";
    return out.str();
  }

 private:
  basic_multi_task_network(multi_task_config config, network_type net)
      : config_(std::move(config)), net_(std::move(net)) {}

  multi_task_config config_;
  network_type net_;
};

using multi_task_network = basic_multi_task_network<3>;

}  // namespace admn::model
