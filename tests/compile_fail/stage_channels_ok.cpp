// ImageNet normalisation of an RGB input.
#include <admn/model/modality.hpp>

using rgb =
    admn::model::modality<"rgb", admn::model::image_input<3>,
                          admn::model::preprocess<admn::model::clamp_unit, admn::model::imagenet_normalize>,
                          admn::model::vit<3>>;

int main() { return rgb::backbone_channels == 3 ? 0 : 1; }
