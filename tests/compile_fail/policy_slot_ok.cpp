// A user's own policy fills the Policy slot: is_policy, learned, and a runtime with
// load(weights, setup), decide(call, decision, ws), macs, describe.
#include <admn/model/network.hpp>

namespace m = admn::model;
using a = m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>;

struct first_blocks {
  static constexpr bool is_policy = true;
  static constexpr bool learned = true;
  struct runtime {
    static runtime load(const admn::io::weight_source&, const m::policy_setup&) { return {}; }
    void decide(const m::policy_call& call, m::decision& d, admn::workspace&) const {
      d.plans.assign(call.batch, admn::adaptive::ordered_plan(admn::adaptive::layer_plan::all(call.depths)));
    }
    [[nodiscard]] std::size_t macs(std::size_t) const { return 0; }
    [[nodiscard]] std::string describe() const { return "every block"; }
  };
};
using net = m::network<first_blocks, m::transformer_fusion, m::gaussian_2d, a>;

int main() { return net::modality_count == 1 ? 0 : 1; }
