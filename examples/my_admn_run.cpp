// my_admn_run — admn-run for a network type of your own (my_net.hpp): a thermal camera, an RGB
// camera and a depth camera, each through its own ViT, under ADMN's controller, fusion and a
// classifier.
//
// Its model file names the network in `admn.arch` as you like and describes what the weights
// cannot tell in `admn.config` (docs/config.md), e.g.
//   {"every_modality": {"heads": 4, "instances": 2, "image_size": [32, 32]}}
// and it takes every option of admn-run (my_admn_run --help).
#include "my_net.hpp"

#include <admn/cli/run_main.hpp>

int main(int argc, char** argv) { return admn::cli::run_main<my::net>(argc, argv); }
