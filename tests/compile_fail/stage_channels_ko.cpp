// ImageNet normalisation needs three channels; a depth map has one.
// expect: stage cannot take images with this many channels
#include <admn/model/modality.hpp>

using depth =
    admn::model::modality<"depth", admn::model::image_input<1>,
                          admn::model::preprocess<admn::model::imagenet_normalize>, admn::model::vit<1>>;

int main() { return depth::backbone_channels == 1 ? 0 : 1; }
