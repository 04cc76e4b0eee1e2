// Modality names are input names and controller keys: they must be distinct.
// expect: two modalities of a network share a name
#include <admn/model/network.hpp>

namespace m = admn::model;
using a = m::modality<"cam", m::image_input<3>, m::preprocess<>, m::vit<3>>;
using b = m::modality<"cam", m::image_input<1>, m::preprocess<>, m::vit<1>>;
using net = m::network<m::conv_controller<>, m::transformer_fusion, m::classifier, a, b>;

int main() { return net::modality_count == 2 ? 0 : 1; }
