// conv2d (kernel, both algorithms, and the layer) against PyTorch's F.conv2d
// (tests/fixtures/core/conv2d.safetensors, tests/reference/make_core_fixtures.py file 11).
#include <admn/kernels/conv2d.hpp>
#include <admn/layers/conv2d.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using admn::kernels::conv2d_algorithm;

// "3,5" → {3, 5}.
std::pair<std::size_t, std::size_t> pair_of(const std::string& text) {
  const auto comma = text.find(',');
  REQUIRE(comma != std::string::npos);
  return {std::stoul(text.substr(0, comma)), std::stoul(text.substr(comma + 1))};
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  for (std::size_t comma; (comma = text.find(',', begin)) != std::string::npos; begin = comma + 1)
    out.push_back(text.substr(begin, comma - begin));
  out.push_back(text.substr(begin));
  return out;
}

}  // namespace

TEST_CASE("conv2d equals torch F.conv2d with stride, padding, no bias, every algorithm") {
  const admn::test::fixture f("core/conv2d.safetensors");
  for (const std::string& name : split(f.meta("cases"))) {
    CAPTURE(name);
    const admn::tensor x = f.get(name + ".x");
    const admn::tensor w = f.get(name + ".weight");
    const admn::tensor expected = f.get(name + ".y");
    const bool has_bias = f.meta(name + ".bias") == "true";
    const auto [kh, kw] = pair_of(f.meta(name + ".kernel"));
    const auto [sh, sw] = pair_of(f.meta(name + ".stride"));
    const auto [ph, pw] = pair_of(f.meta(name + ".padding"));
    const admn::kernels::conv2d_shape s{.in_channels = x.shape()[1],
                                        .in_h = x.shape()[2],
                                        .in_w = x.shape()[3],
                                        .out_channels = w.shape()[0],
                                        .kernel_h = kh,
                                        .kernel_w = kw,
                                        .stride_h = sh,
                                        .stride_w = sw,
                                        .pad_h = ph,
                                        .pad_w = pw};
    REQUIRE_NOTHROW(s.validate());
    REQUIRE(expected.shape() == (admn::shape{x.shape()[0], s.out_channels, s.out_h(), s.out_w()}));
    const admn::tensor bias = has_bias ? f.get(name + ".bias") : admn::tensor();
    const float* b = has_bias ? bias.data() : nullptr;

    for (const conv2d_algorithm algorithm :
         {conv2d_algorithm::automatic, conv2d_algorithm::direct, conv2d_algorithm::im2col}) {
      CAPTURE(static_cast<int>(algorithm));
      admn::tensor y(expected.shape());
      std::vector<float> scratch(admn::kernels::conv2d_scratch_size(s, algorithm) + 1);
      for (std::size_t n = 0; n < x.shape()[0]; ++n)
        admn::kernels::conv2d(admn::kernels::default_arch{}, s, x.data() + n * s.input_size(), w.data(), b,
                              y.data() + n * s.output_size(), scratch.data(), {.algorithm = algorithm});
      admn::test::check_close(y, expected);
    }

    // The layer, bound by key from the same file.
    const auto layer =
        admn::layers::conv2d::load(f.weights().sub(name + "."), {.shape = s, .bias = has_bias});
    admn::tensor y(layer.output_shape(x.shape()[0]));
    std::vector<float> scratch(layer.scratch_floats() + 1);
    layer.forward(x.view(), y.view(), scratch.data());
    admn::test::check_close(y, expected);
  }
}
