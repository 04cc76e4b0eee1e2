// admn/layers/batch_norm2d.hpp — nn.BatchNorm2d in evaluation mode.
//
//   y[n, c, h, w] = (x[n, c, h, w] − running_mean[c]) / √(running_var[c] + eps) · γ[c] + β[c]
// docs/numerics.md §4.2 and §10.7: the AVE controller's Conv → BatchNorm2d(eps 1e-5) → ReLU encoders,
// with the ReLU fused here. Keys `<prefix>weight` (γ), `bias` (β), `running_mean`, `running_var`;
// `num_batches_tracked` (training bookkeeping) is accepted and ignored. The per-channel
// scale γ/√(var + eps) and shift β − mean·scale are folded once, in float32 as PyTorch's CPU
// kernel folds them (kernels/batch_norm.hpp), so forward() is one FMA per element.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/batch_norm.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/view.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace admn::layers {

struct batch_norm2d_config {
  std::optional<std::size_t> channels{};  // unset: taken from running_mean (a set 0 is an error)
  double eps = 1e-5;
  bool affine = true;  // nn.BatchNorm2d(affine=…): γ and β exist
  bool relu = false;   // fuse the ReLU that follows
};

class batch_norm2d {
 public:
  // γ, β (or none, affine=False), running mean and variance, all (channels). Throws
  // shape_error [admn.batch_norm2d.shape] when they are not equal-length vectors.
  batch_norm2d(std::optional<tensor> weight, std::optional<tensor> bias, const tensor& running_mean,
               const tensor& running_var, double eps = 1e-5, bool relu = false)
      : eps_(eps), relu_(relu) {
    const admn::shape& s = running_mean.shape();
    const auto check = [&s](const tensor* t, const char* what) {
      if (t != nullptr && (s.rank() != 1 || !(t->shape() == s)))
        throw shape_error("admn.batch_norm2d.shape", std::string(what) +
                                                         " must be a vector like running_mean " +
                                                         s.to_string() + ", got " + t->shape().to_string());
    };
    if (s.rank() != 1 || s[0] == 0)
      throw shape_error("admn.batch_norm2d.shape",
                        "running_mean must be a non-empty vector, got " + s.to_string());
    check(weight ? &*weight : nullptr, "weight");
    check(bias ? &*bias : nullptr, "bias");
    check(&running_var, "running_var");
    scale_ = tensor(s);
    shift_ = tensor(s);
    kernels::batch_norm_fold(weight ? weight->data() : nullptr, bias ? bias->data() : nullptr,
                             running_mean.data(), running_var.data(), eps, s[0], scale_.data(),
                             shift_.data());
  }

  // Binds the BatchNorm2d keys under `w`'s prefix (see the file comment).
  [[nodiscard]] static batch_norm2d load(const io::weight_source& w, const batch_norm2d_config& config = {}) {
    std::size_t channels = 0;
    if (config.channels) {
      channels = *config.channels;
    } else {
      const auto stored = w.shape_of("running_mean");
      channels = stored.size() == 1 ? stored[0] : 0;
    }
    const admn::shape s{channels};
    std::optional<tensor> weight;
    std::optional<tensor> bias;
    if (config.affine) {
      weight = w.load("weight", s);
      bias = w.load("bias", s);
    }
    const tensor mean = w.load("running_mean", s);
    const tensor var = w.load("running_var", s);
    w.mark_unused_ok("num_batches_tracked");
    return batch_norm2d(std::move(weight), std::move(bias), mean, var, config.eps, config.relu);
  }

  [[nodiscard]] std::size_t channels() const noexcept { return scale_.size(); }
  [[nodiscard]] double eps() const noexcept { return eps_; }
  [[nodiscard]] bool relu() const noexcept { return relu_; }
  // The folded per-channel factors: y = x·scale + shift.
  [[nodiscard]] const tensor& scale() const noexcept { return scale_; }
  [[nodiscard]] const tensor& shift() const noexcept { return shift_; }

  // x, y: (channels, h, w) or (batch, channels, h, w), contiguous, same shape; y may be x (in
  // place). Throws shape_error [admn.batch_norm2d.input] on other shapes.
  void forward(const_view x, mutable_view y) const {
    if ((x.rank() != 3 && x.rank() != 4) || !(x.shape() == y.shape()) || !x.is_contiguous() ||
        !y.is_contiguous() || x.extent(x.rank() - 3) != channels())
      throw shape_error("admn.batch_norm2d.input", "batch_norm2d over " + std::to_string(channels()) +
                                                       " channels: input " + x.shape().to_string() +
                                                       " and output " + y.shape().to_string() +
                                                       " must be equal, contiguous, (batch,) channels, h, w");
    const std::size_t batch = x.rank() == 4 ? x.extent(0) : 1;
    const std::size_t spatial = x.extent(x.rank() - 2) * x.extent(x.rank() - 1);
    for (std::size_t n = 0; n < batch; ++n)
      kernels::active().batch_norm(x.data() + n * channels() * spatial, channels(), spatial, scale_.data(),
                                   shift_.data(), y.data() + n * channels() * spatial, relu_);
  }

 private:
  tensor scale_;
  tensor shift_;
  double eps_;
  bool relu_;
};

}  // namespace admn::layers
