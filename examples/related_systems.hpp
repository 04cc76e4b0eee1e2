// related_systems.hpp — what the related-system examples share (adamtl, dynmm,
// layershuffle, layercollapse) besides tiny_model.hpp's weight writers: the distance
// between two outputs.
#pragma once

#include <admn/tensor/tensor.hpp>

#include "tiny_model.hpp"

#include <cmath>
#include <cstddef>
#include <string>

namespace admn::examples {

// ‖a − b‖ / ‖b‖, accumulated in double.
inline double relative_distance(const tensor& a, const tensor& b) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (double(a.data()[i]) - b.data()[i]) * (double(a.data()[i]) - b.data()[i]);
    norm += double(b.data()[i]) * b.data()[i];
  }
  return std::sqrt(diff / norm);
}

}  // namespace admn::examples
