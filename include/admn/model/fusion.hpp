// admn/model/fusion.hpp — ADMN's fusion: adapters, positional encoding, encoder, mean.
//
//   t_{m,i} = Adapter_m(f_{m,i})                 one adapter per modality, shared by its
//                                                instances (nodes/frames), docs/numerics.md §5.1
//   X = [t_{0,0} … t_{0,I0−1}, t_{1,0} …] + PE   tokens in modality order, sin PE of §4.4
//   out = mean_tokens(TransformerEnc(X))          §5.2 (final LN inside the encoder)
// Adapters: GTDM/AVE `fc1`/`fc2` with LeakyReLU(0.01); MMFI `0`/`2` with ReLU.
#pragma once

#include <admn/io/weight_source.hpp>
#include <admn/layers/mlp.hpp>
#include <admn/layers/position_embedding.hpp>
#include <admn/model/transformer_encoder.hpp>
#include <admn/tensor/workspace.hpp>

#include <cstring>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace admn::model {

struct fusion_spec {
  std::vector<std::string> adapter_prefixes{};  // e.g. {"vision_adapter.", "depth_adapter."}
  std::vector<std::size_t> instances{};         // tokens per modality, e.g. {3, 3}
  layers::mlp_keys adapter_keys{};              // {"fc1.", "fc2."} or {"0.", "2."}
  kernels::activation_fn adapter_activation{kernels::activation::leaky_relu, 0.01f};
  std::size_t heads = 4;
  float eps = 1e-5f;
};

class fusion_encoder {
 public:
  fusion_encoder(std::vector<layers::mlp> adapters, std::vector<std::size_t> instances,
                 transformer_encoder encoder)
      : adapters_(std::move(adapters)),
        instances_(std::move(instances)),
        encoder_(std::move(encoder)),
        tokens_(std::accumulate(instances_.begin(), instances_.end(), std::size_t{0})),
        position_(tokens_, encoder_.dim()) {
    if (adapters_.size() != instances_.size() || adapters_.empty())
      throw config_error("admn.fusion.modalities",
                         "fusion needs one adapter and one instance count per modality");
    for (const auto& a : adapters_)
      if (a.out_features() != encoder_.dim())
        throw shape_error("admn.fusion.shape", "adapter gives " + std::to_string(a.out_features()) +
                                                   " features, the fusion encoder takes " +
                                                   std::to_string(encoder_.dim()));
  }

  // Binds the adapters (prefixes relative to `w`) and `encoder.` under `w`.
  static fusion_encoder load(const io::weight_source& w, const fusion_spec& spec) {
    std::vector<layers::mlp> adapters;
    for (const auto& prefix : spec.adapter_prefixes)
      adapters.push_back(layers::mlp::load(w.sub(prefix), spec.adapter_keys, spec.adapter_activation));
    return fusion_encoder(std::move(adapters), spec.instances,
                          transformer_encoder::load(w.sub("encoder."), spec.heads, spec.eps));
  }

  [[nodiscard]] std::size_t modalities() const noexcept { return adapters_.size(); }
  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t dim() const noexcept { return encoder_.dim(); }
  [[nodiscard]] std::size_t instances(std::size_t m) const noexcept { return instances_[m]; }
  [[nodiscard]] std::size_t feature_dim(std::size_t m) const noexcept { return adapters_[m].in_features(); }
  [[nodiscard]] const transformer_encoder& encoder() const noexcept { return encoder_; }
  [[nodiscard]] std::size_t macs(std::size_t batch) const noexcept {
    std::size_t total = encoder_.macs(batch, tokens_);
    for (std::size_t m = 0; m < modalities(); ++m) total += adapters_[m].macs(batch * instances_[m]);
    return total;
  }

  // features[m]: (batch·instances_m) × feature_dim(m), sample-major (b, i) rows.
  // out: batch × dim.
  void forward(std::span<const const_view> features, std::size_t batch, mutable_view out,
               workspace& ws) const {
    ADMN_ASSERT(features.size() == modalities());
    workspace::scope scope(ws);
    const mutable_view x = ws.take(shape{batch * tokens_, dim()});
    std::size_t first_token = 0;
    for (std::size_t m = 0; m < modalities(); ++m) {
      workspace::scope adapter_scope(ws);
      const std::size_t n = instances_[m];
      const mutable_view adapted = ws.take(shape{batch * n, dim()});
      adapters_[m].forward(features[m], adapted, ws);
      for (std::size_t b = 0; b < batch; ++b)
        std::memcpy(x.data() + (b * tokens_ + first_token) * dim(), adapted.data() + b * n * dim(),
                    n * dim() * sizeof(float));
      first_token += n;
    }
    position_.add_to(x, batch);
    encoder_.forward(x, batch, tokens_, ws);
    // Mean over tokens in token order, as torch.mean(dim=1) reduces.
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t d = 0; d < dim(); ++d) {
        float sum = 0.0f;
        for (std::size_t t = 0; t < tokens_; ++t) sum += x(b * tokens_ + t, d);
        out(b, d) = sum / static_cast<float>(tokens_);
      }
  }

 private:
  std::vector<layers::mlp> adapters_;
  std::vector<std::size_t> instances_;
  transformer_encoder encoder_;
  std::size_t tokens_;
  layers::sinusoidal_position_embedding position_;
};

}  // namespace admn::model
