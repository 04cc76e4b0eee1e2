// admn/model/input_checks.hpp — checks of a network's inputs that run before any
// workspace is sized or any compute starts.
//
//   check_input_shapes   inputs[m] must be a contiguous (B, instances, C, H, W) of modality m,
//                        with one B ≥ 1 for all; returns B
//   check_finite         every value must be finite: a NaN or ±Inf input gives NaN
//                        outputs at best, and a corrupt sample must not pass as data
//
// The network runs check_input_shapes on every call and check_finite when
// run_options::check_finite is set; a caller that sizes its own workspace from the
// inputs (admn-run) calls them first, so a hostile shape is rejected before anything
// is allocated from it.
#pragma once

#include <admn/error.hpp>
#include <admn/tensor/view.hpp>

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace admn::model {

// The shape one modality takes: (B, instances, channels, height, width).
struct input_spec {
  std::string_view name;
  std::size_t instances = 1, channels = 3, height = 224, width = 224;
};

// Throws shape_error [admn.network.inputs] for a wrong number of inputs,
// [admn.network.input] for a wrong shape (naming the modality, the expected and the
// given shape), [admn.network.batch] when the batch sizes differ. Returns the batch size.
[[nodiscard]] inline std::size_t check_input_shapes(std::span<const const_view> inputs,
                                                    std::span<const input_spec> specs) {
  if (inputs.size() != specs.size())
    throw shape_error("admn.network.inputs", "expected " + std::to_string(specs.size()) + " inputs, got " +
                                                 std::to_string(inputs.size()));
  std::size_t batch = 0;
  for (std::size_t m = 0; m < specs.size(); ++m) {
    const input_spec& s = specs[m];
    const const_view in = inputs[m];
    const bool ok = in.rank() == 5 && in.extent(0) > 0 && in.extent(1) == s.instances &&
                    in.extent(2) == s.channels && in.extent(3) == s.height && in.extent(4) == s.width &&
                    in.is_contiguous();
    if (!ok)
      throw shape_error("admn.network.input", "input '" + std::string(s.name) + "' must be a contiguous [B," +
                                                  std::to_string(s.instances) + "," +
                                                  std::to_string(s.channels) + "," +
                                                  std::to_string(s.height) + "," + std::to_string(s.width) +
                                                  "] with B ≥ 1, got " + in.shape().to_string());
    if (m == 0) batch = in.extent(0);
    if (in.extent(0) != batch)
      throw shape_error("admn.network.batch",
                        "input '" + std::string(s.name) + "' has batch " + std::to_string(in.extent(0)) +
                            ", input '" + std::string(specs[0].name) + "' has " + std::to_string(batch));
  }
  return batch;
}

// Throws argument_error [admn.network.nonfinite] naming the modality, the sample and the
// first NaN or ±Inf value of inputs[m] (contiguous, as check_input_shapes ensures).
inline void check_finite(std::span<const const_view> inputs, std::span<const input_spec> specs) {
  for (std::size_t m = 0; m < inputs.size() && m < specs.size(); ++m) {
    const const_view in = inputs[m];
    const std::size_t n = in.size();
    const float* data = in.data();
    // One pass without branches per value; the position is looked up only on failure.
    bool finite = true;
    for (std::size_t i = 0; i < n; ++i) finite &= std::isfinite(data[i]);
    if (finite) continue;
    std::size_t i = 0;
    while (std::isfinite(data[i])) ++i;
    const std::size_t per_sample = in.rank() > 0 && in.extent(0) > 0 ? n / in.extent(0) : n;
    throw argument_error("admn.network.nonfinite",
                         "input '" + std::string(specs[m].name) + "' holds " + std::to_string(data[i]) +
                             " at element " + std::to_string(i) + " (sample " +
                             std::to_string(i / per_sample) + "): inputs must be finite");
  }
}

}  // namespace admn::model
