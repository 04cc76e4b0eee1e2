// An operator of a gated fusion must fuse without a report of its own (the gate reports the
// choice): a fusion whose only forward reports paths is a network's fusion, not an operator.
// expect: fusion_operator
#include <admn/model/gated_fusion.hpp>
#include <admn/model/network.hpp>

#include <algorithm>
#include <vector>

namespace m = admn::model;
using a = m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>;

// The first modality's features as they are, reporting path 0 for every sample.
struct first_features {
  static constexpr bool is_fusion = true;
  struct runtime {
    static runtime load(const admn::io::weight_source&, const m::fusion_config&) { return {}; }
    [[nodiscard]] std::size_t dim() const { return 192; }
    [[nodiscard]] std::size_t feature_dim(std::size_t) const { return 192; }
    [[nodiscard]] std::size_t macs(std::size_t) const { return 0; }
    [[nodiscard]] std::string describe() const { return "first modality"; }
    void forward(std::span<const admn::const_view> features, std::size_t batch, admn::mutable_view out,
                 admn::workspace&, std::vector<std::size_t>& paths) const {
      std::copy_n(features[0].data(), batch * dim(), out.data());
      paths.assign(batch, 0);
    }
  };
};
using net = m::network<m::static_plans, m::gated_fusion<first_features, m::mean_fusion>, m::classifier, a>;

int main() { return net::modality_count == 1 ? 0 : 1; }
