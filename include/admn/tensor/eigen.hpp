// admn/tensor/eigen.hpp — the only header that includes Eigen.
//
// Maps 2-D views onto Eigen matrices without copying. admn tensors are row-major,
// so the maps are row-major with an outer (row) stride; the inner stride must be 1.
// Never store the result of an Eigen expression in `auto`: assign it to a map.
#pragma once

#include <admn/detail/assert.hpp>
#include <admn/tensor/view.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// GCC 12 with -march=native (AVX-512) flags Eigen's packet code falsely.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace admn {

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using matrix_map = Eigen::Map<row_matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using const_matrix_map = Eigen::Map<const row_matrix, Eigen::Unaligned, Eigen::OuterStride<>>;

// rows × cols matrix over raw row-major memory with leading dimension `ld` (≥ cols).
[[nodiscard]] inline const_matrix_map as_matrix(const float* data, std::size_t rows, std::size_t cols,
                                                std::size_t ld) noexcept {
  ADMN_ASSERT(ld >= cols);
  return {data, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols),
          Eigen::OuterStride<>(static_cast<Eigen::Index>(ld))};
}
[[nodiscard]] inline matrix_map as_matrix(float* data, std::size_t rows, std::size_t cols,
                                          std::size_t ld) noexcept {
  ADMN_ASSERT(ld >= cols);
  return {data, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols),
          Eigen::OuterStride<>(static_cast<Eigen::Index>(ld))};
}

// A rank-2 view with unit column stride as an Eigen map (debug-checked).
[[nodiscard]] inline const_matrix_map as_matrix(const_view v) noexcept {
  ADMN_ASSERT(v.rank() == 2 && (v.extent(1) <= 1 || v.stride(1) == 1));
  return as_matrix(v.data(), v.extent(0), v.extent(1), static_cast<std::size_t>(v.stride(0)));
}
[[nodiscard]] inline matrix_map as_matrix(mutable_view v) noexcept {
  ADMN_ASSERT(v.rank() == 2 && (v.extent(1) <= 1 || v.stride(1) == 1));
  return as_matrix(v.data(), v.extent(0), v.extent(1), static_cast<std::size_t>(v.stride(0)));
}

}  // namespace admn
