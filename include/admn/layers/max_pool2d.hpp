// admn/layers/max_pool2d.hpp — nn.MaxPool2d(kernel, stride) for inputs of one spatial size.
//
//   y[n, c, i, j] = max_{r < kh, s < kw} x[n, c, i·sh + r, j·sw + s]
// No padding, dilation 1, floor mode; stride defaults to the kernel, as in PyTorch. docs/numerics.md
// §4.2: MaxPool2d(3) in every controller encoder, (3, 6) on the AVE audio branch. No weights.
#pragma once

#include <admn/error.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/pooling.hpp>
#include <admn/tensor/view.hpp>
#include <admn/tensor/workspace.hpp>

#include <cstddef>
#include <string>

namespace admn::layers {

class max_pool2d {
 public:
  // Throws shape_error [admn.pool2d.shape] for an invalid geometry.
  explicit max_pool2d(const kernels::pool2d_shape& geometry) : shape_(geometry) { shape_.validate(); }

  [[nodiscard]] const kernels::pool2d_shape& geometry() const noexcept { return shape_; }
  // (batch, channels, out_h, out_w).
  [[nodiscard]] admn::shape output_shape(std::size_t batch) const {
    return admn::shape{batch, shape_.channels, shape_.out_h(), shape_.out_w()};
  }
  // Scratch floats forward() needs (one input row).
  [[nodiscard]] std::size_t scratch_floats() const noexcept {
    return workspace::rounded(kernels::max_pool2d_scratch_size(shape_));
  }

  // x: (channels, in_h, in_w) or (batch, …), y: (channels, out_h, out_w) or (batch, …), both
  // contiguous; `scratch` holds scratch_floats() floats. Throws shape_error
  // [admn.pool2d.input] on other shapes.
  void forward(const_view x, mutable_view y, float* scratch) const {
    const kernels::pool2d_shape& s = shape_;
    const std::size_t batch = x.rank() == 4 ? x.extent(0) : 1;
    const bool x_ok = (x.rank() == 3 || x.rank() == 4) && x.is_contiguous() &&
                      x.size() == batch * s.input_size() && x.extent(x.rank() - 3) == s.channels &&
                      x.extent(x.rank() - 2) == s.in_h && x.extent(x.rank() - 1) == s.in_w;
    const bool y_ok = y.rank() == x.rank() && y.is_contiguous() && y.size() == batch * s.output_size() &&
                      y.extent(y.rank() - 3) == s.channels && y.extent(y.rank() - 2) == s.out_h() &&
                      y.extent(y.rank() - 1) == s.out_w();
    if (!x_ok || !y_ok)
      throw shape_error("admn.pool2d.input",
                        "max_pool2d " + s.describe() + ": input " + x.shape().to_string() + " and output " +
                            y.shape().to_string() + " do not match (both contiguous, rank 3 or 4)");
    for (std::size_t n = 0; n < batch; ++n)
      kernels::active().max_pool2d(s, x.data() + n * s.input_size(), y.data() + n * s.output_size(), scratch);
  }

 private:
  kernels::pool2d_shape shape_;
};

}  // namespace admn::layers
