#include <admn/kernels/attention.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace admn::kernels;

TEST_CASE("attention heads match the reference for both scale placements") {
  for (auto where : {scale_at::scores, scale_at::queries})
    for (std::size_t tokens : {1u, 7u, 17u, 33u}) {
      CAPTURE(tokens);
      const std::size_t heads = 3, dh = 13, inner = heads * dh;
      const attention_shape s{tokens, heads, dh, 3 * inner + 2, inner + 1, 1.0f / std::sqrt(13.0f), where};
      const auto qkv = admn::test::uniform(tokens * s.ld_qkv, -2.0f, 2.0f, static_cast<unsigned>(tokens));
      std::vector<float> got(tokens * s.ld_out, 0.0f), want(tokens * s.ld_out, 0.0f);
      std::vector<float> scratch(attention_scratch_floats(s));
      for (std::size_t h = 0; h < heads; ++h) {
        attention_head(default_arch{}, s, qkv.data(), h, got.data(), scratch.data());
        reference::attention_head(s, qkv.data(), h, want.data());
      }
      CHECK(admn::test::relative_error(got, want) <= 2e-6);
    }
}
