// max_pool2d and BatchNorm2d (eval) against PyTorch (tests/fixtures/core/pool_bn.safetensors,
// tests/reference/make_core_fixtures.py file 12).
#include <admn/kernels/batch_norm.hpp>
#include <admn/kernels/pooling.hpp>
#include <admn/layers/batch_norm2d.hpp>
#include <admn/layers/max_pool2d.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

TEST_CASE("max_pool2d equals torch F.max_pool2d ((3,3) and (3,6), floor mode)") {
  const admn::test::fixture f("core/pool_bn.safetensors");
  const admn::tensor x = f.get("pool.x");
  const std::pair<const char*, std::pair<std::size_t, std::size_t>> cases[] = {{"pool.y3", {3, 3}},
                                                                               {"pool.y36", {3, 6}}};
  for (const auto& [name, kernel] : cases) {
    const auto& name_ = name;  // clang 14: no structured binding in a lambda
    CAPTURE(name_);
    const admn::tensor expected = f.get(name);
    const admn::layers::max_pool2d pool({.channels = x.shape()[1],
                                         .in_h = x.shape()[2],
                                         .in_w = x.shape()[3],
                                         .kernel_h = kernel.first,
                                         .kernel_w = kernel.second});
    REQUIRE(pool.output_shape(x.shape()[0]) == expected.shape());
    admn::tensor y(expected.shape());
    std::vector<float> scratch(pool.scratch_floats());
    pool.forward(x.view(), y.view(), scratch.data());
    CHECK(admn::test::max_abs_error(y.values(), expected.values()) == 0.0);  // a max is exact
  }
}

TEST_CASE("batch_norm2d equals torch F.batch_norm (eval, eps 1e-5)") {
  const admn::test::fixture f("core/pool_bn.safetensors");
  const double eps = std::stod(f.meta("bn.eps"));
  const admn::tensor x = f.get("bn.x");
  const admn::tensor expected = f.get("bn.y");
  const auto bn = admn::layers::batch_norm2d::load(f.weights().sub("bn."), {.eps = eps});
  REQUIRE(bn.channels() == 6);
  admn::tensor y(x.shape());
  bn.forward(x.view(), y.view());
  admn::test::check_close(y, expected);
  CHECK(admn::test::max_abs_error(y.values(), expected.values()) <= 1e-6);

  // Which float32 form PyTorch's CPU kernel uses: the folded x·scale + shift (what the kernel
  // does, with one FMA) or the literal (x − mean)·invstd·γ + β. Reported for the record.
  const admn::tensor w = f.get("bn.weight");
  const admn::tensor b = f.get("bn.bias");
  const admn::tensor mean = f.get("bn.running_mean");
  const admn::tensor var = f.get("bn.running_var");
  const std::size_t channels = x.shape()[1];
  const std::size_t spatial = x.shape()[2] * x.shape()[3];
  admn::tensor folded_unfused(x.shape());
  admn::tensor literal(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t c = (i / spatial) % channels;
    const auto keep = [](float v) {  // a volatile round trip stops the compiler fusing
      volatile float r = v;
      return static_cast<float>(r);
    };
    folded_unfused.data()[i] = keep(x.data()[i] * bn.scale().data()[c]) + bn.shift().data()[c];
    const float invstd = 1.0f / std::sqrt(var.data()[c] + static_cast<float>(eps));
    literal.data()[i] = keep(keep(keep(x.data()[i] - mean.data()[c]) * invstd) * w.data()[c]) + b.data()[c];
  }
  MESSAGE("BN forms vs torch, max abs error: folded+FMA (kernel) "
          << admn::test::max_abs_error(y.values(), expected.values()) << ", folded mul+add "
          << admn::test::max_abs_error(folded_unfused.values(), expected.values()) << ", literal "
          << admn::test::max_abs_error(literal.values(), expected.values()));
}
