// admn/tensor/shape.hpp — a tensor shape of fixed capacity with a checked element count.
//
// Shapes live on the stack (no allocation in the hot path) and hold at most
// `max_rank` dimensions. The element count is computed once, with overflow
// checks, when the shape is made; a shape that would overflow cannot exist.
#pragma once

#include <admn/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

namespace admn {

inline constexpr std::size_t max_rank = 8;

// admn targets 64-bit hosts: every file offset and element count fits std::size_t.
static_assert(sizeof(std::size_t) == sizeof(std::uint64_t), "admn needs a 64-bit std::size_t");

class shape {
 public:
  // Rank 0: a scalar with one element.
  constexpr shape() noexcept = default;

  // Throws shape_error ([admn.shape.rank] / [admn.shape.overflow]).
  constexpr shape(std::initializer_list<std::size_t> dims) {
    assign(std::span<const std::size_t>(dims.begin(), dims.size()));
  }
  constexpr explicit shape(std::span<const std::size_t> dims) { assign(dims); }

  // Non-throwing construction for untrusted sizes (e.g. file headers): nullopt
  // when the rank exceeds max_rank or the element count overflows std::size_t.
  template <class Int>
  [[nodiscard]] static constexpr std::optional<shape> try_make(std::span<const Int> dims) noexcept {
    if (dims.size() > max_rank) return std::nullopt;
    shape out;
    bool has_zero = false;
    for (std::size_t i = 0; i < dims.size(); ++i) {
      if constexpr (std::is_signed_v<Int>)
        if (dims[i] < 0) return std::nullopt;
      out.dims_[i] = static_cast<std::size_t>(dims[i]);
      has_zero = has_zero || dims[i] == 0;
    }
    // A zero dimension makes the product 0 whatever the others are.
    std::size_t count = has_zero ? 0 : 1;
    for (std::size_t i = 0; i < dims.size() && !has_zero; ++i) {
      if (count > SIZE_MAX / out.dims_[i]) return std::nullopt;
      count *= out.dims_[i];
    }
    out.rank_ = dims.size();
    out.count_ = count;
    return out;
  }

  [[nodiscard]] constexpr std::size_t rank() const noexcept { return rank_; }
  [[nodiscard]] constexpr std::size_t element_count() const noexcept { return count_; }
  [[nodiscard]] constexpr std::size_t operator[](std::size_t axis) const noexcept { return dims_[axis]; }
  [[nodiscard]] constexpr std::span<const std::size_t> dims() const noexcept { return {dims_.data(), rank_}; }

  friend constexpr bool operator==(const shape& a, const shape& b) noexcept {
    if (a.rank_ != b.rank_) return false;
    for (std::size_t i = 0; i < a.rank_; ++i)
      if (a.dims_[i] != b.dims_[i]) return false;
    return true;
  }

  // "[2304,768]"; a scalar prints as "[]".
  [[nodiscard]] std::string to_string() const {
    std::string out = "[";
    for (std::size_t i = 0; i < rank_; ++i) {
      if (i != 0) out += ',';
      out += std::to_string(dims_[i]);
    }
    return out + "]";
  }

 private:
  constexpr void assign(std::span<const std::size_t> dims) {
    if (dims.size() > max_rank)
      throw shape_error("admn.shape.rank", "rank " + std::to_string(dims.size()) +
                                               " exceeds the maximum of " + std::to_string(max_rank));
    const auto made = try_make(dims);
    if (!made) {
      std::string text = "element count of [";
      for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i != 0) text += ',';
        text += std::to_string(dims[i]);
      }
      text += "] overflows std::size_t";
      throw shape_error("admn.shape.overflow", text);
    }
    *this = *made;
  }

  std::array<std::size_t, max_rank> dims_{};
  std::size_t rank_ = 0;
  std::size_t count_ = 1;
};

}  // namespace admn
