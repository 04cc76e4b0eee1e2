// admn/adaptive/static_plan.hpp — fixed layer plans and the `--plan` text form.
//
// A static plan chooses the blocks without looking at the input (no controller):
//   all               every block of every modality
//   first:N           blocks 0 … N−1 of every modality;  first:N0,N1 per modality
//   every-other:T     prune each backbone to T blocks at regular intervals (below);
//                     every-other:T0,T1 per modality
//   0,1,2;0,3         explicit block lists, one per modality, separated by ';'
//                     (the layer_plan text form; an empty list skips a backbone)
// Text round-trips: parse(s).to_string() is the canonical spelling of s.
// resolve(depths) turns it into a layer_plan, whose to_string() is the explicit form.
//
// every-other (LayerDrop, Fan et al. 2019, §"Pruning at inference": keep layers at
// regular intervals). Depth d pruned to target t keeps
//   K(d, t) = { ⌊i·d / t⌋ : i = 0 … t−1 }
// the t indices spaced as evenly as integers allow, always including block 0 (which
// ADMN's controller forces too). 12 → 6 keeps 0,2,4,6,8,10; 12 → 8 keeps
// 0,1,3,4,6,7,9,10; 12 → 4 keeps 0,3,6,9. The paper prunes, for a rate p, the layers
// whose 1-based depth is ≡ 0 (mod ⌊1/p⌋); whenever the pruned count r = d − t
// divides d this is exactly K(d, t) (with q = d/r and i = a(q−1) + b, 0 ≤ b < q−1,
// ⌊i·d/t⌋ = ⌊i·q/(q−1)⌋ = a·q + b: every index except those ≡ q−1 mod q). That covers
// every target the paper's rule reaches exactly on a 12-block ViT (t = 6, 8, 9, 10,
// 11); for other targets (12 → 7 would prune 6 layers under the paper's rule) K(d, t)
// still keeps exactly t.
#pragma once

#include <admn/adaptive/execution_order.hpp>
#include <admn/adaptive/index_list.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace admn::adaptive {

// K(depth, target) as a mask; throws budget_error [admn.plan.depth] when target > depth.
[[nodiscard]] inline layer_mask every_other_mask(std::size_t depth, std::size_t target) {
  if (target > depth)
    throw budget_error("admn.plan.depth", "every-other: target " + std::to_string(target) +
                                              " exceeds the backbone's " + std::to_string(depth) + " blocks");
  layer_mask mask(depth);
  for (std::size_t i = 0; i < target; ++i) mask.keep(i * depth / target);
  return mask;
}

// The first n blocks; throws budget_error [admn.plan.depth] when n > depth.
[[nodiscard]] inline layer_mask first_mask(std::size_t depth, std::size_t n) {
  if (n > depth)
    throw budget_error("admn.plan.depth", "first: " + std::to_string(n) + " blocks exceed the backbone's " +
                                              std::to_string(depth) + " blocks");
  layer_mask mask(depth);
  for (std::size_t i = 0; i < n; ++i) mask.keep(i);
  return mask;
}

class static_plan {
 public:
  enum class kind : std::uint8_t { all, first, every_other, explicit_blocks };

  [[nodiscard]] static static_plan all() noexcept { return static_plan(kind::all); }
  // One count for every modality (a single value) or one per modality.
  [[nodiscard]] static static_plan first(std::span<const std::size_t> counts) {
    return with_counts(kind::first, counts);
  }
  [[nodiscard]] static static_plan every_other(std::span<const std::size_t> targets) {
    return with_counts(kind::every_other, targets);
  }
  [[nodiscard]] static static_plan explicit_plan(const layer_plan& plan) {
    static_plan p(kind::explicit_blocks);
    p.count_ = plan.modalities();
    for (std::size_t m = 0; m < p.count_; ++m) p.values_[m] = plan[m].bits();
    return p;
  }

  // Parses the text form (syntax only; sizes are checked by resolve()). Throws
  // argument_error [admn.plan.parse] naming the text.
  [[nodiscard]] static static_plan parse(std::string_view text) {
    if (text == "all") return all();
    const text_context where{.id = "admn.plan.parse", .noun = "plan", .text = text};
    for (const auto& [prefix, k] : {std::pair{std::string_view("first:"), kind::first},
                                    std::pair{std::string_view("every-other:"), kind::every_other}}) {
      if (text.substr(0, prefix.size()) != prefix) continue;
      static_plan p(k);
      // A count per item: "first:" and "first:1," have an empty item, not a trailing comma.
      p.count_ = for_each_part(text.substr(prefix.size()), ',', max_modalities, where,
                               [&](std::size_t m, std::string_view item) {
                                 p.values_[m] = parse_number(item, where, "a block count");
                               });
      return p;
    }
    if (text.find(':') != std::string_view::npos)
      throw argument_error("admn.plan.parse",
                           "plan '" + std::string(text) +
                               "': unknown kind (all, first:N, every-other:T or block lists "
                               "such as 0,1,2;0,3)");
    static_plan p(kind::explicit_blocks);
    p.count_ = for_each_part(text, ';', max_modalities, where, [&](std::size_t m, std::string_view list) {
      std::uint64_t bits = 0;
      parse_index_list(list, where, [&](std::size_t block) {
        if (block >= max_depth)
          throw argument_error("admn.mask.block", "plan '" + std::string(text) + "': block " +
                                                      std::to_string(block) + " exceeds the maximum depth " +
                                                      std::to_string(max_depth));
        bits |= std::uint64_t{1} << block;
      });
      p.values_[m] = bits;
    });
    return p;
  }

  [[nodiscard]] kind type() const noexcept { return kind_; }
  // Values given (counts, targets or lists); 0 for `all`.
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  // The layer plan for backbones of `depths`. Throws argument_error
  // [admn.plan.modalities] when the number of values is neither 1 (first,
  // every-other) nor the number of modalities, budget_error [admn.plan.depth] for a
  // count above a depth, argument_error [admn.mask.block] for a block ≥ depth.
  [[nodiscard]] layer_plan resolve(std::span<const std::size_t> depths) const {
    if (kind_ == kind::all) return layer_plan::all(depths);
    const bool broadcast = kind_ != kind::explicit_blocks && count_ == 1;
    if (!broadcast && count_ != depths.size())
      throw argument_error("admn.plan.modalities", "plan '" + to_string() + "' gives " +
                                                       std::to_string(count_) + " values, the network has " +
                                                       std::to_string(depths.size()) + " modalities");
    layer_plan plan(depths);
    for (std::size_t m = 0; m < depths.size(); ++m) {
      const std::uint64_t v = values_[broadcast ? 0 : m];
      if (kind_ == kind::first) {
        plan[m] = first_mask(depths[m], static_cast<std::size_t>(v));
      } else if (kind_ == kind::every_other) {
        plan[m] = every_other_mask(depths[m], static_cast<std::size_t>(v));
      } else {
        for (std::size_t b = 0; b < max_depth; ++b)
          if ((v >> b) & 1u) plan[m].keep(b);  // [admn.mask.block] beyond the depth
      }
    }
    return plan;
  }

  // The canonical text form.
  [[nodiscard]] std::string to_string() const {
    if (kind_ == kind::all) return "all";
    std::string out = kind_ == kind::first ? "first:" : kind_ == kind::every_other ? "every-other:" : "";
    for (std::size_t m = 0; m < count_; ++m) {
      if (kind_ != kind::explicit_blocks) {
        if (m != 0) out += ',';
        out += std::to_string(values_[m]);
        continue;
      }
      if (m != 0) out += ';';
      bool first_item = true;
      for (std::size_t b = 0; b < max_depth; ++b)
        if ((values_[m] >> b) & 1u) {
          if (!first_item) out += ',';
          out += std::to_string(b);
          first_item = false;
        }
    }
    return out;
  }

  friend bool operator==(const static_plan&, const static_plan&) noexcept = default;

 private:
  explicit static_plan(kind k) noexcept : kind_(k) {}

  static static_plan with_counts(kind k, std::span<const std::size_t> counts) {
    if (counts.empty() || counts.size() > max_modalities)
      throw argument_error("admn.plan.modalities", "a static plan needs 1 to " +
                                                       std::to_string(max_modalities) + " values, got " +
                                                       std::to_string(counts.size()));
    static_plan p(k);
    for (const std::size_t c : counts) p.values_[p.count_++] = c;
    return p;
  }

  kind kind_;
  std::size_t count_ = 0;
  std::array<std::uint64_t, max_modalities> values_{};  // counts, targets, or block bit sets
};

// The `--plan` text of admn-run against the network's depths (static_plan::parse,
// then resolve).
[[nodiscard]] inline layer_plan parse_plan(std::string_view text, std::span<const std::size_t> depths) {
  return static_plan::parse(text).resolve(depths);
}

// The same text with block lists kept in the order written ("0,5,3;0,1" runs block 5
// before block 3: execution_order's rules, a block at most once); the other forms
// run ascending.
[[nodiscard]] inline ordered_plan parse_ordered_plan(std::string_view text,
                                                     std::span<const std::size_t> depths) {
  if (text != "all" && text.find(':') == std::string_view::npos) return ordered_plan::parse(text, depths);
  return ordered_plan(parse_plan(text, depths));
}

}  // namespace admn::adaptive
