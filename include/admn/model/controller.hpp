// admn/model/controller.hpp — ADMN's QoI-aware layer controller (ADMN_SPEC §4).
//
// Per sample:
//   e_{m,i} = ConvEncoder_m(image_{m,i})          the first `encoder.instances` instances of
//                                                 each modality (all by default; MMFI: 3)
//   X = [CLS?, e_{0,0}, …, e_{1,0}, …] + PE        sinusoidal PE over all tokens, CLS included (§4.3-4.4)
//   H = TransformerEnc(X)                          the combiner (§4.5)
//   c = H[0] (CLS) or mean_t H[t]                  GTDM/AVE use the CLS, MMFI the mean
//   logits = W2·ReLU(W1·c)                         output_head.0/.2, no biases (§4.6) → Σ depth logits
//   qoi    = V2·ReLU(V1·c + a1) + a2               noise_output.0/.2 (§4.8); σ heads: sigmoid(·)·5
// Keys under `controller.`: cls, encoder_dict.<modality>.…, combiner_encoder.…,
// output_head.{0,2}.weight, noise_output.{0,2}.{weight,bias}.
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/layers/linear.hpp>
#include <admn/layers/position_embedding.hpp>
#include <admn/model/conv_encoder.hpp>
#include <admn/model/transformer_encoder.hpp>
#include <admn/tensor/workspace.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace admn::model {

enum class summary : std::uint8_t { cls, mean };
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
    std::vector<conv_encoder> encoders;
    std::vector<std::size_t> encoded;
    std::size_t logits = 0;
    for (const auto& in : inputs) {
      encoders.push_back(conv_encoder::load(w.sub("encoder_dict." + in.name + "."), in.channels, in.height,
                                            in.width, in.encoder, config.antialias));
      const std::size_t n = in.encoder.instances == 0 ? in.instances : in.encoder.instances;
      if (n > in.instances)
        throw config_error("admn.controller.instances", "the controller encodes " + std::to_string(n) +
                                                            " instances of '" + in.name + "', which has " +
                                                            std::to_string(in.instances));
      encoded.push_back(n);
      logits += in.depth;
    }
    transformer_encoder combiner =
        transformer_encoder::load(w.sub("combiner_encoder."), config.heads, config.eps);
    const std::size_t d = combiner.dim();
    std::optional<tensor> cls;
    if (kind == summary::cls) {
      cls = w.load("cls", shape{1, d});
    } else if (w.contains("cls")) {
      w.mark_unused_ok("cls");  // MMFI keeps an unused parameter (§4.3)
    }
    std::vector<layers::linear> head;
    head.push_back(layers::linear::load(w.sub("output_head.0."), {.in = d, .bias = false}));
    head.push_back(layers::linear::load(w.sub("output_head.2."),
                                        {.in = head[0].out_features(), .out = logits, .bias = false}));
    std::vector<layers::linear> noise;
    noise.push_back(layers::linear::load(w.sub("noise_output.0."), {.in = d}));
    noise.push_back(layers::linear::load(w.sub("noise_output.2."), {.in = noise[0].out_features()}));
    return conv_controller_net(std::move(encoders), std::move(encoded), std::move(cls), std::move(combiner),
                               std::move(head), std::move(noise), kind, qoi_kind, config.qoi_scale);
  }

  [[nodiscard]] std::size_t dim() const noexcept { return combiner_.dim(); }
  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t logit_count() const noexcept { return head_[1].out_features(); }
  [[nodiscard]] std::size_t qoi_count() const noexcept { return noise_[1].out_features(); }
  [[nodiscard]] const conv_encoder& encoder(std::size_t m) const noexcept { return encoders_[m]; }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    std::size_t total = combiner_.macs(batch, tokens_);
    for (std::size_t m = 0; m < encoders_.size(); ++m) total += batch * encoded_[m] * encoders_[m].macs();
    for (const auto& l : head_) total += l.macs(batch);
    for (const auto& l : noise_) total += l.macs(batch);
    return total;
  }
  [[nodiscard]] std::string describe() const {
    std::string out = "conv encoders (";
    for (std::size_t m = 0; m < encoders_.size(); ++m)
      out += (m ? ", " : "") + std::to_string(encoded_[m]) + " x " + encoders_[m].describe();
    out += "), " + std::to_string(tokens_) + " tokens" + (cls_ ? " with CLS" : "") + ", combiner width " +
           std::to_string(dim()) + " x " + std::to_string(combiner_.depth()) + " layers, " +
           (summary_ == summary::cls ? "CLS" : "mean") + " summary, " + std::to_string(logit_count()) +
           " layer logits, QoI " + (qoi_ == qoi::sigma ? "sigma" : "logits") + " (" +
           std::to_string(qoi_count()) + ")";
    return out;
  }

  [[nodiscard]] std::size_t workspace_floats(std::size_t batch) const {
    std::size_t encode = 0;
    for (std::size_t m = 0; m < encoders_.size(); ++m) {
      const std::size_t images = batch * encoded_[m];
      encode = std::max(encode,
                        workspace::rounded(images * encoders_[m].flat_features()) +
                            workspace::rounded(images * dim()) +
                            workspace::rounded(images * workspace::rounded(encoders_[m].workspace_floats())));
    }
    const std::size_t tokens = workspace::rounded(batch * tokens_ * dim());
    const std::size_t tail =
        workspace::rounded(batch * dim()) +
        2 * workspace::rounded(batch * std::max(head_[0].out_features(), noise_[0].out_features()));
    return tokens + std::max(encode, std::max(combiner_.workspace_floats(batch, tokens_), tail));
  }

  // images[m]: (B·instances_m, C, H, W) preprocessed; logits: (B, Σ depth); qoi: (B, q).
  void forward(std::span<const const_view> images, mutable_view logits, mutable_view qoi_out,
               workspace& ws) const {
    const std::size_t batch = logits.extent(0), d = dim();
    workspace::scope scope(ws);
    const mutable_view x = ws.take(shape{batch * tokens_, d});
    {
      workspace::scope encode_scope(ws);
      std::size_t first = cls_ ? 1 : 0;
      for (std::size_t m = 0; m < encoders_.size(); ++m) {
        workspace::scope modality_scope(ws);
        const conv_encoder& encoder = encoders_[m];
        const std::size_t n = encoded_[m], per = images[m].extent(0) / batch;
        const mutable_view flat = ws.take(shape{batch * n, encoder.flat_features()});
        const mutable_view codes = ws.take(shape{batch * n, d});
        const std::size_t scratch_each = workspace::rounded(encoder.workspace_floats());
        float* scratch = ws.take(batch * n * scratch_each);
        const std::size_t image_floats = images[m].size() / images[m].extent(0);
        // The conv stacks of different images are independent: run them in parallel,
        // then project every image with one GEMM.
        kernels::for_each_chunk(batch * n, 1, [&](std::size_t task, std::size_t) {
          const std::size_t b = task / n, i = task % n;
          encoder.features(images[m].data() + (b * per + i) * image_floats,
                           flat.data() + task * encoder.flat_features(), scratch + task * scratch_each);
        });
        encoder.project(flat, codes);
        for (std::size_t b = 0; b < batch; ++b)
          std::memcpy(x.data() + (b * tokens_ + first) * d, codes.data() + b * n * d, n * d * sizeof(float));
        first += n;
      }
    }
    if (cls_)
      for (std::size_t b = 0; b < batch; ++b)
        std::memcpy(x.data() + b * tokens_ * d, cls_->data(), d * sizeof(float));
    position_.add_to(x, batch);
    combiner_.forward(x, batch, tokens_, ws);

    const mutable_view c = ws.take(shape{batch, d});
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t k = 0; k < d; ++k) {
        if (summary_ == summary::cls) {
          c(b, k) = x(b * tokens_, k);
        } else {
          float sum = 0.0f;
          for (std::size_t t = 0; t < tokens_; ++t) sum += x(b * tokens_ + t, k);
          c(b, k) = sum / static_cast<float>(tokens_);
        }
      }
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
  conv_controller_net(std::vector<conv_encoder> encoders, std::vector<std::size_t> encoded,
                      std::optional<tensor> cls, transformer_encoder combiner,
                      std::vector<layers::linear> head, std::vector<layers::linear> noise, summary kind,
                      qoi qoi_kind, float qoi_scale)
      : encoders_(std::move(encoders)),
        encoded_(std::move(encoded)),
        cls_(std::move(cls)),
        combiner_(std::move(combiner)),
        head_(std::move(head)),
        noise_(std::move(noise)),
        summary_(kind),
        qoi_(qoi_kind),
        qoi_scale_(qoi_scale),
        tokens_(count_tokens()),
        position_(tokens_, combiner_.dim()) {
    for (const auto& e : encoders_)
      if (e.dim() != combiner_.dim())
        throw shape_error("admn.controller.shape", "an encoder gives " + std::to_string(e.dim()) +
                                                       " features, the combiner takes " +
                                                       std::to_string(combiner_.dim()));
  }

  [[nodiscard]] std::size_t count_tokens() const noexcept {
    std::size_t n = cls_ ? 1 : 0;
    for (const std::size_t e : encoded_) n += e;
    return n;
  }

  std::vector<conv_encoder> encoders_;
  std::vector<std::size_t> encoded_;
  std::optional<tensor> cls_;
  transformer_encoder combiner_;
  std::vector<layers::linear> head_;
  std::vector<layers::linear> noise_;
  summary summary_;
  qoi qoi_;
  float qoi_scale_;
  std::size_t tokens_;
  layers::sinusoidal_position_embedding position_;
};

}  // namespace admn::model
