// conv2d, batch_norm2d and max_pool2d layers: construction from tensors, binding by PyTorch key
// from a small in-memory safetensors file, shape errors, and forward against the references.
#include "common/detgen.hpp"

#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/io/writer.hpp>
#include <admn/kernels/reference_conv.hpp>
#include <admn/layers/batch_norm2d.hpp>
#include <admn/layers/conv2d.hpp>
#include <admn/layers/max_pool2d.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

using admn::shape;
using admn::tensor;

// A weight_source over `entries` written to memory, as a checkpoint export would.
admn::io::weight_source source_of(const std::vector<admn::io::tensor_entry>& entries) {
  const std::vector<std::byte> bytes = admn::io::serialize(entries);
  return admn::io::weight_source(
      std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::from_bytes(bytes)));
}

template <class Error>
std::string id_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.id();
  }
  return "no error";
}

// The AVE image encoder's first stage (docs/numerics.md §4.2), shrunk: Conv(3→6, k3) + BN + ReLU.
const admn::kernels::conv2d_shape encoder_conv{
    .in_channels = 3, .in_h = 12, .in_w = 21, .out_channels = 6, .kernel_h = 3, .kernel_w = 3};

}  // namespace

TEST_CASE("conv2d layer binds weight and bias by key and runs a batch") {
  const tensor w = admn::test::detgen(1, shape{6, 3, 3, 3}, 0.25);
  const tensor b = admn::test::detgen(2, shape{6}, 0.5);
  const auto source = source_of(
      {admn::io::entry("encoder_dict.image.1.weight", w), admn::io::entry("encoder_dict.image.1.bias", b)});
  const auto conv =
      admn::layers::conv2d::load(source.sub("encoder_dict.image.1."), {.shape = encoder_conv, .relu = true});
  CHECK(source.unused_keys().empty());
  CHECK(conv.output_shape(2) == shape{2, 6, 10, 19});
  CHECK(conv.macs() == 6u * 10 * 19 * 27);
  CHECK(conv.config().bias);

  const tensor x = admn::test::detgen(3, shape{2, 3, 12, 21});
  tensor y(conv.output_shape(2));
  std::vector<float> scratch(conv.scratch_floats() + 1);
  conv.forward(x.view(), y.view(), scratch.data());
  std::vector<float> expected(encoder_conv.output_size());
  for (std::size_t n = 0; n < 2; ++n) {
    admn::kernels::reference::conv2d(encoder_conv, x.data() + n * encoder_conv.input_size(), w.data(),
                                     b.data(), expected.data(), true);
    for (std::size_t i = 0; i < expected.size(); ++i)
      REQUIRE(y.data()[n * expected.size() + i] == doctest::Approx(expected[i]).epsilon(1e-5));
  }

  // One image as a rank-3 view gives the same result.
  tensor y0(shape{6, 10, 19});
  conv.forward(x.view()[0], y0.view(), scratch.data());
  for (std::size_t i = 0; i < y0.size(); ++i) REQUIRE(y0.data()[i] == y.data()[i]);
}

TEST_CASE("conv2d layer from tensors, without bias, and its errors") {
  const auto conv =
      admn::layers::conv2d(admn::test::detgen(1, shape{6, 3, 3, 3}), std::nullopt, {.shape = encoder_conv});
  CHECK(conv.bias() == nullptr);
  CHECK_FALSE(conv.config().bias);

  // Geometry and tensor shapes are checked at construction.
  CHECK(
      id_of<admn::shape_error>([] {
        (void)admn::layers::conv2d(
            tensor(shape{6, 3, 3, 3}), std::nullopt,
            {.shape = {
                 .in_channels = 3, .in_h = 2, .in_w = 21, .out_channels = 6, .kernel_h = 3, .kernel_w = 3}});
      }) == "admn.conv2d.shape");
  CHECK(id_of<admn::shape_error>([] {
          (void)admn::layers::conv2d(tensor(shape{6, 3, 3, 2}), std::nullopt, {.shape = encoder_conv});
        }) == "admn.conv2d.shape");
  CHECK(id_of<admn::shape_error>([] {
          (void)admn::layers::conv2d(tensor(shape{6, 3, 3, 3}), tensor(shape{5}), {.shape = encoder_conv});
        }) == "admn.conv2d.shape");

  // A checkpoint whose weight has another shape names the key; a missing bias too.
  const auto wrong = source_of(
      {admn::io::entry("c.weight", tensor(shape{6, 3, 5, 5})), admn::io::entry("c.bias", tensor(shape{6}))});
  CHECK(id_of<admn::load_error>([&] {
          (void)admn::layers::conv2d::load(wrong.sub("c."), {.shape = encoder_conv});
        }) == "admn.load.shape");
  const auto no_bias = source_of({admn::io::entry("c.weight", tensor(shape{6, 3, 3, 3}))});
  CHECK(id_of<admn::load_error>([&] {
          (void)admn::layers::conv2d::load(no_bias.sub("c."), {.shape = encoder_conv});
        }) == "admn.load.missing");
  CHECK_NOTHROW((void)admn::layers::conv2d::load(no_bias.sub("c."), {.shape = encoder_conv, .bias = false}));

  // Inputs of another size are rejected, not read out of bounds.
  tensor x(shape{3, 12, 20});
  tensor y(shape{6, 10, 19});
  CHECK(id_of<admn::shape_error>([&] { conv.forward(x.view(), y.view(), nullptr); }) == "admn.conv2d.input");
  tensor x_ok(shape{3, 12, 21});
  tensor y_bad(shape{6, 10, 18});
  CHECK(id_of<admn::shape_error>([&] { conv.forward(x_ok.view(), y_bad.view(), nullptr); }) ==
        "admn.conv2d.input");
}

TEST_CASE("batch_norm2d layer binds the BatchNorm keys, ignores num_batches_tracked, fuses ReLU") {
  tensor weight = admn::test::detgen(4, shape{6}, 0.5);
  tensor bias = admn::test::detgen(5, shape{6}, 0.5);
  tensor mean = admn::test::detgen(6, shape{6}, 0.5);
  tensor var = admn::test::detgen(7, shape{6}, 0.5);
  for (std::size_t c = 0; c < 6; ++c) var.data()[c] = std::abs(var.data()[c]) + 0.1f;
  // PyTorch stores num_batches_tracked as an I64 scalar, a dtype admn never loads.
  const std::int64_t batches_seen = 1234;
  const admn::io::tensor_entry tracked{
      "bn.num_batches_tracked", admn::dtype::i64, {}, std::as_bytes(std::span(&batches_seen, 1))};
  const auto source =
      source_of({admn::io::entry("bn.weight", weight), admn::io::entry("bn.bias", bias),
                 admn::io::entry("bn.running_mean", mean), admn::io::entry("bn.running_var", var), tracked});
  const auto bn = admn::layers::batch_norm2d::load(source.sub("bn."), {.relu = true});
  CHECK(source.unused_keys().empty());
  CHECK(bn.channels() == 6);
  CHECK(bn.eps() == 1e-5);

  const tensor x = admn::test::detgen(8, shape{2, 6, 5, 7}, 2.0);
  tensor y(x.shape());
  bn.forward(x.view(), y.view());
  std::vector<float> expected(x.size());
  for (std::size_t n = 0; n < 2; ++n)
    admn::kernels::reference::batch_norm(x.data() + n * 6 * 35, 6, 35, weight.data(), bias.data(),
                                         mean.data(), var.data(), 1e-5, expected.data() + n * 6 * 35, true);
  for (std::size_t i = 0; i < x.size(); ++i)
    REQUIRE(y.data()[i] == doctest::Approx(expected[i]).epsilon(1e-5));

  // In place gives the same values.
  tensor z = x.clone();
  bn.forward(z.view(), z.view());
  for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(z.data()[i] == y.data()[i]);

  // affine=False: only the running statistics.
  const auto stats = source_of({admn::io::entry("running_mean", mean), admn::io::entry("running_var", var)});
  const auto plain = admn::layers::batch_norm2d::load(stats, {.affine = false});
  CHECK(plain.scale().data()[0] == doctest::Approx(1.0 / std::sqrt(var.data()[0] + 1e-5)).epsilon(1e-6));

  CHECK(id_of<admn::shape_error>([&] {
          (void)admn::layers::batch_norm2d(weight.clone(), bias.clone(), mean, tensor(shape{5}));
        }) == "admn.batch_norm2d.shape");
  CHECK(id_of<admn::load_error>([&] {
          (void)admn::layers::batch_norm2d::load(source.sub("bn."), {.channels = 4});
        }) == "admn.load.shape");
  tensor wrong(shape{2, 5, 5, 7});
  CHECK(id_of<admn::shape_error>([&] { bn.forward(wrong.view(), wrong.view()); }) ==
        "admn.batch_norm2d.input");
}

TEST_CASE("max_pool2d layer: PyTorch's default stride, batches, errors") {
  const admn::layers::max_pool2d pool({.channels = 6, .in_h = 82, .in_w = 82, .kernel_h = 3, .kernel_w = 3});
  CHECK(pool.output_shape(3) == shape{3, 6, 27, 27});
  const tensor x = admn::test::detgen(9, shape{3, 6, 82, 82});
  tensor y(pool.output_shape(3));
  std::vector<float> scratch(pool.scratch_floats());
  pool.forward(x.view(), y.view(), scratch.data());
  std::vector<float> expected(6 * 27 * 27);
  for (std::size_t n = 0; n < 3; ++n) {
    admn::kernels::reference::max_pool2d(pool.geometry(), x.data() + n * 6 * 82 * 82, expected.data());
    for (std::size_t i = 0; i < expected.size(); ++i)
      REQUIRE(y.data()[n * expected.size() + i] == expected[i]);
  }
  CHECK(id_of<admn::shape_error>([] {
          (void)admn::layers::max_pool2d({.channels = 1, .in_h = 2, .in_w = 2, .kernel_h = 3, .kernel_w = 3});
        }) == "admn.pool2d.shape");
  tensor small(shape{6, 81, 82});
  tensor out(shape{6, 27, 27});
  CHECK(id_of<admn::shape_error>([&] { pool.forward(small.view(), out.view(), scratch.data()); }) ==
        "admn.pool2d.input");
}
