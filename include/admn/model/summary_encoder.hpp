// admn/model/summary_encoder.hpp — every modality's images → one summary vector per sample.
//
// The trunk ADMN's controller (controller.hpp) and DynMM's gate (dynmm.hpp) share. Per sample:
//   e_{m,i} = ConvEncoder_m(image_{m,i})          the first `encoder.instances` instances of
//                                                 each modality (all by default; MMFI: 3) (docs/numerics.md
//                                                 §4.2)
//   X = [CLS?, e_{0,0}, …, e_{1,0}, …] + PE        sinusoidal PE over all tokens, CLS at position 0
//   (§4.3-4.4) H = TransformerEnc(X)                          the combiner (§4.5) c = H[0] (CLS) or mean_t
//   H[t]                  GTDM/AVE use the CLS, MMFI the mean (§4.5)
// Keys under the owner's prefix: cls, encoder_dict.<modality>.…, combiner_encoder.….
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/layers/position_embedding.hpp>
#include <admn/model/conv_encoder.hpp>
#include <admn/model/transformer_encoder.hpp>
#include <admn/tensor/workspace.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace admn::model {

enum class summary : std::uint8_t { cls, mean };

// What the summary encoder needs to know about one modality.
struct summary_input {
  std::string name;  // key under encoder_dict.
  std::size_t channels = 3, height = 224, width = 224;
  std::size_t instances = 1;  // images per sample
  controller_encoder_config encoder{};
};

struct summary_encoder_config {
  std::string owner = "controller";  // error ids: admn.<owner>.instances, admn.<owner>.shape
  std::size_t heads = 4;             // combiner attention heads
  bool antialias = true;             // the encoders' Resize (docs/numerics.md §0)
  float eps = 1e-5f;
  // cls: the weights must hold `cls`; mean: a stored `cls` is ignored (MMFI keeps an
  // unused one, §4.3); nullopt: the CLS summary when the weights hold `cls`, else the mean.
  std::optional<summary> kind = summary::cls;
};

class summary_encoder {
 public:
  // Throws load_error for missing or mis-shaped tensors, config_error
  // [admn.<owner>.instances] for an encoder that encodes more instances than its
  // modality has, shape_error [admn.<owner>.shape] for an encoder whose width is not
  // the combiner's.
  static summary_encoder load(const io::weight_source& w, const summary_encoder_config& config,
                              std::span<const summary_input> inputs) {
    std::vector<conv_encoder> encoders;
    std::vector<std::size_t> encoded, instances;
    for (const auto& in : inputs) {
      encoders.push_back(conv_encoder::load(w.sub("encoder_dict." + in.name + "."), in.channels, in.height,
                                            in.width, in.encoder, config.antialias));
      const std::size_t n = in.encoder.instances == 0 ? in.instances : in.encoder.instances;
      if (n > in.instances)
        throw config_error("admn." + config.owner + ".instances",
                           "the " + config.owner + " encodes " + std::to_string(n) + " instances of '" +
                               in.name + "', which has " + std::to_string(in.instances));
      encoded.push_back(n);
      instances.push_back(in.instances);
    }
    transformer_encoder combiner =
        transformer_encoder::load(w.sub("combiner_encoder."), config.heads, config.eps);
    const std::size_t d = combiner.dim();
    std::optional<tensor> cls;
    if (config.kind == summary::cls || (!config.kind && w.contains("cls"))) {
      cls = w.load("cls", shape{1, d});
    } else if (w.contains("cls")) {
      w.mark_unused_ok("cls");
    }
    const summary kind = config.kind.value_or(cls ? summary::cls : summary::mean);
    return summary_encoder(std::move(encoders), std::move(encoded), std::move(instances), std::move(cls),
                           std::move(combiner), kind, config.owner);
  }

  [[nodiscard]] std::size_t dim() const noexcept { return combiner_.dim(); }
  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] summary kind() const noexcept { return kind_; }
  [[nodiscard]] std::size_t modalities() const noexcept { return encoders_.size(); }
  [[nodiscard]] const conv_encoder& encoder(std::size_t m) const noexcept { return encoders_[m]; }

  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    std::size_t total = combiner_.macs(batch, tokens_);
    for (std::size_t m = 0; m < encoders_.size(); ++m) total += batch * encoded_[m] * encoders_[m].macs();
    return total;
  }

  [[nodiscard]] std::string describe() const {
    std::string out = "conv encoders (";
    for (std::size_t m = 0; m < encoders_.size(); ++m)
      out += (m ? ", " : "") + std::to_string(encoded_[m]) + " x " + encoders_[m].describe();
    return out + "), " + std::to_string(tokens_) + " tokens" + (cls_ ? " with CLS" : "") +
           ", combiner width " + std::to_string(dim()) + " x " + std::to_string(combiner_.depth()) +
           " layers";
  }

  // images[m]: `batch` samples of instances_m contiguous images each, (B·instances_m, C, H, W)
  // or (B, instances_m, C, H, W). Returns c (batch, dim()), taken from `ws` in the
  // caller's scope (with the token buffer before it), so it lives until that scope ends.
  [[nodiscard]] mutable_view forward(std::span<const const_view> images, std::size_t batch,
                                     workspace& ws) const {
    const std::size_t d = dim();
    const mutable_view x = ws.take(shape{batch * tokens_, d});
    {
      workspace::scope encode_scope(ws);
      std::size_t first = cls_ ? 1 : 0;
      for (std::size_t m = 0; m < encoders_.size(); ++m) {
        workspace::scope modality_scope(ws);
        const conv_encoder& encoder = encoders_[m];
        const std::size_t n = encoded_[m], per = instances_[m];
        const mutable_view flat = ws.take(shape{batch * n, encoder.flat_features()});
        const mutable_view codes = ws.take(shape{batch * n, d});
        const std::size_t scratch_each = workspace::rounded(encoder.scratch_floats());
        float* scratch = ws.take(batch * n * scratch_each);
        const std::size_t image_floats = images[m].size() / (batch * per);
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
        if (kind_ == summary::cls) {
          c(b, k) = x(b * tokens_, k);
        } else {
          float sum = 0.0f;
          for (std::size_t t = 0; t < tokens_; ++t) sum += x(b * tokens_ + t, k);
          c(b, k) = sum / static_cast<float>(tokens_);
        }
      }
    return c;
  }

 private:
  summary_encoder(std::vector<conv_encoder> encoders, std::vector<std::size_t> encoded,
                  std::vector<std::size_t> instances, std::optional<tensor> cls, transformer_encoder combiner,
                  summary kind, const std::string& owner)
      : encoders_(std::move(encoders)),
        encoded_(std::move(encoded)),
        instances_(std::move(instances)),
        cls_(std::move(cls)),
        combiner_(std::move(combiner)),
        kind_(kind),
        tokens_(count_tokens()),
        position_(tokens_, combiner_.dim()) {
    for (const auto& e : encoders_)
      if (e.dim() != combiner_.dim())
        throw shape_error("admn." + owner + ".shape", "an encoder gives " + std::to_string(e.dim()) +
                                                          " features, the combiner takes " +
                                                          std::to_string(combiner_.dim()));
  }

  [[nodiscard]] std::size_t count_tokens() const noexcept {
    std::size_t n = cls_ ? 1 : 0;
    for (const std::size_t e : encoded_) n += e;
    return n;
  }

  std::vector<conv_encoder> encoders_;
  std::vector<std::size_t> encoded_;    // images encoded per sample, per modality
  std::vector<std::size_t> instances_;  // images given per sample, per modality
  std::optional<tensor> cls_;
  transformer_encoder combiner_;
  summary kind_;
  std::size_t tokens_;
  layers::sinusoidal_position_embedding position_;
};

}  // namespace admn::model
