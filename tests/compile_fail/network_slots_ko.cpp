// Slots are checked by concept: a modality is not a head.
// expect: head_type
#include <admn/model/network.hpp>

namespace m = admn::model;
using a = m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using net = m::network<m::conv_controller<>, m::transformer_fusion, a, a>;

int main() { return net::modality_count == 1 ? 0 : 1; }
