// admn/adaptive/layer_mask.hpp — which blocks of one backbone run.
//
// A layer mask is a run-time set of block indices of a backbone of `depth`
// blocks (depth ≤ max_depth). A skipped block is the identity (docs/numerics.md §2.6).
// `blocks()` lists the kept indices in increasing order, ready for a backbone's
// forward pass, without allocating. Text form: one digit per block, "1" = run,
// block 0 first, e.g. "100000010011".
#pragma once

#include <admn/error.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace admn::adaptive {

inline constexpr std::size_t max_depth = 64;

// Up to max_depth block indices, stored inline (a hot-path value, never allocated).
class block_list {
 public:
  constexpr block_list() noexcept = default;
  constexpr void push_back(std::size_t index) noexcept { items_[size_++] = index; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] constexpr std::size_t operator[](std::size_t i) const noexcept { return items_[i]; }
  [[nodiscard]] constexpr const std::size_t* begin() const noexcept { return items_.data(); }
  [[nodiscard]] constexpr const std::size_t* end() const noexcept { return items_.data() + size_; }
  // NOLINTNEXTLINE(google-explicit-constructor): a block list is a span of indices.
  constexpr operator std::span<const std::size_t>() const noexcept { return {items_.data(), size_}; }

 private:
  std::array<std::size_t, max_depth> items_{};
  std::size_t size_ = 0;
};

class layer_mask {
 public:
  constexpr layer_mask() noexcept = default;

  // No block kept. Throws argument_error [admn.mask.depth] when depth > max_depth.
  explicit layer_mask(std::size_t depth) : depth_(check_depth(depth)) {}

  [[nodiscard]] static layer_mask all(std::size_t depth) {
    layer_mask m(depth);
    m.bits_ = depth == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << depth) - 1;
    return m;
  }

  // From the text form; throws argument_error [admn.mask.parse] naming the text.
  [[nodiscard]] static layer_mask parse(std::string_view text) {
    layer_mask m(check_depth(text.size()));
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '1')
        m.keep(i);
      else if (text[i] != '0')
        throw argument_error("admn.mask.parse", "layer mask '" + std::string(text) +
                                                    "' must contain only 0 and 1 (one digit per block)");
    }
    return m;
  }

  [[nodiscard]] constexpr std::size_t depth() const noexcept { return depth_; }
  [[nodiscard]] constexpr bool kept(std::size_t block) const noexcept {
    return block < depth_ && ((bits_ >> block) & 1u);
  }
  [[nodiscard]] constexpr std::size_t count() const noexcept {
    return static_cast<std::size_t>(std::popcount(bits_));
  }
  [[nodiscard]] constexpr std::uint64_t bits() const noexcept { return bits_; }

  // Throws argument_error [admn.mask.block] for a block ≥ depth.
  void keep(std::size_t block) { bits_ |= std::uint64_t{1} << check_block(block); }
  void drop(std::size_t block) { bits_ &= ~(std::uint64_t{1} << check_block(block)); }

  // Kept blocks in increasing order: the execution order of ADMN.
  [[nodiscard]] constexpr block_list blocks() const noexcept {
    block_list out;
    for (std::size_t i = 0; i < depth_; ++i)
      if ((bits_ >> i) & 1u) out.push_back(i);
    return out;
  }

  [[nodiscard]] std::string to_string() const {
    std::string out(depth_, '0');
    for (std::size_t i = 0; i < depth_; ++i)
      if (kept(i)) out[i] = '1';
    return out;
  }

  friend constexpr bool operator==(const layer_mask&, const layer_mask&) noexcept = default;

 private:
  static std::size_t check_depth(std::size_t depth) {
    if (depth > max_depth)
      throw argument_error("admn.mask.depth", "depth " + std::to_string(depth) + " exceeds the maximum of " +
                                                  std::to_string(max_depth) + " blocks");
    return depth;
  }
  std::size_t check_block(std::size_t block) const {
    if (block >= depth_)
      throw argument_error("admn.mask.block", "block " + std::to_string(block) + " does not exist (depth " +
                                                  std::to_string(depth_) + ")");
    return block;
  }

  std::uint64_t bits_ = 0;
  std::size_t depth_ = 0;
};

}  // namespace admn::adaptive
