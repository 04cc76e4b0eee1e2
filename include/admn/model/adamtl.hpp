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
// every task's output and the blocks each sample used; samples with the same blocks
// run as one batch, the others are gathered, so skipped blocks cost nothing.
#pragma once

#include <admn/adaptive/layer_mask.hpp>
#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/layers/linear.hpp>
#include <admn/layers/mlp.hpp>
#include <admn/model/components.hpp>
#include <admn/model/executor.hpp>
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
  [[nodiscard]] std::size_t workspace_floats(std::size_t batch) const noexcept {
    return workspace::rounded(batch * tokens_ * hidden());
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

enum class task_kind : std::uint8_t { classification, regression };

struct task_spec {
  std::string name;
  task_kind kind = task_kind::classification;
  std::string prefix{};  // default "heads.<name>."
};

// One task's head on the encoder's CLS features: a Linear (keys weight, bias) or an
// MLP (fc1, fc2, GELU), recognised from the weights.
class task_head {
 public:
  static task_head load(const io::weight_source& w, const task_spec& spec, std::size_t dim) {
    task_head h;
    h.name_ = spec.name;
    h.kind_ = spec.kind;
    if (w.contains("fc1.weight"))
      h.mlp_.emplace(layers::mlp::load(w, {}, {kernels::activation::gelu_erf}, dim));
    else
      h.linear_.emplace(layers::linear::load(w, {.in = dim}));
    return h;
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] task_kind kind() const noexcept { return kind_; }
  [[nodiscard]] std::size_t outputs() const noexcept {
    return mlp_ ? mlp_->out_features() : linear_->out_features();
  }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    return mlp_ ? mlp_->macs(batch) : linear_->macs(batch);
  }
  [[nodiscard]] std::size_t workspace_floats(std::size_t batch) const noexcept {
    return mlp_ ? mlp_->workspace_floats(batch) : 0;
  }
  // features: batch × dim → out: batch × outputs().
  void forward(const_view features, mutable_view out, workspace& ws) const {
    if (mlp_)
      mlp_->forward(features, out, ws);
    else
      linear_->forward(features, out);
  }

 private:
  task_head() = default;
  std::string name_;
  task_kind kind_ = task_kind::classification;
  std::optional<layers::linear> linear_;
  std::optional<layers::mlp> mlp_;
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
};

struct multi_task_result {
  tensor policy_logits;                     // (B, depth): max over the controllers; empty with a mask
  std::vector<adaptive::layer_mask> masks;  // the blocks each sample ran
  std::vector<std::size_t> macs;            // per sample: stem + policy + kept blocks + heads
  named_outputs outputs;                    // one per task, in task order: (B, outputs)
  [[nodiscard]] const tensor& output(std::string_view name) const {
    for (const auto& [n, t] : outputs)
      if (n == name) return t;
    throw argument_error("admn.result.output", "no output named '" + std::string(name) + "'");
  }
};

class multi_task_network {
 public:
  // Throws config_error without tasks or policies, or for two tasks of one name;
  // load_error for missing or mis-shaped tensors.
  static multi_task_network load(const io::weight_source& w, const multi_task_config& config) {
    if (config.tasks.empty()) throw config_error("admn.multitask.tasks", "a multi-task network needs a task");
    if (config.policy_prefixes.empty())
      throw config_error("admn.multitask.policy",
                         "a multi-task network needs a policy (one prefix at least)");
    for (std::size_t i = 0; i < config.tasks.size(); ++i)
      for (std::size_t j = i + 1; j < config.tasks.size(); ++j)
        if (config.tasks[i].name == config.tasks[j].name)
          throw config_error("admn.multitask.tasks", "two tasks are named '" + config.tasks[i].name + "'");
    vit_backbone encoder = vit_backbone::load(w.sub(config.encoder_prefix), config.encoder);
    std::vector<block_policy> policies;
    for (const auto& prefix : config.policy_prefixes)
      policies.push_back(block_policy::load(w.sub(prefix), encoder.dim(), encoder.tokens(), encoder.depth()));
    std::vector<task_head> heads;
    for (const auto& t : config.tasks)
      heads.push_back(
          task_head::load(w.sub(t.prefix.empty() ? "heads." + t.name + "." : t.prefix), t, encoder.dim()));
    return multi_task_network(config, std::move(encoder), std::move(policies), std::move(heads));
  }

  [[nodiscard]] const vit_backbone& encoder() const noexcept { return encoder_; }
  [[nodiscard]] std::size_t depth() const noexcept { return encoder_.depth(); }
  [[nodiscard]] std::size_t tasks() const noexcept { return heads_.size(); }
  [[nodiscard]] const task_head& head(std::size_t t) const noexcept { return heads_[t]; }

  // Per sample: what every run pays (stem, policy, heads), and one block.
  [[nodiscard]] std::size_t fixed_macs(bool with_policy = true) const noexcept {
    std::size_t total = encoder_.patch_embedding().macs(1, config_.image[0], config_.image[1]);
    if (with_policy)
      for (const auto& p : policies_) total += p.macs(1);
    for (const auto& h : heads_) total += h.macs(1);
    return total;
  }
  [[nodiscard]] std::size_t macs(const adaptive::layer_mask& mask, bool with_policy = true) const {
    std::size_t total = fixed_macs(with_policy);
    for (const std::size_t l : mask.blocks()) total += encoder_.block_macs(1, l);
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
    for (std::size_t l = 0; l < depth(); ++l) dearest = std::max(dearest, encoder_.block_macs(1, l));
    return dearest == 0 ? depth() : std::min(depth(), (max_macs - fixed) / dearest);
  }

  // The policy's decision for one sample's scores (max over controllers).
  [[nodiscard]] adaptive::layer_mask select(std::span<const float> scores,
                                            std::optional<std::size_t> budget) const {
    if (scores.size() != depth())
      throw shape_error("admn.policy.scores", "expected " + std::to_string(depth()) + " block scores, got " +
                                                  std::to_string(scores.size()));
    adaptive::layer_mask mask(depth());
    std::array<std::size_t, adaptive::max_depth> order{};
    std::size_t kept = 0;
    for (std::size_t l = 0; l < depth(); ++l) {
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

  [[nodiscard]] workspace make_workspace(std::size_t batch = 1) const {
    return workspace(workspace_floats(batch));
  }
  [[nodiscard]] std::size_t workspace_floats(std::size_t batch) const {
    const std::size_t tokens = encoder_.tokens(), rows = batch * tokens, d = encoder_.dim();
    std::size_t policy = workspace::rounded(batch * depth());
    for (const auto& p : policies_)
      policy = std::max(policy, workspace::rounded(batch * depth()) + p.workspace_floats(batch));
    const std::size_t group = gather_floats(batch, tokens * d) + gather_floats(batch, d) +
                              encoder_.workspace_floats(batch, config_.image[0], config_.image[1]);
    std::size_t head = 0;
    for (const auto& h : heads_) head = std::max(head, h.workspace_floats(batch));
    return workspace::rounded(rows * d) + workspace::rounded(batch * d) +
           std::max(
               {policy, group, head, encoder_.workspace_floats(batch, config_.image[0], config_.image[1])});
  }

  // images: (B, C, H, W) with H, W the configured image size. Throws shape_error on a
  // wrong input, budget_error on an impossible MAC target, argument_error on a mask
  // of another depth.
  [[nodiscard]] multi_task_result run(const_view images, const multi_task_options& options,
                                      workspace& ws) const {
    if (images.rank() != 4 || images.extent(2) != config_.image[0] || images.extent(3) != config_.image[1] ||
        images.extent(0) == 0)
      throw shape_error("admn.multitask.input", "input must be [B," + std::to_string(encoder_.channels()) +
                                                    "," + std::to_string(config_.image[0]) + "," +
                                                    std::to_string(config_.image[1]) + "], got " +
                                                    images.shape().to_string());
    if (options.mask && options.mask->depth() != depth())
      throw argument_error("admn.multitask.mask", "mask '" + options.mask->to_string() +
                                                      "' does not fit the " + std::to_string(depth()) +
                                                      "-block encoder");
    std::optional<std::size_t> budget = options.budget;
    if (options.max_macs) budget = std::min(budget.value_or(depth()), budget_for(*options.max_macs));

    const std::size_t batch = images.extent(0), tokens = encoder_.tokens(), d = encoder_.dim();
    workspace::scope scope(ws);
    const mutable_view x = ws.take(shape{batch * tokens, d});
    const mutable_view features = ws.take(shape{batch, d});
    encoder_.embed(images, x, ws);

    multi_task_result result;
    if (options.mask) {
      result.masks.assign(batch, *options.mask);
    } else {
      result.policy_logits = tensor(shape{batch, depth()});
      {
        workspace::scope policy_scope(ws);
        const mutable_view logits = ws.take(shape{batch, depth()});
        for (std::size_t t = 0; t < policies_.size(); ++t) {
          policies_[t].forward(x, batch, logits, ws);
          for (std::size_t i = 0; i < logits.size(); ++i)
            result.policy_logits.data()[i] =
                t == 0 ? logits.data()[i] : std::max(result.policy_logits.data()[i], logits.data()[i]);
        }
      }
      for (std::size_t b = 0; b < batch; ++b)
        result.masks.push_back(
            select(std::span<const float>(result.policy_logits.data() + b * depth(), depth()), budget));
    }
    for (const auto& mask : result.masks) result.macs.push_back(macs(mask, !options.mask));

    // Samples that keep the same blocks run together; others are gathered.
    for_each_group(
        batch, [&](std::size_t s) -> const adaptive::layer_mask& { return result.masks[s]; },
        [&](const auto& group) {
          workspace::scope group_scope(ws);
          const mutable_view gx = gather(group, x, tokens, ws);
          const mutable_view gf = group_rows(group, features, 1, ws);
          encoder_.forward_embedded(gx, group.key().blocks(), gf, ws);
          scatter(group, gf, features, 1);
        });

    for (const auto& h : heads_) {
      tensor out(shape{batch, h.outputs()});
      h.forward(features, out.view(), ws);
      result.outputs.emplace_back(h.name(), std::move(out));
    }
    return result;
  }

  // The encoder, the policy and the heads, with MACs per sample.
  [[nodiscard]] std::string describe() const {
    std::ostringstream out;
    out << "multi-task network: ViT encoder width " << encoder_.dim() << ", " << depth() << " blocks, "
        << encoder_.tokens() << " tokens, " << static_cast<double>(encoder_.block_macs(1)) / 1e6
        << " MMAC per block\n  policy: " << policies_.size() << " BlockSelect controller(s), hidden "
        << policies_[0].hidden() << ", " << static_cast<double>(policies_[0].macs(1) * policies_.size()) / 1e6
        << " MMAC\n";
    for (const auto& h : heads_)
      out << "  task '" << h.name()
          << "': " << (h.kind() == task_kind::classification ? "classification, " : "regression, ")
          << h.outputs() << " outputs\n";
    return out.str();
  }

 private:
  multi_task_network(multi_task_config config, vit_backbone encoder, std::vector<block_policy> policies,
                     std::vector<task_head> heads)
      : config_(std::move(config)),
        encoder_(std::move(encoder)),
        policies_(std::move(policies)),
        heads_(std::move(heads)) {}

  multi_task_config config_;
  vit_backbone encoder_;
  std::vector<block_policy> policies_;
  std::vector<task_head> heads_;
};

}  // namespace admn::model
