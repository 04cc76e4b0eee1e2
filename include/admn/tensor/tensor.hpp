// admn/tensor/tensor.hpp — an owning, 64-byte-aligned float tensor.
//
// The one place admn owns activations or weights in memory. The buffer is
// aligned to 64 bytes (one AVX-512 register, one cache line) and zero-filled on
// creation. Copying is explicit (`clone()`); moving is cheap.
#pragma once

#include <admn/tensor/shape.hpp>
#include <admn/tensor/view.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <span>

namespace admn {

inline constexpr std::size_t tensor_alignment = 64;

namespace detail {

struct aligned_delete {
  void operator()(float* p) const noexcept { ::operator delete[](p, std::align_val_t{tensor_alignment}); }
};

// Zero-filled aligned storage for `count` floats; throws std::bad_alloc like new.
inline std::unique_ptr<float[], aligned_delete> aligned_floats(std::size_t count) {
  if (count == 0) return {};
  if (count > SIZE_MAX / sizeof(float)) throw std::bad_array_new_length();
  auto* raw =
      static_cast<float*>(::operator new[](count * sizeof(float), std::align_val_t{tensor_alignment}));
  std::memset(raw, 0, count * sizeof(float));
  return std::unique_ptr<float[], aligned_delete>(raw);
}

}  // namespace detail

class tensor {
 public:
  // An empty tensor: shape [0], no storage.
  tensor() = default;
  // Zero-filled tensor of shape `s`.
  explicit tensor(const admn::shape& s) : shape_(s), data_(detail::aligned_floats(s.element_count())) {}

  // A contiguous copy of any view (strided or not).
  [[nodiscard]] static tensor copy_of(const_view source) {
    tensor out(source.shape());
    std::size_t next = 0;
    copy_rows(source, out.data_.get(), next);
    return out;
  }

  tensor(tensor&&) noexcept = default;
  tensor& operator=(tensor&&) noexcept = default;
  tensor(const tensor&) = delete;
  tensor& operator=(const tensor&) = delete;

  [[nodiscard]] tensor clone() const { return copy_of(view()); }

  [[nodiscard]] const admn::shape& shape() const noexcept { return shape_; }
  [[nodiscard]] std::size_t size() const noexcept { return shape_.element_count(); }
  [[nodiscard]] float* data() noexcept { return data_.get(); }
  [[nodiscard]] const float* data() const noexcept { return data_.get(); }
  [[nodiscard]] std::span<float> values() noexcept { return {data_.get(), size()}; }
  [[nodiscard]] std::span<const float> values() const noexcept { return {data_.get(), size()}; }

  [[nodiscard]] mutable_view view() noexcept { return {data_.get(), shape_}; }
  [[nodiscard]] const_view view() const noexcept { return {data_.get(), shape_}; }

  // Element access, unchecked in release builds.
  template <class... Index>
  [[nodiscard]] float& operator()(Index... index) noexcept {
    return view()(index...);
  }
  template <class... Index>
  [[nodiscard]] float operator()(Index... index) const noexcept {
    return view()(index...);
  }

  void fill(float value) noexcept { std::fill_n(data_.get(), size(), value); }

 private:
  static void copy_rows(const_view source, float* out, std::size_t& next) {
    if (source.rank() == 0) {
      out[next++] = *source.data();
      return;
    }
    if (source.rank() == 1) {
      for (std::size_t i = 0; i < source.extent(0); ++i)
        out[next++] = source.data()[static_cast<std::ptrdiff_t>(i) * source.stride(0)];
      return;
    }
    for (std::size_t i = 0; i < source.extent(0); ++i) copy_rows(source[i], out, next);
  }

  admn::shape shape_{0};  // a default tensor is empty, not a scalar without storage
  std::unique_ptr<float[], detail::aligned_delete> data_;
};

}  // namespace admn
