// admn/adaptive/execution_order.hpp — the order in which a backbone runs its blocks (LayerShuffle).
//
// An execution order is a sequence of distinct block indices of a backbone of
// `depth` blocks: any permutation of any subset. ADMN and LayerDrop run their kept
// blocks in increasing index order (layer_mask::blocks()); LayerShuffle (Freiberger
// et al., "LayerShuffle: Enhancing Robustness in Vision Transformers by Randomizing
// Layer Execution Order") trains with a fresh random permutation per batch so that
// at test time any order — and, pruned, any subset — still works. Position p of the
// order is the "execution position" the position-embedding variant feeds to the
// block (model::vit_spec::layer_position_key).
// Text form: block indices in execution order, comma-separated: "3,0,2"; "" = none.
// ordered_plan: one order per modality, separated by ';' ("3,0,2;1,0") — the
// layer_plan text form with the order kept.
#pragma once

#include <admn/adaptive/index_list.hpp>
#include <admn/adaptive/layer_mask.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/adaptive/top_l.hpp>
#include <admn/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace admn::adaptive {

class execution_order {
 public:
  constexpr execution_order() noexcept = default;

  // No block, for a backbone of `depth` blocks. Throws argument_error
  // [admn.mask.depth] when depth > max_depth.
  explicit execution_order(std::size_t depth) : mask_(depth) {}

  // 0, 1, …, depth − 1: every block in index order.
  [[nodiscard]] static execution_order identity(std::size_t depth) {
    execution_order o(depth);
    for (std::size_t i = 0; i < depth; ++i) o.push_back(i);
    return o;
  }

  // The kept blocks of `mask` in increasing order (ADMN's order).
  [[nodiscard]] static execution_order ascending(const layer_mask& mask) {
    execution_order o(mask.depth());
    for (const std::size_t b : mask.blocks()) o.push_back(b);
    return o;
  }

  // `blocks` in the given order; throws argument_error [admn.order.block] for an
  // index ≥ depth, [admn.order.repeat] for an index listed twice.
  [[nodiscard]] static execution_order of(std::span<const std::size_t> blocks, std::size_t depth) {
    execution_order o(depth);
    for (const std::size_t b : blocks) o.push_back(b);
    return o;
  }

  // From the text form; throws argument_error [admn.order.parse] naming the text,
  // or the errors of of().
  [[nodiscard]] static execution_order parse(std::string_view text, std::size_t depth) {
    execution_order o(depth);
    parse_index_list(text, {.id = "admn.order.parse", .noun = "execution order", .text = text},
                     [&](std::size_t block) { o.push_back(block); });
    return o;
  }

  // `keep` distinct blocks drawn uniformly at random, in a uniformly random order
  // (a partial Fisher–Yates shuffle driven by a seeded splitmix64: reproducible on
  // every platform). keep = depth gives LayerShuffle's full random permutation.
  // Throws argument_error [admn.order.keep] when keep > depth.
  [[nodiscard]] static execution_order random(std::size_t depth, std::size_t keep, std::uint64_t seed) {
    execution_order o(depth);
    if (keep > depth)
      throw argument_error("admn.order.keep", "cannot keep " + std::to_string(keep) + " of " +
                                                  std::to_string(depth) + " blocks");
    std::array<std::size_t, max_depth> pool{};
    for (std::size_t i = 0; i < depth; ++i) pool[i] = i;
    gumbel_rng rng(seed);
    for (std::size_t i = 0; i < keep; ++i) {
      const std::size_t left = depth - i;
      const auto pick =
          std::min(left - 1, static_cast<std::size_t>(rng.uniform() * static_cast<float>(left)));
      std::swap(pool[i], pool[i + pick]);
      o.push_back(pool[i]);
    }
    return o;
  }

  // The blocks of `mask` in a uniformly random order (seeded as random()), e.g. a
  // LayerDrop pruning run in a shuffled order.
  [[nodiscard]] static execution_order shuffled(const layer_mask& mask, std::uint64_t seed) {
    execution_order o(mask.depth());
    block_list pool = mask.blocks();
    std::array<std::size_t, max_depth> items{};
    for (std::size_t i = 0; i < pool.size(); ++i) items[i] = pool[i];
    gumbel_rng rng(seed);
    for (std::size_t i = 0; i < pool.size(); ++i) {
      const std::size_t left = pool.size() - i;
      const auto pick =
          std::min(left - 1, static_cast<std::size_t>(rng.uniform() * static_cast<float>(left)));
      std::swap(items[i], items[i + pick]);
      o.push_back(items[i]);
    }
    return o;
  }

  // Appends `block` as the next position; errors as of().
  void push_back(std::size_t block) {
    if (block >= depth())
      throw argument_error("admn.order.block", "block " + std::to_string(block) + " does not exist (depth " +
                                                   std::to_string(depth()) + ")");
    if (mask_.kept(block))
      throw argument_error(
          "admn.order.repeat",
          "block " + std::to_string(block) + " appears twice in execution order '" + to_string() + "'");
    mask_.keep(block);
    blocks_.push_back(block);
  }

  [[nodiscard]] std::size_t depth() const noexcept { return mask_.depth(); }
  [[nodiscard]] std::size_t size() const noexcept { return blocks_.size(); }
  [[nodiscard]] bool empty() const noexcept { return blocks_.empty(); }
  [[nodiscard]] std::size_t operator[](std::size_t position) const noexcept { return blocks_[position]; }
  [[nodiscard]] const std::size_t* begin() const noexcept { return blocks_.begin(); }
  [[nodiscard]] const std::size_t* end() const noexcept { return blocks_.end(); }
  // The blocks in execution order, ready for vit_backbone::forward.
  [[nodiscard]] const block_list& blocks() const noexcept { return blocks_; }
  // NOLINTNEXTLINE(google-explicit-constructor): an order is a span of block indices.
  operator std::span<const std::size_t>() const noexcept { return blocks_; }
  // Which blocks run, whatever the order (for costs and budgets).
  [[nodiscard]] const layer_mask& mask() const noexcept { return mask_; }
  // The execution position of `block`, if it runs.
  [[nodiscard]] std::optional<std::size_t> position_of(std::size_t block) const noexcept {
    for (std::size_t p = 0; p < size(); ++p)
      if (blocks_[p] == block) return p;
    return std::nullopt;
  }
  [[nodiscard]] bool is_ascending() const noexcept {
    for (std::size_t p = 1; p < size(); ++p)
      if (blocks_[p] < blocks_[p - 1]) return false;
    return true;
  }

  [[nodiscard]] std::string to_string() const {
    std::string out;
    for (std::size_t p = 0; p < size(); ++p) {
      if (p != 0) out += ',';
      out += std::to_string(blocks_[p]);
    }
    return out;
  }

  friend bool operator==(const execution_order& a, const execution_order& b) noexcept {
    if (a.depth() != b.depth() || a.size() != b.size()) return false;
    for (std::size_t p = 0; p < a.size(); ++p)
      if (a[p] != b[p]) return false;
    return true;
  }

 private:
  layer_mask mask_{};
  block_list blocks_{};
};

// One execution order per modality, for one sample.
class ordered_plan {
 public:
  constexpr ordered_plan() noexcept = default;

  // Empty orders for backbones of the given depths. Throws argument_error
  // [admn.plan.modalities] for more than max_modalities.
  explicit ordered_plan(std::span<const std::size_t> depths) : count_(check_modality_count(depths.size())) {
    for (std::size_t m = 0; m < count_; ++m) orders_[m] = execution_order(depths[m]);
  }

  // ADMN's order for a layer plan: each modality's kept blocks, ascending. Implicit,
  // so a layer plan serves wherever an ordered one is taken.
  ordered_plan(const layer_plan& plan) : count_(plan.modalities()) {  // NOLINT(google-explicit-constructor)
    for (std::size_t m = 0; m < count_; ++m) orders_[m] = execution_order::ascending(plan[m]);
  }
  [[nodiscard]] static ordered_plan ascending(const layer_plan& plan) { return ordered_plan(plan); }

  // "3,0,2;1,0" against the backbones' depths; throws argument_error
  // [admn.plan.parse] for the wrong number of modalities, or the errors of
  // execution_order::parse.
  [[nodiscard]] static ordered_plan parse(std::string_view text, std::span<const std::size_t> depths) {
    ordered_plan p(depths);
    for_each_modality(text, p.count_, {.id = "admn.plan.parse", .noun = "plan", .text = text},
                      [&](std::size_t m, std::string_view list) {
                        p.orders_[m] = execution_order::parse(list, depths[m]);
                      });
    return p;
  }

  [[nodiscard]] std::size_t modalities() const noexcept { return count_; }
  [[nodiscard]] const execution_order& operator[](std::size_t m) const noexcept { return orders_[m]; }
  [[nodiscard]] execution_order& operator[](std::size_t m) noexcept { return orders_[m]; }

  // The same blocks as a layer plan (costs, budgets; the order is dropped).
  [[nodiscard]] layer_plan masks() const {
    std::array<std::size_t, max_modalities> depths{};
    for (std::size_t m = 0; m < count_; ++m) depths[m] = orders_[m].depth();
    layer_plan p(std::span<const std::size_t>(depths.data(), count_));
    for (std::size_t m = 0; m < count_; ++m) p[m] = orders_[m].mask();
    return p;
  }

  [[nodiscard]] std::string to_string() const {
    std::string out;
    for (std::size_t m = 0; m < count_; ++m) {
      if (m != 0) out += ';';
      out += orders_[m].to_string();
    }
    return out;
  }

  friend bool operator==(const ordered_plan& a, const ordered_plan& b) noexcept {
    if (a.count_ != b.count_) return false;
    for (std::size_t m = 0; m < a.count_; ++m)
      if (!(a.orders_[m] == b.orders_[m])) return false;
    return true;
  }

 private:
  std::array<execution_order, max_modalities> orders_{};
  std::size_t count_ = 0;
};

}  // namespace admn::adaptive
