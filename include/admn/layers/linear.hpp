// admn/layers/linear.hpp — nn.Linear: y = x·Wᵀ + b over every row at once.
//
// W is (out, in) as PyTorch stores it; keys `<prefix>weight`, `<prefix>bias`. W is
// re-laid out once, here, into the GEMM's panels (kernels::packed_weights); the
// original layout is not kept. The optional epilogue fuses an activation, or
// accumulates into y (residual add). With precision::bf16 the weights are stored
// as bf16 and multiplied by the AVX512-BF16 kernel (kernels/gemm_bf16.hpp); with
// precision::int8 they are quantised per output channel and multiplied with int8
// activations (kernels/gemm_int8.hpp).
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/gemm_bf16.hpp>
#include <admn/kernels/gemm_int8.hpp>
#include <admn/kernels/precision.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/view.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
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
  // config_error [admn.config.precision] for bf16 when the kernels in use (kernels::active())
  // have no AVX512-BF16, or int8 with more than kernels::int8_max_k inputs. The weights are
  // packed for the kernel table in use.
  linear(const tensor& weight, std::optional<tensor> bias,
         kernels::precision precision = kernels::precision::fp32)
      : linear(pack(weight, precision), std::move(bias)) {}

  // Binds `weight` (and `bias` when spec.bias) under `w`'s prefix with shape checks.
  // The weight is packed straight from the file's bytes (no f32 copy when stored as F32).
  static linear load(const io::weight_source& w, const linear_spec& spec = {}) {
    const auto stored = w.shape_of("weight");
    const std::size_t out = spec.out.value_or(stored.size() == 2 ? stored[0] : 0);
    const std::size_t in = spec.in.value_or(stored.size() == 2 ? stored[1] : 0);
    packed packed_weight = w.read("weight", shape{out, in}, [&](std::span<const float> values) {
      return pack(values.data(), out, in, spec.precision);
    });
    std::optional<tensor> bias;
    if (spec.bias) bias = w.load("bias", shape{out});
    return linear(std::move(packed_weight), std::move(bias));
  }

  [[nodiscard]] std::size_t in_features() const noexcept {
    return std::visit([](const auto& p) { return p.k(); }, packed_);
  }
  [[nodiscard]] std::size_t out_features() const noexcept {
    return std::visit([](const auto& p) { return p.n(); }, packed_);
  }
  [[nodiscard]] kernels::precision precision() const noexcept {
    if (std::holds_alternative<kernels::packed_weights_bf16>(packed_)) return kernels::precision::bf16;
    if (std::holds_alternative<kernels::packed_weights_int8>(packed_)) return kernels::precision::int8;
    return kernels::precision::fp32;
  }
  [[nodiscard]] bool has_bias() const noexcept { return bias_.has_value(); }
  // W[out][in], read back from the packed layout (as stored: rounded to bf16 under bf16,
  // the dequantised q·s under int8).
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
    const kernels::kernel_table& k = kernels::active();
    const kernels::gemm_epilogue e{bias_ ? bias_->data() : nullptr, act, accumulate};
    const auto lda = static_cast<std::size_t>(x.stride(0)), ldc = static_cast<std::size_t>(y.stride(0));
    std::visit(
        [&](const auto& packed) {
          using type = std::decay_t<decltype(packed)>;
          if constexpr (std::is_same_v<type, kernels::packed_weights_bf16>)
            k.gemm_bf16(x.extent(0), x.data(), lda, packed, y.data(), ldc, e);
          else if constexpr (std::is_same_v<type, kernels::packed_weights_int8>)
            k.gemm_int8(x.extent(0), x.data(), lda, packed, y.data(), ldc, e);
          else
            k.gemm(x.extent(0), x.data(), lda, packed, y.data(), ldc, e);
        },
        packed_);
  }

 private:
  using packed =
      std::variant<kernels::packed_weights, kernels::packed_weights_bf16, kernels::packed_weights_int8>;

  linear(packed weights, std::optional<tensor> bias) : packed_(std::move(weights)), bias_(std::move(bias)) {
    if (bias_ && !(bias_->shape() == shape{out_features()}))
      throw shape_error("admn.linear.shape", "bias must be [" + std::to_string(out_features()) + "], got " +
                                                 bias_->shape().to_string());
  }

  static packed pack(const tensor& weight, kernels::precision precision) {
    if (weight.shape().rank() != 2)
      throw shape_error("admn.linear.shape", "weight must be (out, in), got " + weight.shape().to_string());
    return pack(weight.data(), weight.shape()[0], weight.shape()[1], precision);
  }

  // Config error [admn.config.precision] for bf16 when the kernels in use have no AVX512-BF16,
  // or int8 with more than kernels::int8_max_k inputs.
  static packed pack(const float* w, std::size_t out, std::size_t in, kernels::precision precision) {
    const kernels::kernel_table& k = kernels::active();
    kernels::require_available(precision, k);
    if (out == 0 || in == 0)
      throw shape_error("admn.linear.shape", "weight must have at least one row and column, got [" +
                                                 std::to_string(out) + "," + std::to_string(in) + "]");
    if (precision == kernels::precision::bf16) return kernels::packed_weights_bf16(w, out, in, in);
    if (precision == kernels::precision::int8) return kernels::packed_weights_int8(w, out, in, in);
    return kernels::packed_weights(k.gemm_panel, w, out, in, in);
  }

  packed packed_;
  std::optional<tensor> bias_;
};

}  // namespace admn::layers
