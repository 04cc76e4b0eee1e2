// An operator of a gated fusion: a fusion whose runtime loads from the fusion config alone and
// fuses without reporting (the gate reports for it).
#include <admn/model/gated_fusion.hpp>
#include <admn/model/network.hpp>

#include <algorithm>

namespace m = admn::model;
using a = m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>;

// The first modality's features as they are.
struct first_features {
  static constexpr bool is_fusion = true;
  struct runtime {
    static runtime load(const admn::io::weight_source&, const m::fusion_config&) { return {}; }
    [[nodiscard]] std::size_t dim() const { return 192; }
    [[nodiscard]] std::size_t feature_dim(std::size_t) const { return 192; }
    [[nodiscard]] std::size_t macs(std::size_t) const { return 0; }
    [[nodiscard]] std::string describe() const { return "first modality"; }
    void forward(std::span<const admn::const_view> features, std::size_t batch, admn::mutable_view out,
                 admn::workspace&) const {
      std::copy_n(features[0].data(), batch * dim(), out.data());
    }
  };
};
using net = m::network<m::static_plans, m::gated_fusion<first_features, m::mean_fusion>, m::classifier, a>;

int main() { return net::modality_count == 1 ? 0 : 1; }
