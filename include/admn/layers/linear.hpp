// admn/layers/linear.hpp — nn.Linear: y = x·Wᵀ + b over every row at once.
//
// W is (out, in) as PyTorch stores it; keys `<prefix>weight`, `<prefix>bias`. W is
// re-laid out once, here, into the GEMM's panels (kernels::packed_weights); the
// original layout is not kept. The optional epilogue fuses an activation, or
// accumulates into y (residual add). With precision::bf16 the weights are stored
// as bf16 and multiplied by the AVX512-BF16 kernel (kernels/gemm_bf16.hpp).
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/gemm_bf16.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/view.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <variant>

namespace admn::layers {

struct linear_spec {
  // Unset: take from the weight. A set size is checked, so a computed 0 is an error, not a default.
  std::optional<std::size_t> in{};
  std::optional<std::size_t> out{};
  bool bias = true;
  kernels::precision precision = kernels::precision::fp32;
};

class linear {
 public:
  // weight (out, in); bias (out) or none. Throws shape_error [admn.linear.shape], and
  // config_error [admn.config.precision] for bf16 in a build without AVX512-BF16.
  linear(const tensor& weight, std::optional<tensor> bias,
         kernels::precision precision = kernels::precision::fp32)
      : bias_(std::move(bias)) {
    if (weight.shape().rank() != 2)
      throw shape_error("admn.linear.shape", "weight must be (out, in), got " + weight.shape().to_string());
    kernels::require_available(precision);
    const std::size_t out = weight.shape()[0], in = weight.shape()[1];
    if (out == 0 || in == 0)
      throw shape_error("admn.linear.shape",
                        "weight must have at least one row and column, got " + weight.shape().to_string());
    if (precision == kernels::precision::bf16)
      packed_ = kernels::packed_weights_bf16(weight.data(), out, in, in);
    else
      packed_ = kernels::packed_weights<>(weight.data(), out, in, in);
    if (bias_ && !(bias_->shape() == shape{out_features()}))
      throw shape_error("admn.linear.shape", "bias must be [" + std::to_string(out_features()) + "], got " +
                                                 bias_->shape().to_string());
  }

  // Binds `weight` (and `bias` when spec.bias) under `w`'s prefix with shape checks.
  static linear load(const io::weight_source& w, const linear_spec& spec = {}) {
    const auto stored = w.shape_of("weight");
    const std::size_t out = spec.out.value_or(stored.size() == 2 ? stored[0] : 0);
    const std::size_t in = spec.in.value_or(stored.size() == 2 ? stored[1] : 0);
    tensor weight = w.load("weight", shape{out, in});
    std::optional<tensor> bias;
    if (spec.bias) bias = w.load("bias", shape{out});
    return linear(std::move(weight), std::move(bias), spec.precision);
  }

  [[nodiscard]] std::size_t in_features() const noexcept {
    return std::visit([](const auto& p) { return p.k(); }, packed_);
  }
  [[nodiscard]] std::size_t out_features() const noexcept {
    return std::visit([](const auto& p) { return p.n(); }, packed_);
  }
  [[nodiscard]] kernels::precision precision() const noexcept {
    return std::holds_alternative<kernels::packed_weights_bf16>(packed_) ? kernels::precision::bf16
                                                                         : kernels::precision::fp32;
  }
  [[nodiscard]] bool has_bias() const noexcept { return bias_.has_value(); }
  // W[out][in], read back from the packed layout (as stored: rounded to bf16 under bf16).
  [[nodiscard]] float weight(std::size_t out, std::size_t in) const noexcept {
    return std::visit([&](const auto& p) { return p.weight(out, in); }, packed_);
  }
  [[nodiscard]] const tensor* bias() const noexcept { return bias_ ? &*bias_ : nullptr; }
  // Multiply-accumulates for `rows` input rows.
  [[nodiscard]] std::size_t macs(std::size_t rows) const noexcept {
    return rows * in_features() * out_features();
  }

  // y = act(x·Wᵀ + b), or y += x·Wᵀ + b when accumulate. x: rows × in, y: rows × out
  // (any row strides, unit column stride).
  void forward(const_view x, mutable_view y, kernels::activation_fn act = {}, bool accumulate = false) const {
    ADMN_ASSERT(x.rank() == 2 && y.rank() == 2 && x.extent(0) == y.extent(0));
    ADMN_ASSERT(x.extent(1) == in_features() && y.extent(1) == out_features());
    std::visit(
        [&](const auto& packed) {
          kernels::gemm(kernels::default_arch{}, x.extent(0), x.data(), static_cast<std::size_t>(x.stride(0)),
                        packed, y.data(), static_cast<std::size_t>(y.stride(0)),
                        {bias_ ? bias_->data() : nullptr, act, accumulate});
        },
        packed_);
  }

 private:
  std::variant<kernels::packed_weights<>, kernels::packed_weights_bf16> packed_;
  std::optional<tensor> bias_;
};

}  // namespace admn::layers
