// Two modalities with distinct names form a network type.
#include <admn/model/network.hpp>

namespace m = admn::model;
using a = m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using b = m::modality<"b", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using net = m::network<m::conv_controller<>, m::transformer_fusion, m::classifier, a, b>;

int main() { return net::modality_names()[1] == "b" ? 0 : 1; }
