// A policy whose runtime cannot decide plans is not a policy: the concept names the member.
// expect: decide
#include <admn/model/network.hpp>

namespace m = admn::model;
using a = m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>;

struct no_decision {
  static constexpr bool is_policy = true;
  static constexpr bool learned = true;
  struct runtime {
    static runtime load(const admn::io::weight_source&, const m::policy_setup&) { return {}; }
    [[nodiscard]] std::size_t macs(std::size_t) const { return 0; }
    [[nodiscard]] std::string describe() const { return "nothing"; }
  };
};
using net = m::network<no_decision, m::transformer_fusion, m::gaussian_2d, a>;

int main() { return net::modality_count == 1 ? 0 : 1; }
