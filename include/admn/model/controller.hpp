// admn/model/controller.hpp — ADMN's QoI-aware layer controller (docs/numerics.md §4).
//
// Per sample:
//   c = SummaryEncoder(images)                     conv encoders → [CLS?, codes…] + PE → combiner →
//                                                  CLS or mean (summary_encoder.hpp, §4.2-4.5)
//   logits = W2·ReLU(W1·c)                         output_head.0/.2, no biases (§4.6) → Σ depth logits
//   qoi    = V2·ReLU(V1·c + a1) + a2               noise_output.0/.2 (§4.8); σ heads: sigmoid(·)·5
// Keys under `controller.`: cls, encoder_dict.<modality>.…, combiner_encoder.…,
// output_head.{0,2}.weight, noise_output.{0,2}.{weight,bias}.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/layers/linear.hpp>
#include <admn/model/summary_encoder.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace admn::model {

enum class qoi : std::uint8_t { sigma, logits };

struct controller_config {
  std::string prefix = "controller.";
  std::size_t heads = 4;   // combiner attention heads (4 in every ADMN network)
  bool antialias = true;   // torchvision ≥ 0.17 Resize default (§0); false for older pipelines
  float qoi_scale = 5.0f;  // σ heads: sigmoid(·)·qoi_scale
  float eps = 1e-5f;
};

// What the controller needs to know about one modality.
struct controller_input {
  std::string name;
  std::size_t channels = 3, height = 224, width = 224;
  std::size_t instances = 1;  // images per sample
  std::size_t depth = 12;     // blocks of the modality's backbone (logits per modality)
  controller_encoder_config encoder{};
};

class conv_controller_net {
 public:
  static conv_controller_net load(const io::weight_source& root, const controller_config& config,
                                  const std::vector<controller_input>& inputs, summary kind, qoi qoi_kind) {
    const io::weight_source w = root.sub(config.prefix);
    std::vector<summary_input> encoded;
    std::size_t logits = 0;
    for (const auto& in : inputs) {
      encoded.push_back({in.name, in.channels, in.height, in.width, in.instances, in.encoder});
      logits += in.depth;
    }
    // One logit per backbone block: a head of another size means the backbones lost or
    // gained blocks (or the controller belongs to another model). A derived 0 is an error too.
    const std::string head_key = "output_head.2.weight";
    const auto stored = w.contains(head_key) ? w.shape_of(head_key) : std::vector<std::uint64_t>{};
    if (logits == 0 || (stored.size() == 2 && stored[0] != logits)) {
      std::string depths;
      for (const auto& in : inputs)
        depths += (depths.empty() ? "" : ", ") + in.name + ": " + std::to_string(in.depth);
      throw load_error("admn.controller.depth",
                       "the controller's head '" + w.prefix() + head_key + "' chooses among " +
                           (stored.size() == 2 ? std::to_string(stored[0]) : std::string("?")) +
                           " blocks, the backbones have " + std::to_string(logits) + " (" + depths + ")");
    }
    summary_encoder trunk = summary_encoder::load(
        w, {.heads = config.heads, .antialias = config.antialias, .eps = config.eps, .kind = kind}, encoded);
    const std::size_t d = trunk.dim();
    std::vector<layers::linear> head;
    head.push_back(layers::linear::load(w.sub("output_head.0."), {.in = d, .bias = false}));
    head.push_back(layers::linear::load(w.sub("output_head.2."),
                                        {.in = head[0].out_features(), .out = logits, .bias = false}));
    std::vector<layers::linear> noise;
    noise.push_back(layers::linear::load(w.sub("noise_output.0."), {.in = d}));
    noise.push_back(layers::linear::load(w.sub("noise_output.2."), {.in = noise[0].out_features()}));
    return conv_controller_net(std::move(trunk), std::move(head), std::move(noise), qoi_kind,
                               config.qoi_scale);
  }

  [[nodiscard]] std::size_t dim() const noexcept { return trunk_.dim(); }
  [[nodiscard]] std::size_t tokens() const noexcept { return trunk_.tokens(); }
  [[nodiscard]] std::size_t logit_count() const noexcept { return head_[1].out_features(); }
  [[nodiscard]] std::size_t qoi_count() const noexcept { return noise_[1].out_features(); }
  [[nodiscard]] const conv_encoder& encoder(std::size_t m) const noexcept { return trunk_.encoder(m); }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    std::size_t total = trunk_.macs(batch);
    for (const auto& l : head_) total += l.macs(batch);
    for (const auto& l : noise_) total += l.macs(batch);
    return total;
  }
  [[nodiscard]] std::string describe() const {
    return trunk_.describe() + ", " + (trunk_.kind() == summary::cls ? "CLS" : "mean") + " summary, " +
           std::to_string(logit_count()) + " layer logits, QoI " + (qoi_ == qoi::sigma ? "sigma" : "logits") +
           " (" + std::to_string(qoi_count()) + ")";
  }

  // images[m]: (B·instances_m, C, H, W) preprocessed; logits: (B, Σ depth); qoi: (B, q).
  void forward(std::span<const const_view> images, mutable_view logits, mutable_view qoi_out,
               workspace& ws) const {
    const std::size_t batch = logits.extent(0);
    workspace::scope scope(ws);
    const mutable_view c = trunk_.forward(images, batch, ws);
    const kernels::activation_fn relu{kernels::activation::relu};
    const mutable_view hidden = ws.take(shape{batch, head_[0].out_features()});
    head_[0].forward(c, hidden, relu);
    head_[1].forward(hidden, logits);
    const mutable_view noise_hidden = ws.take(shape{batch, noise_[0].out_features()});
    noise_[0].forward(c, noise_hidden, relu);
    noise_[1].forward(noise_hidden, qoi_out);
    if (qoi_ == qoi::sigma)
      for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t k = 0; k < qoi_count(); ++k)
          qoi_out(b, k) = qoi_scale_ / (1.0f + std::exp(-qoi_out(b, k)));
  }

 private:
  conv_controller_net(summary_encoder trunk, std::vector<layers::linear> head,
                      std::vector<layers::linear> noise, qoi qoi_kind, float qoi_scale)
      : trunk_(std::move(trunk)),
        head_(std::move(head)),
        noise_(std::move(noise)),
        qoi_(qoi_kind),
        qoi_scale_(qoi_scale) {}

  summary_encoder trunk_;  // conv encoders → tokens → combiner → c
  std::vector<layers::linear> head_;
  std::vector<layers::linear> noise_;
  qoi qoi_;
  float qoi_scale_;
};

}  // namespace admn::model
