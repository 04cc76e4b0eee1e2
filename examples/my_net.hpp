// The network of examples/my_admn_run.cpp: a thermal camera, an RGB camera and a depth camera,
// each through its own ViT, under ADMN's controller, fusion and a classifier.
#pragma once

#include <admn/model/network.hpp>

namespace my {

namespace m = admn::model;

using thermal = m::modality<"thermal", m::image_input<1>, m::preprocess<m::repeat_channels<1, 3>>, m::vit<3>>;
using rgb =
    m::modality<"rgb", m::image_input<3>, m::preprocess<m::clamp_unit, m::imagenet_normalize>, m::vit<3>>;
using depth = m::modality<"depth", m::image_input<1>, m::preprocess<m::repeat_channels<1, 3>>, m::vit<3>>;
using net = m::network<m::conv_controller<m::summary::cls, m::qoi::sigma>, m::transformer_fusion,
                       m::classifier, thermal, rgb, depth>;

}  // namespace my
