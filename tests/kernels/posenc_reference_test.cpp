// Sinusoidal positional encoding against torch (vit_dev.positionalencoding1d, float32 CPU)
// (tests/fixtures/core/posenc.safetensors, make_core_fixtures.py file 14).
#include <admn/kernels/posenc.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("sinusoidal positional encoding equals torch positionalencoding1d") {
  const admn::test::fixture f("core/posenc.safetensors");
  for (const std::string key : {"pe.256x7", "pe.64x30", "pe.512x10"}) {
    CAPTURE(key);
    const admn::tensor expected = f.get(key);
    const std::size_t d = std::stoul(f.meta(key + ".d_model"));
    const std::size_t length = std::stoul(f.meta(key + ".length"));
    REQUIRE(expected.shape() == (admn::shape{length, d}));
    admn::tensor pe(expected.shape());
    admn::kernels::sinusoidal_positional_encoding(pe.data(), length, d);
    admn::test::check_close(pe, expected);
    CHECK(admn::test::max_abs_error(pe.values(), expected.values()) <= 1e-6);
  }
}
