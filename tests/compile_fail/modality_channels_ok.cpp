// A 1-channel depth map made 3-channel before a 3-channel ViT.
#include <admn/model/modality.hpp>

using depth =
    admn::model::modality<"depth", admn::model::image_input<1>,
                          admn::model::preprocess<admn::model::repeat_channels<1, 3>>, admn::model::vit<3>>;
static_assert(depth::backbone_channels == 3);

int main() { return depth::name() == "depth" ? 0 : 1; }
