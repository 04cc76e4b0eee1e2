// admn/model/dynmm.hpp — modality-level gating over expert networks (DynMM, AdaMML).
//
// DynMM (Xue & Marculescu, "Dynamic Multimodal Fusion"), modality level: a small
// gating network G over cheap per-modality features chooses, per sample, one of K
// expert networks E_k, each over a subset of the modalities; training mixes
// Σ_k G(x)_k·E_k(x), inference takes the hard argmax and computes only that expert —
// the modalities outside it are not touched at all. ADMN's "MNS" baseline
// (`AdaMML_Modality_Selector` + `AdaMML_Model_All`, docs/numerics.md §4.10) is the K = 3
// case: experts image-only, depth-only and fused (index 0, 1, 2 in that order —
// the order AdaMML_Model_All stacks the expert outputs in; the selector's own
// unused `mask` output maps index 1 to "both"), each a complete network with its
// own backbones, adapters, fusion encoder and head.
//
// modality_gate — the selector (keys under `selector.`):
//   c = SummaryEncoder(x)                          encoder_dict.<modality>.{1,3,6,9}, cls (1, D),
//                                                  combiner_encoder (summary_encoder.hpp, docs/numerics.md
//                                                  §4.2-4.5), on the inputs as given (no preprocessing);
//                                                  c = the CLS output, or the mean over tokens without cls
//   logits = W2·ReLU(W1·c (+ b1)) (+ b2)           mod_sel_head.{0,2} (AdaMML: no biases, 128 hidden)
//   path = argmax_k logits_k                       ties: the lower index
// gated_experts<Experts...> — the gate plus K typed expert networks (each a
// model::network with no_controller); inputs are the union of the experts'
// modalities in order of first appearance. Samples that chose the same expert run
// as one batch through that expert alone, every block of its backbones; the
// outputs (which every expert must name and shape alike) are gathered back per
// sample. MACs per sample = gate + the chosen expert; running every expert, as
// AdaMML_Model_All does in PyTorch, costs gate + Σ_k expert_k.
// On ONE shared network, modality_subset_plan() gives the alternative: empty masks
// for the modalities outside the path skip their patch embedding and every block,
// but the fusion still sees their constant LN(cls + pos[0]) token (docs/numerics.md §2.6).
#pragma once

#include <admn/adaptive/layer_plan.hpp>
#include <admn/detail/format.hpp>
#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/layers/linear.hpp>
#include <admn/model/input_checks.hpp>
#include <admn/model/network.hpp>
#include <admn/model/summary_encoder.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace admn::model {

// ---- the gate --------------------------------------------------------------------------------

struct gate_config {
  std::string prefix = "selector.";
  std::string head_prefix = "mod_sel_head.";  // Linear layers at <head_prefix>0. and 2.
  std::size_t heads = 4;                      // combiner attention heads
  bool antialias = true;                      // the encoders' Resize (docs/numerics.md §0)
  float eps = 1e-5f;
};

// What the gate needs to know about one modality.
using gate_input = summary_input;

class modality_gate {
 public:
  // Throws load_error for missing or mis-shaped tensors, config_error for an encoder
  // that encodes more instances than the modality has.
  static modality_gate load(const io::weight_source& root, const gate_config& config,
                            const std::vector<gate_input>& inputs) {
    const io::weight_source w = root.sub(config.prefix);
    summary_encoder trunk = summary_encoder::load(w,
                                                  {.owner = "gate",
                                                   .heads = config.heads,
                                                   .antialias = config.antialias,
                                                   .eps = config.eps,
                                                   .kind = std::nullopt},
                                                  inputs);
    const std::size_t d = trunk.dim();
    const io::weight_source h0 = w.sub(config.head_prefix + "0."), h2 = w.sub(config.head_prefix + "2.");
    layers::linear first = layers::linear::load(h0, {.in = d, .bias = h0.contains("bias")});
    layers::linear second =
        layers::linear::load(h2, {.in = first.out_features(), .bias = h2.contains("bias")});
    std::vector<std::array<std::size_t, 4>> shapes;  // instances, channels, height, width
    for (const auto& in : inputs) shapes.push_back({in.instances, in.channels, in.height, in.width});
    return modality_gate(std::move(trunk), std::move(shapes), std::move(first), std::move(second));
  }

  [[nodiscard]] std::size_t paths() const noexcept { return second_.out_features(); }
  [[nodiscard]] std::size_t modalities() const noexcept { return trunk_.modalities(); }
  [[nodiscard]] std::size_t dim() const noexcept { return trunk_.dim(); }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    return trunk_.macs(batch) + first_.macs(batch) + second_.macs(batch);
  }
  [[nodiscard]] std::string describe() const {
    return "gate over " + std::to_string(paths()) + " paths: " + trunk_.describe();
  }

  // inputs[m]: (B, instances_m, C, H, W), contiguous; logits: (B, paths()).
  // Throws shape_error [admn.gate.input] on a wrong input.
  void forward(std::span<const const_view> inputs, mutable_view logits, workspace& ws) const {
    const std::size_t batch = logits.extent(0);
    if (inputs.size() != modalities() || logits.rank() != 2 || logits.extent(1) != paths())
      throw shape_error("admn.gate.input", "the gate takes " + std::to_string(modalities()) +
                                               " inputs and writes (B, " + std::to_string(paths()) +
                                               ") logits");
    for (std::size_t m = 0; m < modalities(); ++m) {
      const const_view in = inputs[m];
      const auto& s = shapes_[m];
      if (in.rank() != 5 || in.extent(0) != batch || in.extent(1) != s[0] || in.extent(2) != s[1] ||
          in.extent(3) != s[2] || in.extent(4) != s[3] || !in.is_contiguous())
        throw shape_error("admn.gate.input", "gate input " + std::to_string(m) + " must be a contiguous [" +
                                                 std::to_string(batch) + "," + std::to_string(s[0]) + "," +
                                                 std::to_string(s[1]) + "," + std::to_string(s[2]) + "," +
                                                 std::to_string(s[3]) + "], got " + in.shape().to_string());
    }
    workspace::scope scope(ws);
    const mutable_view c = trunk_.forward(inputs, batch, ws);
    const mutable_view hidden = ws.take(shape{batch, first_.out_features()});
    first_.forward(c, hidden, {kernels::activation::relu});
    second_.forward(hidden, logits);
  }

  // The hard decision of inference: argmax, the lower index on ties. Throws
  // argument_error [admn.gate.nan] on a NaN logit.
  [[nodiscard]] static std::size_t select(std::span<const float> logits) {
    std::size_t best = 0;
    for (std::size_t k = 0; k < logits.size(); ++k) {
      if (std::isnan(logits[k]))
        throw argument_error("admn.gate.nan", "gate logit " + std::to_string(k) + " is NaN");
      if (logits[k] > logits[best]) best = k;
    }
    return best;
  }

 private:
  modality_gate(summary_encoder trunk, std::vector<std::array<std::size_t, 4>> shapes, layers::linear first,
                layers::linear second)
      : trunk_(std::move(trunk)),
        shapes_(std::move(shapes)),
        first_(std::move(first)),
        second_(std::move(second)) {}

  summary_encoder trunk_;                           // conv encoders → tokens → combiner → c
  std::vector<std::array<std::size_t, 4>> shapes_;  // per modality: instances, C, H, W
  layers::linear first_;
  layers::linear second_;
};

// ---- experts ---------------------------------------------------------------------------------

// What gated_experts needs to know of an expert type: a model::network's modalities.
template <class Net>
struct expert_traits : std::false_type {};
template <class Controller, class Fusion, class Head, class... Modalities>
struct expert_traits<network<Controller, Fusion, Head, Modalities...>> : std::true_type {
  static constexpr std::size_t count = sizeof...(Modalities);
  static constexpr std::array<std::string_view, count> names{Modalities::name()...};
  static constexpr std::array<std::size_t, count> channels{Modalities::input_channels...};
};

// Represents: one expert path — a model::network over a subset of the modalities.
template <class N>
concept expert_network = expert_traits<N>::value;

namespace detail {

// The union of the experts' modalities, in order of first appearance.
template <class... Experts>
struct modality_union {
  static constexpr std::size_t capacity = (expert_traits<Experts>::count + ...);
  struct table {
    std::array<std::string_view, capacity> names{};
    std::array<std::size_t, capacity> channels{};
    std::size_t count = 0;
    bool consistent = true;  // one channel count per name
  };
  template <class E>
  static constexpr void add(table& t) {
    for (std::size_t i = 0; i < expert_traits<E>::count; ++i) {
      bool found = false;
      for (std::size_t j = 0; j < t.count; ++j)
        if (t.names[j] == expert_traits<E>::names[i]) {
          found = true;
          t.consistent = t.consistent && t.channels[j] == expert_traits<E>::channels[i];
        }
      if (!found) {
        t.names[t.count] = expert_traits<E>::names[i];
        t.channels[t.count] = expert_traits<E>::channels[i];
        ++t.count;
      }
    }
  }
  static constexpr table make() {
    table t;
    (add<Experts>(t), ...);
    return t;
  }
  static constexpr table value = make();
};

}  // namespace detail

struct gated_experts_config {
  gate_config gate{};
  // The gate's encoder per modality (union order); default: Resize 100×100, pool 3×3,
  // every instance (docs/numerics.md §4.2).
  std::vector<controller_encoder_config> gate_encoders{};
  std::vector<std::string> expert_prefixes{};  // expert k's keys live under this prefix
  std::vector<network_config> experts{};       // expert k's own config (relative to its prefix)
};

struct gated_run_options {
  std::vector<std::size_t> paths{};  // one per sample: bypass the gate (static baselines, tests)
};

// outputs: per sample from its expert.
struct gated_result : named_result {
  tensor gate_logits;              // (B, K); empty when the paths were given
  std::vector<std::size_t> paths;  // the expert each sample ran
  std::vector<std::size_t> macs;   // per sample: gate (when it ran) + the chosen expert
};

// Represents: DynMM's modality-level gating (and AdaMML) over typed expert networks.
// Requires:   1 ≤ K ≤ 64 experts, each a model::network; a modality shared by experts
//             has one input channel count.
// Ensures:    run() computes the gate and, per sample, the chosen expert only;
//             const and thread-safe with one workspace per thread.
template <class... Experts>
requires(expert_network<Experts>&&...) class gated_experts {
  static_assert(sizeof...(Experts) >= 1 && sizeof...(Experts) <= 64,
                "admn: gated_experts needs 1 to 64 experts");
  using modalities_table = detail::modality_union<Experts...>;
  static_assert(modalities_table::value.consistent,
                "admn: two experts declare the same modality with different input channels");

 public:
  static constexpr std::size_t path_count = sizeof...(Experts);
  static constexpr std::size_t modality_count = modalities_table::value.count;

  // The inputs run() takes, in order.
  [[nodiscard]] static constexpr std::array<std::string_view, modality_count> modality_names() noexcept {
    std::array<std::string_view, modality_count> out{};
    for (std::size_t m = 0; m < modality_count; ++m) out[m] = modalities_table::value.names[m];
    return out;
  }

  // Throws config_error when the config does not describe every expert or two
  // experts disagree on a modality's instances or image size; load_error for
  // missing or mis-shaped tensors.
  static gated_experts load(const io::weight_source& w, const gated_experts_config& config) {
    if (config.experts.size() != path_count || config.expert_prefixes.size() != path_count)
      throw config_error("admn.experts.config",
                         "gated_experts has " + std::to_string(path_count) + " experts; the config gives " +
                             std::to_string(config.experts.size()) + " configs and " +
                             std::to_string(config.expert_prefixes.size()) + " prefixes");
    if (!config.gate_encoders.empty() && config.gate_encoders.size() != modality_count)
      throw config_error("admn.experts.config",
                         "give one gate encoder per modality (" + std::to_string(modality_count) + ")");
    const auto names = modality_names();
    std::array<std::vector<std::size_t>, path_count> uses{};
    std::array<std::optional<modality_config>, modality_count> seen{};
    for_each_expert([&]<std::size_t k, class E>(std::integral_constant<std::size_t, k>,
                                                std::type_identity<E>) {
      const auto& ec = config.experts[k];
      if (ec.modalities.size() != expert_traits<E>::count)
        throw config_error("admn.experts.config",
                           "expert " + std::to_string(k) + " has " + std::to_string(expert_traits<E>::count) +
                               " modalities, its config describes " + std::to_string(ec.modalities.size()));
      for (std::size_t j = 0; j < expert_traits<E>::count; ++j) {
        const std::size_t m = index_of(expert_traits<E>::names[j]);
        uses[k].push_back(m);
        const auto& mc = ec.modalities[j];
        if (!seen[m]) {
          seen[m] = mc;
        } else if (seen[m]->instances != mc.instances || seen[m]->image != mc.image) {
          throw config_error(
              "admn.experts.modality",
              "experts disagree on the instances or image size of modality '" + std::string(names[m]) + "'");
        }
      }
    });
    std::vector<gate_input> gate_inputs;
    for (std::size_t m = 0; m < modality_count; ++m)
      gate_inputs.push_back(
          {std::string(names[m]), modalities_table::value.channels[m], seen[m]->image[0], seen[m]->image[1],
           seen[m]->instances,
           config.gate_encoders.empty() ? controller_encoder_config{} : config.gate_encoders[m]});
    modality_gate gate = modality_gate::load(w, config.gate, gate_inputs);
    if (gate.paths() != path_count)
      throw config_error("admn.experts.paths", "the gate scores " + std::to_string(gate.paths()) +
                                                   " paths, there are " + std::to_string(path_count) +
                                                   " experts");
    auto experts = [&]<std::size_t... K>(std::index_sequence<K...>) {
      return std::tuple<Experts...>(Experts::load(w.sub(config.expert_prefixes[K]), config.experts[K])...);
    }
    (std::index_sequence_for<Experts...>{});
    std::array<modality_config, modality_count> modalities{};
    for (std::size_t m = 0; m < modality_count; ++m) modalities[m] = *seen[m];
    return gated_experts(std::move(gate), std::move(experts), std::move(uses), std::move(modalities));
  }

  [[nodiscard]] const modality_gate& gate() const noexcept { return gate_; }
  template <std::size_t K>
  [[nodiscard]] const auto& expert() const noexcept {
    return std::get<K>(experts_);
  }
  // The modalities (indices into modality_names()) expert k uses.
  [[nodiscard]] std::span<const std::size_t> path_modalities(std::size_t k) const noexcept {
    return uses_[k];
  }
  // MACs of one sample through expert k (every block of its backbones).
  [[nodiscard]] std::size_t expert_macs(std::size_t k) const noexcept { return expert_macs_[k]; }
  [[nodiscard]] std::size_t gate_macs() const noexcept { return gate_.macs(1); }
  // What computing every expert costs per sample (AdaMML_Model_All in PyTorch).
  [[nodiscard]] std::size_t all_experts_macs() const noexcept {
    std::size_t total = gate_macs();
    for (const std::size_t m : expert_macs_) total += m;
    return total;
  }

  // inputs[m]: (B, instances_m, C_m, H_m, W_m) in modality_names() order. Throws
  // shape_error on a wrong input, argument_error on a bad path.
  [[nodiscard]] gated_result run(std::span<const const_view> inputs, const gated_run_options& options,
                                 workspace& ws) const {
    const std::size_t batch = check_inputs(inputs);
    gated_result result;
    if (options.paths.empty()) {
      result.gate_logits = tensor(shape{batch, path_count});
      gate_.forward(inputs, result.gate_logits.view(), ws);
      for (std::size_t b = 0; b < batch; ++b)
        result.paths.push_back(modality_gate::select(
            std::span<const float>(result.gate_logits.data() + b * path_count, path_count)));
    } else {
      if (options.paths.size() != batch)
        throw argument_error("admn.experts.paths", std::to_string(options.paths.size()) + " paths for " +
                                                       std::to_string(batch) + " samples");
      for (const std::size_t k : options.paths)
        if (k >= path_count)
          throw argument_error("admn.experts.paths", "path " + std::to_string(k) + " does not exist (" +
                                                         std::to_string(path_count) + " experts)");
      result.paths = options.paths;
    }
    for (const std::size_t k : result.paths)
      result.macs.push_back(expert_macs_[k] + (options.paths.empty() ? gate_macs() : 0));

    // The samples of one expert run as one batch of it (model/sample_groups.hpp).
    for_each_group(
        batch, [&](std::size_t s) { return result.paths[s]; },
        [&](const auto& group) {
          for_each_expert(
              [&]<std::size_t k, class E>(std::integral_constant<std::size_t, k>, std::type_identity<E>) {
                if (group.key() != k) return;
                workspace::scope scope(ws);
                std::array<const_view, expert_traits<E>::count> views{};
                for (std::size_t j = 0; j < expert_traits<E>::count; ++j)
                  views[j] = gather(group, inputs[uses_[k][j]], 1, ws);
                const E& net = std::get<k>(experts_);
                const auto depths = net.depths();
                const network_result out = net.run(views, {.plan = adaptive::layer_plan::all(depths)}, ws);
                scatter_outputs(out.outputs, group, batch, k, result.outputs);
              });
        });
    return result;
  }

  // The gate, every expert with its MACs per sample, and their modalities.
  [[nodiscard]] std::string describe() const {
    std::ostringstream out;
    const auto names = modality_names();
    out << "gated experts: " << path_count << " paths over " << modality_count << " modalities (";
    for (std::size_t m = 0; m < modality_count; ++m) out << (m ? ", " : "") << names[m];
    out << ")\n  " << gate_.describe() << ", " << fixed(static_cast<double>(gate_macs()) / 1e6) << " MMAC\n";
    for (std::size_t k = 0; k < path_count; ++k) {
      out << "  path " << k << ": {";
      for (std::size_t j = 0; j < uses_[k].size(); ++j) out << (j ? ", " : "") << names[uses_[k][j]];
      out << "}, " << fixed(static_cast<double>(expert_macs_[k]) / 1e6) << " MMAC\n";
    }
    return out.str();
  }

 private:
  gated_experts(modality_gate gate, std::tuple<Experts...> experts,
                std::array<std::vector<std::size_t>, path_count> uses,
                std::array<modality_config, modality_count> modalities)
      : gate_(std::move(gate)),
        experts_(std::move(experts)),
        uses_(std::move(uses)),
        modalities_(std::move(modalities)) {
    for_each_expert(
        [&]<std::size_t k, class E>(std::integral_constant<std::size_t, k>, std::type_identity<E>) {
          const E& net = std::get<k>(experts_);
          expert_macs_[k] = net.macs(adaptive::layer_plan::all(net.depths()), false);
        });
  }

  template <class Fn>
  static void for_each_expert(Fn&& fn) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (fn(std::integral_constant<std::size_t, K>{}, std::type_identity<Experts>{}), ...);
    }
    (std::index_sequence_for<Experts...>{});
  }

  static constexpr std::size_t index_of(std::string_view name) {
    for (std::size_t m = 0; m < modality_count; ++m)
      if (modalities_table::value.names[m] == name) return m;
    return modality_count;
  }

  static std::string fixed(double v) { return admn::detail::fixed_decimal(v, 3); }

  // The network's checks (model/input_checks.hpp) over the union of the experts' modalities.
  std::size_t check_inputs(std::span<const const_view> inputs) const {
    const auto names = modality_names();
    std::array<input_spec, modality_count> specs{};
    for (std::size_t m = 0; m < modality_count; ++m)
      specs[m] = {names[m], modalities_[m].instances, modalities_table::value.channels[m],
                  modalities_[m].image[0], modalities_[m].image[1]};
    return check_input_shapes(inputs, specs);
  }

  // Copies the group's rows of an expert's outputs into the batch-wide outputs,
  // creating them on first use. Throws config_error [admn.experts.outputs] when
  // experts name or shape their outputs differently.
  template <class Group>
  static void scatter_outputs(const named_outputs& from, const Group& group, std::size_t batch, std::size_t k,
                              named_outputs& to) {
    if (!to.empty() && to.size() != from.size())
      throw config_error("admn.experts.outputs", "expert " + std::to_string(k) + " gives " +
                                                     std::to_string(from.size()) +
                                                     " outputs, another gives " + std::to_string(to.size()));
    for (std::size_t o = 0; o < from.size(); ++o) {
      const auto& [name, value] = from[o];
      const std::size_t per = value.size() / group.size();
      if (to.size() == o) {
        auto dims = value.shape().dims();
        std::vector<std::size_t> full(dims.begin(), dims.end());
        full[0] = batch;
        to.emplace_back(name, tensor(shape(std::span<const std::size_t>(full))));
      }
      auto& [to_name, target] = to[o];
      if (to_name != name || target.size() != per * batch)
        throw config_error("admn.experts.outputs", "expert " + std::to_string(k) + "'s output '" + name +
                                                       "' does not match the other experts' '" + to_name +
                                                       "'");
      scatter(group, value.view(), target.view(), 1);
    }
  }

  modality_gate gate_;
  std::tuple<Experts...> experts_;
  std::array<std::vector<std::size_t>, path_count> uses_;
  std::array<modality_config, modality_count> modalities_;
  std::array<std::size_t, path_count> expert_macs_{};
};

// DynMM on one shared network: every block of the modalities whose bit is set in
// `modalities` (bit m = modality m), nothing of the others. Throws argument_error
// [admn.plan.modalities] for more than max_modalities depths.
[[nodiscard]] inline adaptive::layer_plan modality_subset_plan(std::uint32_t modalities,
                                                               std::span<const std::size_t> depths) {
  adaptive::layer_plan plan(depths);
  for (std::size_t m = 0; m < depths.size(); ++m)
    if ((modalities >> m) & 1u) plan[m] = adaptive::layer_mask::all(depths[m]);
  return plan;
}

}  // namespace admn::model
