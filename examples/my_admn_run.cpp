// my_admn_run — admn-run for a network type of your own: a thermal camera, an RGB camera and a
// depth camera, each through its own ViT, under ADMN's controller, fusion and a classifier.
//
// Its model file names the network in `admn.arch` as you like and describes what the weights
// cannot tell in `admn.config` (docs/config.md), e.g.
//   {"every_modality": {"heads": 4, "instances": 2, "image_size": [32, 32]}}
// and it takes every option of admn-run (my_admn_run --help).
#include <admn/cli/run_main.hpp>

namespace m = admn::model;

using thermal = m::modality<"thermal", m::image_input<1>, m::preprocess<m::repeat_channels<1, 3>>, m::vit<3>>;
using rgb =
    m::modality<"rgb", m::image_input<3>, m::preprocess<m::clamp_unit, m::imagenet_normalize>, m::vit<3>>;
using depth = m::modality<"depth", m::image_input<1>, m::preprocess<m::repeat_channels<1, 3>>, m::vit<3>>;
using my_net = m::network<m::conv_controller<m::summary::cls, m::qoi::sigma>, m::transformer_fusion,
                          m::classifier, thermal, rgb, depth>;

int main(int argc, char** argv) { return admn::cli::run_main<my_net>(argc, argv); }
