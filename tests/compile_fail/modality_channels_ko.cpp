// A 1-channel input cannot feed a 3-channel backbone without a stage in between.
// expect: backbone takes a different number of channels
#include <admn/model/modality.hpp>

using depth = admn::model::modality<"depth", admn::model::image_input<1>, admn::model::preprocess<>,
                                    admn::model::vit<3>>;

int main() { return depth::backbone_channels == 3 ? 0 : 1; }
