// admn/tensor/view.hpp — non-owning strided views, the currency between tiers.
//
// A view is a pointer, a shape and strides counted in elements (not bytes).
// `tensor_view<const float>` reads, `tensor_view<float>` writes; a mutable view
// converts to a const one implicitly. Views never own or allocate.
#pragma once

#include <admn/detail/assert.hpp>
#include <admn/error.hpp>
#include <admn/tensor/shape.hpp>

#include <array>
#include <cstddef>
#include <type_traits>

namespace admn {

using strides_t = std::array<std::ptrdiff_t, max_rank>;

// Row-major (C-order) strides of a shape, in elements.
[[nodiscard]] constexpr strides_t contiguous_strides(const shape& s) noexcept {
  strides_t out{};
  std::ptrdiff_t step = 1;
  for (std::size_t i = s.rank(); i-- > 0;) {
    out[i] = step;
    step *= static_cast<std::ptrdiff_t>(s[i]);
  }
  return out;
}

template <class T>
class tensor_view {
 public:
  using value_type = std::remove_const_t<T>;

  constexpr tensor_view() noexcept = default;
  // A contiguous row-major view of `s.element_count()` elements at `data`.
  constexpr tensor_view(T* data, const shape& s) noexcept
      : data_(data), shape_(s), strides_(contiguous_strides(s)) {}
  constexpr tensor_view(T* data, const shape& s, const strides_t& strides) noexcept
      : data_(data), shape_(s), strides_(strides) {}

  // tensor_view<float> → tensor_view<const float>.
  template <class U>
  requires(std::is_same_v<T, const U>) constexpr tensor_view(
      const tensor_view<U>& other) noexcept  // NOLINT(google-explicit-constructor)
      : data_(other.data()), shape_(other.shape()), strides_(other.strides()) {}

  [[nodiscard]] constexpr T* data() const noexcept { return data_; }
  [[nodiscard]] constexpr const admn::shape& shape() const noexcept { return shape_; }
  [[nodiscard]] constexpr const strides_t& strides() const noexcept { return strides_; }
  [[nodiscard]] constexpr std::size_t rank() const noexcept { return shape_.rank(); }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return shape_.element_count(); }
  [[nodiscard]] constexpr std::size_t extent(std::size_t axis) const noexcept { return shape_[axis]; }
  [[nodiscard]] constexpr std::ptrdiff_t stride(std::size_t axis) const noexcept { return strides_[axis]; }

  // True when the elements are dense in row-major order.
  [[nodiscard]] constexpr bool is_contiguous() const noexcept {
    const strides_t dense = contiguous_strides(shape_);
    for (std::size_t i = 0; i < rank(); ++i)
      if (shape_[i] > 1 && strides_[i] != dense[i]) return false;
    return true;
  }

  // Element access; indices are checked in debug builds only (hot path).
  template <class... Index>
  [[nodiscard]] constexpr T& operator()(Index... index) const noexcept {
    static_assert(sizeof...(Index) <= max_rank);
    ADMN_ASSERT(sizeof...(Index) == rank());
    const std::array<std::size_t, sizeof...(Index)> idx{static_cast<std::size_t>(index)...};
    std::ptrdiff_t offset = 0;
    for (std::size_t i = 0; i < idx.size(); ++i) {
      ADMN_ASSERT(idx[i] < shape_[i]);
      offset += static_cast<std::ptrdiff_t>(idx[i]) * strides_[i];
    }
    return data_[offset];
  }

  // The sub-view at `index` along axis 0 (rank drops by one).
  [[nodiscard]] constexpr tensor_view operator[](std::size_t index) const noexcept {
    ADMN_ASSERT(rank() > 0 && index < shape_[0]);
    std::array<std::size_t, max_rank> dims{};
    strides_t strides{};
    for (std::size_t i = 1; i < rank(); ++i) {
      dims[i - 1] = shape_[i];
      strides[i - 1] = strides_[i];
    }
    const auto sub = admn::shape::try_make(std::span<const std::size_t>(dims.data(), rank() - 1));
    return tensor_view(data_ + static_cast<std::ptrdiff_t>(index) * strides_[0], *sub, strides);
  }

  // Rows [begin, end) along axis 0.
  [[nodiscard]] constexpr tensor_view slice(std::size_t begin, std::size_t end) const noexcept {
    ADMN_ASSERT(rank() > 0 && begin <= end && end <= shape_[0]);
    std::array<std::size_t, max_rank> dims{};
    for (std::size_t i = 0; i < rank(); ++i) dims[i] = shape_[i];
    dims[0] = end - begin;
    const auto sub = admn::shape::try_make(std::span<const std::size_t>(dims.data(), rank()));
    return tensor_view(data_ + static_cast<std::ptrdiff_t>(begin) * strides_[0], *sub, strides_);
  }

  // The same elements under another shape; only for contiguous views.
  // Throws shape_error ([admn.shape.reshape]) when the counts differ or the view is strided.
  [[nodiscard]] tensor_view reshape(const admn::shape& to) const {
    if (to.element_count() != size() || !is_contiguous())
      throw shape_error("admn.shape.reshape", "cannot reshape " + shape_.to_string() + " to " +
                                                  to.to_string() +
                                                  (is_contiguous() ? "" : " (view is strided)"));
    return tensor_view(data_, to);
  }

 private:
  T* data_ = nullptr;
  admn::shape shape_{};
  strides_t strides_{};
};

using const_view = tensor_view<const float>;
using mutable_view = tensor_view<float>;

}  // namespace admn
