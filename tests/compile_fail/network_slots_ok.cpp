// A network without a learned controller (static plans, or plans given per call).
#include <admn/model/network.hpp>

namespace m = admn::model;
using a = m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using net = m::network<m::no_controller, m::transformer_fusion, m::gaussian_2d, a>;

int main() { return net::modality_count == 1 ? 0 : 1; }
