// admn/adaptive/layer_plan.hpp — one layer mask per modality, for one sample.
//
// Text form (admn-run --plan): "all", or one comma-separated block list per
// modality, modalities separated by ';' — "0,1,2,5;0,3" keeps blocks 0,1,2,5 of
// modality 0 and blocks 0,3 of modality 1. An empty list skips a whole backbone.
#pragma once

#include <admn/adaptive/index_list.hpp>
#include <admn/adaptive/layer_mask.hpp>
#include <admn/error.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace admn::adaptive {

inline constexpr std::size_t max_modalities = 8;

// Returns `count`; throws argument_error [admn.plan.modalities] when it exceeds max_modalities.
inline std::size_t check_modality_count(std::size_t count) {
  if (count > max_modalities)
    throw argument_error(
        "admn.plan.modalities",
        std::to_string(count) + " modalities exceed the maximum of " + std::to_string(max_modalities));
  return count;
}

class layer_plan {
 public:
  constexpr layer_plan() noexcept = default;

  // Empty masks for backbones of the given depths. Throws argument_error
  // [admn.plan.modalities] for more than max_modalities.
  explicit layer_plan(std::span<const std::size_t> depths) : count_(check_modality_count(depths.size())) {
    for (std::size_t m = 0; m < count_; ++m) masks_[m] = layer_mask(depths[m]);
  }

  [[nodiscard]] static layer_plan all(std::span<const std::size_t> depths) {
    layer_plan p(depths);
    for (std::size_t m = 0; m < p.count_; ++m) p.masks_[m] = layer_mask::all(depths[m]);
    return p;
  }

  // Parses the text form against the backbones' depths; throws argument_error
  // [admn.plan.parse] naming the text, or [admn.mask.block] for a block ≥ depth.
  [[nodiscard]] static layer_plan parse(std::string_view text, std::span<const std::size_t> depths) {
    if (text == "all") return all(depths);
    layer_plan p(depths);
    const text_context where{.id = "admn.plan.parse", .noun = "plan", .text = text};
    for_each_modality(text, p.count_, where, [&](std::size_t m, std::string_view list) {
      parse_index_list(list, where, [&](std::size_t block) { p.masks_[m].keep(block); });
    });
    return p;
  }

  [[nodiscard]] constexpr std::size_t modalities() const noexcept { return count_; }
  [[nodiscard]] constexpr const layer_mask& operator[](std::size_t m) const noexcept { return masks_[m]; }
  [[nodiscard]] constexpr layer_mask& operator[](std::size_t m) noexcept { return masks_[m]; }
  [[nodiscard]] constexpr std::size_t total_kept() const noexcept {
    std::size_t total = 0;
    for (std::size_t m = 0; m < count_; ++m) total += masks_[m].count();
    return total;
  }

  [[nodiscard]] std::string to_string() const {
    std::string out;
    for (std::size_t m = 0; m < count_; ++m) {
      if (m != 0) out += ';';
      bool first = true;
      for (const std::size_t b : masks_[m].blocks()) {
        if (!first) out += ',';
        out += std::to_string(b);
        first = false;
      }
    }
    return out;
  }

  friend bool operator==(const layer_plan& a, const layer_plan& b) noexcept {
    if (a.count_ != b.count_) return false;
    for (std::size_t m = 0; m < a.count_; ++m)
      if (!(a.masks_[m] == b.masks_[m])) return false;
    return true;
  }

 private:
  std::array<layer_mask, max_modalities> masks_{};
  std::size_t count_ = 0;
};

}  // namespace admn::adaptive
