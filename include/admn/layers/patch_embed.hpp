// admn/layers/patch_embed.hpp — ViT patch embedding as one GEMM per image.
//
//   tokens[gy·gw + gx] = W · patch(gy, gx) + b,   W = conv weight (dim, C, ph, pw) flattened
// equal to timm PatchEmbed: Conv2d(C, dim, kernel=stride=(ph,pw)) → flatten(2) →
// transpose(1,2), patches in row-major grid order (docs/numerics.md §2.2; AVE audio §2.5:
// 1 channel, 128×1024 → an 8×64 grid). Keys `proj.weight`, `proj.bias`.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <cstring>
#include <string>

namespace admn::layers {

class patch_embed {
 public:
  // weight (dim, channels, ph, pw), bias (dim).
  patch_embed(const tensor& weight, tensor bias) : bias_(std::move(bias)) {
    if (weight.shape().rank() != 4 || !(bias_.shape() == shape{weight.shape()[0]}))
      throw shape_error("admn.patch_embed.shape",
                        "weight must be (dim, channels, ph, pw) and bias (dim), got " +
                            weight.shape().to_string() + " and " + bias_.shape().to_string());
    const auto& s = weight.shape();
    // Every size divides or multiplies later (patch grids, GEMM panels): none may be 0.
    if (s[0] == 0 || s[1] == 0 || s[2] == 0 || s[3] == 0)
      throw shape_error("admn.patch_embed.shape",
                        "weight (dim, channels, ph, pw) must have no zero size, got " + s.to_string());
    channels_ = s[1];
    patch_h_ = s[2];
    patch_w_ = s[3];
    // The conv weight flattened to (dim, C·ph·pw) is the GEMM's W.
    packed_ = kernels::packed_weights(kernels::active().gemm_panel, weight.data(), s[0], s[1] * s[2] * s[3],
                                      s[1] * s[2] * s[3]);
  }

  static patch_embed load(const io::weight_source& w) {
    const auto stored = w.shape_of("proj.weight");
    if (stored.size() != 4)
      throw load_error("admn.load.shape", "tensor '" + w.prefix() +
                                              "proj.weight': expected rank 4, got rank " +
                                              std::to_string(stored.size()));
    tensor weight = w.load("proj.weight", shape{stored[0], stored[1], stored[2], stored[3]});
    tensor bias = w.load("proj.bias", shape{stored[0]});
    return patch_embed(std::move(weight), std::move(bias));
  }

  [[nodiscard]] std::size_t dim() const noexcept { return packed_.n(); }
  [[nodiscard]] std::size_t channels() const noexcept { return channels_; }
  [[nodiscard]] std::size_t patch_h() const noexcept { return patch_h_; }
  [[nodiscard]] std::size_t patch_w() const noexcept { return patch_w_; }
  [[nodiscard]] std::size_t patch_size() const noexcept { return channels() * patch_h() * patch_w(); }
  // Patches in an h × w image (the convolution floors partial patches away).
  [[nodiscard]] std::size_t patches(std::size_t h, std::size_t w) const noexcept {
    return (h / patch_h()) * (w / patch_w());
  }
  [[nodiscard]] std::size_t macs(std::size_t images, std::size_t h, std::size_t w) const noexcept {
    return images * patches(h, w) * patch_size() * dim();
  }
  [[nodiscard]] std::size_t scratch_floats(std::size_t h, std::size_t w) const noexcept {
    return workspace::rounded(patches(h, w) * patch_size());
  }

  // One image (channels × h × w, contiguous) → tokens (patches × dim, any row stride).
  // `columns` is scratch of scratch_floats(h, w) floats.
  void forward(const float* image, std::size_t h, std::size_t w, mutable_view tokens, float* columns) const {
    const std::size_t grid_w = w / patch_w(), count = patches(h, w);
    // Gather each patch into one row, in the (c, ky, kx) order of the conv weight.
    for (std::size_t p = 0; p < count; ++p) {
      const std::size_t y0 = (p / grid_w) * patch_h(), x0 = (p % grid_w) * patch_w();
      float* row = columns + p * patch_size();
      for (std::size_t c = 0; c < channels(); ++c)
        for (std::size_t ky = 0; ky < patch_h(); ++ky, row += patch_w())
          std::memcpy(row, image + (c * h + y0 + ky) * w + x0, patch_w() * sizeof(float));
    }
    kernels::active().gemm(count, columns, patch_size(), packed_, tokens.data(),
                           static_cast<std::size_t>(tokens.stride(0)), {bias_.data()});
  }

 private:
  kernels::packed_weights packed_;
  tensor bias_;
  std::size_t channels_ = 0, patch_h_ = 0, patch_w_ = 0;
};

}  // namespace admn::layers
