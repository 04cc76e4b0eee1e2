// admn/model/conv_encoder.hpp — the controller's per-modality image encoder (docs/numerics.md §4.2).
//
//   [Resize(rh, rw) →] Conv(k1) [→ BN] → ReLU → Conv(k2) [→ BN] → ReLU → MaxPool(ph, pw)
//   → Conv(k3) [→ BN] → ReLU → Flatten → Linear(F, D)
// GTDM/MMFI (no BatchNorm): keys 1, 3, 6 (convs), 9 (Linear).
// AVE (BatchNorm after each conv): keys 1, 2, 4, 5, 8, 9 (conv, BN pairs), 12 (Linear).
// Without the leading Resize (GTDM-3's range-doppler encoder, §4.10) every key is one lower
// (0, 2, 5, 8) and the convolutions take the images at their own size.
// The BatchNorm variant is recognised from the weights (`2.running_mean` present, `1.`
// without Resize). Kernel sizes (square or not) and channels come from the weights; the
// Resize target and pool size from the config; the Linear's input F (1587 for 100×100,
// 7488 for AVE audio, 2145 for 256×16 range-doppler) must equal what the convolutions
// give, which is checked at load.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/resize.hpp>
#include <admn/layers/batch_norm2d.hpp>
#include <admn/layers/conv2d.hpp>
#include <admn/layers/linear.hpp>
#include <admn/layers/max_pool2d.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

namespace admn::model {

struct controller_encoder_config {
  std::array<std::size_t, 2> resize{100, 100};  // Resize((h, w)) at the encoder's start
  std::array<std::size_t, 2> pool{3, 3};        // MaxPool2d kernel = stride (AVE audio: (3, 6))
  std::size_t instances = 0;                    // instances encoded per sample; 0 = all (MMFI: 3)
  bool leading_resize = true;                   // false: no Resize module, `resize` is unused
};

class conv_encoder {
 public:
  // Binds the encoder under `w` (…encoder_dict.<modality>.) for images of
  // channels × in_h × in_w.
  static conv_encoder load(const io::weight_source& w, std::size_t channels, std::size_t in_h,
                           std::size_t in_w, const controller_encoder_config& config, bool antialias) {
    // Sequential indices after the Resize (index 0 when present).
    const std::size_t first = config.leading_resize ? 1 : 0;
    const auto key = [first](std::size_t i) { return std::to_string(first + i) + "."; };
    const bool batch_norm = w.contains(key(1) + "running_mean");
    const std::array<std::string, 3> conv_keys =
        batch_norm ? std::array{key(0), key(3), key(7)} : std::array{key(0), key(2), key(5)};
    const std::array<std::string, 3> norm_keys{key(1), key(4), key(8)};
    const std::string linear_key = batch_norm ? key(11) : key(8);

    std::optional<kernels::resize_plan> resize;
    if (config.leading_resize) resize.emplace(in_h, in_w, config.resize[0], config.resize[1], antialias);
    std::vector<layers::conv2d> convs;
    std::vector<layers::batch_norm2d> norms;
    std::size_t c = channels, h = resize ? config.resize[0] : in_h, wd = resize ? config.resize[1] : in_w;
    std::optional<layers::max_pool2d> pool;
    for (std::size_t i = 0; i < 3; ++i) {
      if (i == 2) {
        pool.emplace(kernels::pool2d_shape{
            .channels = c, .in_h = h, .in_w = wd, .kernel_h = config.pool[0], .kernel_w = config.pool[1]});
        h = pool->geometry().out_h();
        wd = pool->geometry().out_w();
      }
      const io::weight_source cw = w.sub(conv_keys[i]);
      const auto stored = cw.shape_of("weight");
      if (stored.size() != 4)
        throw load_error("admn.load.shape",
                         "tensor '" + cw.prefix() + "weight': expected a conv weight (out, in, kh, kw)");
      const kernels::conv2d_shape s{.in_channels = c,
                                    .in_h = h,
                                    .in_w = wd,
                                    .out_channels = stored[0],
                                    .kernel_h = stored[2],
                                    .kernel_w = stored[3]};
      convs.push_back(layers::conv2d::load(cw, {.shape = s, .relu = !batch_norm}));
      c = s.out_channels;
      h = s.out_h();
      wd = s.out_w();
      if (batch_norm)
        norms.push_back(layers::batch_norm2d::load(w.sub(norm_keys[i]), {.channels = c, .relu = true}));
    }
    const std::size_t flat = c * h * wd;
    const io::weight_source lw = w.sub(linear_key);
    const auto linear_shape = lw.shape_of("weight");
    if (linear_shape.size() != 2 || linear_shape[1] != flat)
      throw config_error("admn.controller.flatten",
                         "encoder '" + w.prefix() + "': the convolutions give " + std::to_string(c) + "x" +
                             std::to_string(h) + "x" + std::to_string(wd) + " = " + std::to_string(flat) +
                             " features but '" + lw.prefix() + "weight' takes " +
                             (linear_shape.size() == 2 ? std::to_string(linear_shape[1]) : std::string("?")) +
                             " (check the encoder's resize and pool sizes)");
    layers::linear project = layers::linear::load(lw, {.in = flat});
    return conv_encoder(std::move(resize), std::move(convs), std::move(norms), std::move(*pool),
                        std::move(project));
  }

  [[nodiscard]] std::size_t dim() const noexcept { return project_.out_features(); }
  [[nodiscard]] std::size_t flat_features() const noexcept { return project_.in_features(); }
  [[nodiscard]] bool has_batch_norm() const noexcept { return !norms_.empty(); }
  // Multiply-accumulates of one image (the resize is not counted, as fvcore does not).
  [[nodiscard]] std::size_t macs() const noexcept {
    std::size_t total = project_.macs(1);
    for (const auto& c : convs_) total += c.macs();
    return total;
  }
  [[nodiscard]] std::string describe() const {
    const auto& s = convs_[0].geometry();
    std::string out = "conv encoder ";
    if (resize_) out += std::to_string(resize_->in_h()) + "x" + std::to_string(resize_->in_w()) + " -> ";
    return out + std::to_string(s.in_h) + "x" + std::to_string(s.in_w) +
           (has_batch_norm() ? " (BatchNorm)" : "") + " -> " + std::to_string(flat_features()) + " -> " +
           std::to_string(dim());
  }

  // Scratch floats of features() for one image.
  [[nodiscard]] std::size_t scratch_floats() const noexcept {
    std::size_t layer = resize_ ? resize_->scratch_size(convs_[0].geometry().in_channels) : 0;
    for (const auto& c : convs_) layer = std::max(layer, c.scratch_floats());
    layer = std::max(layer, pool_.scratch_floats());
    return resized_floats() + workspace::rounded(convs_[0].geometry().output_size()) +
           workspace::rounded(convs_[1].geometry().output_size()) +
           workspace::rounded(pool_.output_shape(1).element_count()) + workspace::rounded(layer);
  }

  // One image (channels × in_h × in_w) → the flattened conv features (flat_features()).
  void features(const float* image, float* flat, float* scratch) const {
    const auto& g0 = convs_[0].geometry();
    const auto& g1 = convs_[1].geometry();
    float* resized = scratch;
    float* a1 = resized + resized_floats();
    float* a2 = a1 + workspace::rounded(g0.output_size());
    float* pooled = a2 + workspace::rounded(g1.output_size());
    float* layer_scratch = pooled + workspace::rounded(pool_.output_shape(1).element_count());
    if (resize_) resize_->run(image, g0.in_channels, resized, layer_scratch);
    const const_view x0(resize_ ? resized : image, shape{g0.in_channels, g0.in_h, g0.in_w});
    const mutable_view x1(a1, shape{g0.out_channels, g0.out_h(), g0.out_w()});
    const mutable_view x2(a2, shape{g1.out_channels, g1.out_h(), g1.out_w()});
    const auto& pg = pool_.geometry();
    const mutable_view x3(pooled, shape{pg.channels, pg.out_h(), pg.out_w()});
    const auto& g2 = convs_[2].geometry();
    const mutable_view x4(flat, shape{g2.out_channels, g2.out_h(), g2.out_w()});
    step(0, x0, x1, layer_scratch);
    step(1, x1, x2, layer_scratch);
    pool_.forward(x2, x3, layer_scratch);
    step(2, x3, x4, layer_scratch);
  }

  // codes (n × dim) = Linear(flat (n × flat_features)), one GEMM for all images.
  void project(const_view flat, mutable_view codes) const { project_.forward(flat, codes); }

 private:
  conv_encoder(std::optional<kernels::resize_plan> resize, std::vector<layers::conv2d> convs,
               std::vector<layers::batch_norm2d> norms, layers::max_pool2d pool, layers::linear project)
      : resize_(std::move(resize)),
        convs_(std::move(convs)),
        norms_(std::move(norms)),
        pool_(std::move(pool)),
        project_(std::move(project)) {}

  // The resized image's floats in the scratch (none without a Resize).
  [[nodiscard]] std::size_t resized_floats() const noexcept {
    return resize_ ? workspace::rounded(convs_[0].geometry().input_size()) : 0;
  }

  // conv i, then its BatchNorm + ReLU in place (the ReLU is fused into the conv when there is no BN).
  void step(std::size_t i, const_view in, mutable_view out, float* scratch) const {
    convs_[i].forward(in, out, scratch);
    if (!norms_.empty()) norms_[i].forward(out, out);
  }

  std::optional<kernels::resize_plan> resize_;  // absent: the images enter the first conv as given
  std::vector<layers::conv2d> convs_;
  std::vector<layers::batch_norm2d> norms_;
  layers::max_pool2d pool_;
  layers::linear project_;
};

}  // namespace admn::model
