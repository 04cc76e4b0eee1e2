// admn/layers/layer_norm.hpp — nn.LayerNorm(dim, eps) with affine γ, β.
//
//   y = (x − μ)/√(σ² + eps)·γ + β over the last dimension (keys `weight`, `bias`).
// eps is 1e-5 everywhere in ADMN (docs/numerics.md §0: nn.LayerNorm is passed explicitly).
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/layer_norm.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/tensor/tensor.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace admn::layers {

class layer_norm {
 public:
  layer_norm(tensor gamma, tensor beta, float eps = 1e-5f)
      : gamma_(std::move(gamma)), beta_(std::move(beta)), eps_(eps) {
    if (gamma_.shape().rank() != 1 || !(beta_.shape() == gamma_.shape()))
      throw shape_error("admn.layer_norm.shape", "weight and bias must be equal vectors, got " +
                                                     gamma_.shape().to_string() + " and " +
                                                     beta_.shape().to_string());
  }

  // Binds `weight` and `bias`, both [dim] (dim unset: from the weight).
  static layer_norm load(const io::weight_source& w, std::optional<std::size_t> dim = std::nullopt,
                         float eps = 1e-5f) {
    if (!dim) {
      const auto stored = w.shape_of("weight");
      dim = stored.size() == 1 ? stored[0] : 0;
    }
    return layer_norm(w.load("weight", shape{*dim}), w.load("bias", shape{*dim}), eps);
  }

  [[nodiscard]] std::size_t dim() const noexcept { return gamma_.size(); }
  [[nodiscard]] float eps() const noexcept { return eps_; }

  // y = LN(x) row by row; x and y: rows × dim (any row strides; may alias).
  void forward(const_view x, mutable_view y) const {
    ADMN_ASSERT(x.rank() == 2 && y.rank() == 2 && x.extent(1) == dim() && y.extent(1) == dim());
    const std::size_t xs = static_cast<std::size_t>(x.stride(0)), ys = static_cast<std::size_t>(y.stride(0));
    const auto layer_norm_kernel = kernels::active().layer_norm;
    // Rows are independent, so any split gives identical results.
    kernels::for_each_chunk(x.extent(0), rows_per_task, [&](std::size_t r0, std::size_t r1) {
      layer_norm_kernel(kernels::row_layout{r1 - r0, dim(), xs, ys}, x.data() + r0 * xs, gamma_.data(),
                        beta_.data(), eps_, y.data() + r0 * ys);
    });
  }

 private:
  static constexpr std::size_t rows_per_task = 64;
  tensor gamma_;
  tensor beta_;
  float eps_;
};

}  // namespace admn::layers
