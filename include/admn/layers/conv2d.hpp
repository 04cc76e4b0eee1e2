// admn/layers/conv2d.hpp — nn.Conv2d (groups 1, dilation 1) for inputs of one spatial size.
//
//   y[n, o, i, j] = b[o] + Σ_{c, r, s} W[o, c, r, s] · x̂[n, c, i·sh + r, j·sw + s]
// x̂ zero-padded; W (out, in, kh, kw) and b (out) as PyTorch stores them, keys `<prefix>weight`,
// `<prefix>bias`. ReLU may be fused (the controller's Conv2d → ReLU pairs, docs/numerics.md §4.2).
// The input size is part of the layer (the controller's sizes are fixed by its Resize and the
// 1587 / 7488 flatten sizes, docs/numerics.md §9.12), so the geometry is validated once, here.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/conv2d.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/view.hpp>
#include <admn/tensor/workspace.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace admn::layers {

struct conv2d_config {
  kernels::conv2d_shape shape;  // channels, input size, kernel, stride, padding
  bool bias = true;             // nn.Conv2d(bias=…); loads `bias` when true
  bool relu = false;            // fuse the ReLU that follows
  kernels::conv2d_algorithm algorithm = kernels::conv2d_algorithm::automatic;
};

class conv2d {
 public:
  // weight (out, in, kh, kw) and bias (out) or none, for config.shape (config.bias is ignored:
  // the bias argument decides). Throws shape_error [admn.conv2d.shape] when the geometry is
  // invalid or the tensors do not match it.
  conv2d(tensor weight, std::optional<tensor> bias, const conv2d_config& config)
      : config_(config), weight_(std::move(weight)), bias_(std::move(bias)) {
    const kernels::conv2d_shape& s = config_.shape;
    s.validate();
    const admn::shape expected{s.out_channels, s.in_channels, s.kernel_h, s.kernel_w};
    if (!(weight_.shape() == expected))
      throw shape_error("admn.conv2d.shape", "conv2d " + s.describe() + ": weight must be " +
                                                 expected.to_string() + ", got " +
                                                 weight_.shape().to_string());
    if (bias_ && !(bias_->shape() == admn::shape{s.out_channels}))
      throw shape_error("admn.conv2d.shape", "conv2d " + s.describe() + ": bias must be [" +
                                                 std::to_string(s.out_channels) + "], got " +
                                                 bias_->shape().to_string());
    config_.bias = bias_.has_value();
  }

  // Binds `weight` (and `bias` when config.bias) under `w`'s prefix, checking their shapes
  // against config.shape (load_error [admn.load.shape] names the key on a mismatch).
  [[nodiscard]] static conv2d load(const io::weight_source& w, const conv2d_config& config) {
    config.shape.validate();
    const kernels::conv2d_shape& s = config.shape;
    tensor weight = w.load("weight", admn::shape{s.out_channels, s.in_channels, s.kernel_h, s.kernel_w});
    std::optional<tensor> bias;
    if (config.bias) bias = w.load("bias", admn::shape{s.out_channels});
    return conv2d(std::move(weight), std::move(bias), config);
  }

  [[nodiscard]] const kernels::conv2d_shape& geometry() const noexcept { return config_.shape; }
  [[nodiscard]] const conv2d_config& config() const noexcept { return config_; }
  [[nodiscard]] const tensor& weight() const noexcept { return weight_; }
  [[nodiscard]] const tensor* bias() const noexcept { return bias_ ? &*bias_ : nullptr; }
  // (batch, out_channels, out_h, out_w).
  [[nodiscard]] admn::shape output_shape(std::size_t batch) const {
    const kernels::conv2d_shape& s = config_.shape;
    return admn::shape{batch, s.out_channels, s.out_h(), s.out_w()};
  }
  // Multiply-accumulates per image.
  [[nodiscard]] std::size_t macs() const noexcept { return config_.shape.macs(); }
  // Scratch floats forward() needs (reused for every image; 0 for unpadded stride-1 shapes).
  [[nodiscard]] std::size_t scratch_floats() const noexcept {
    return workspace::rounded(kernels::conv2d_scratch_size(config_.shape, config_.algorithm));
  }

  // x: (in, in_h, in_w) or (batch, in, in_h, in_w), y: (out, out_h, out_w) or (batch, out, out_h,
  // out_w), both contiguous and not overlapping; `scratch` holds scratch_floats() floats
  // (may be nullptr when that is 0). Throws shape_error [admn.conv2d.input] on other shapes.
  void forward(const_view x, mutable_view y, float* scratch) const {
    const kernels::conv2d_shape& s = config_.shape;
    const std::size_t batch = x.rank() == 4 ? x.extent(0) : 1;
    const bool x_ok = (x.rank() == 3 || x.rank() == 4) && x.is_contiguous() &&
                      x.size() == batch * s.input_size() && x.extent(x.rank() - 3) == s.in_channels &&
                      x.extent(x.rank() - 2) == s.in_h && x.extent(x.rank() - 1) == s.in_w;
    const bool y_ok = y.rank() == x.rank() && y.is_contiguous() && y.size() == batch * s.output_size() &&
                      y.extent(y.rank() - 3) == s.out_channels && y.extent(y.rank() - 2) == s.out_h() &&
                      y.extent(y.rank() - 1) == s.out_w();
    if (!x_ok || !y_ok)
      throw shape_error("admn.conv2d.input", "conv2d " + s.describe() + ": input " + x.shape().to_string() +
                                                 " and output " + y.shape().to_string() +
                                                 " do not match (both contiguous, rank 3 or 4)");
    const kernels::conv2d_options options{
        .epilogue = config_.relu ? kernels::conv2d_epilogue::relu : kernels::conv2d_epilogue::none,
        .algorithm = config_.algorithm};
    for (std::size_t n = 0; n < batch; ++n)
      kernels::active().conv2d(s, x.data() + n * s.input_size(), weight_.data(),
                               bias_ ? bias_->data() : nullptr, y.data() + n * s.output_size(), scratch,
                               options);
  }

 private:
  conv2d_config config_;
  tensor weight_;
  std::optional<tensor> bias_;
};

}  // namespace admn::layers
