#include <admn/kernels/attention.hpp>
#include <admn/tensor/tensor.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace admn::kernels;

TEST_CASE("attention heads match the reference for both scale placements") {
  for (auto where : {scale_at::scores, scale_at::queries})
    for (std::size_t tokens : {1u, 7u, 17u, 33u, 197u}) {
      CAPTURE(tokens);
      const std::size_t heads = 3, dh = 13, inner = heads * dh;
      const attention_shape s{tokens, heads, dh, 3 * inner + 2, inner + 1, 1.0f / std::sqrt(13.0f), where};
      const auto qkv = admn::test::uniform(tokens * s.ld_qkv, -2.0f, 2.0f, static_cast<unsigned>(tokens));
      std::vector<float> got(tokens * s.ld_out, 0.0f), want(tokens * s.ld_out, 0.0f);
      admn::tensor scratch(admn::shape{attention_scratch_floats(s)});  // 64-byte aligned
      for (std::size_t h = 0; h < heads; ++h) {
        attention_head(default_arch{}, s, qkv.data(), h, got.data(), scratch.data());
        reference::attention_head(s, qkv.data(), h, want.data());
      }
      CHECK(admn::test::relative_error(got, want) <= 2e-6);
    }
}

TEST_CASE("attention at ViT-B head size (64) matches the reference") {
  const std::size_t tokens = 197, heads = 2, dh = 64, inner = heads * dh;
  const attention_shape s{tokens, heads, dh, 3 * inner, inner, 0.125f, scale_at::scores};
  const auto qkv = admn::test::uniform(tokens * s.ld_qkv, -2.0f, 2.0f, 5);
  std::vector<float> got(tokens * inner), want(tokens * inner);
  admn::tensor scratch(admn::shape{attention_scratch_floats(s)});
  for (std::size_t h = 0; h < heads; ++h) {
    attention_head(default_arch{}, s, qkv.data(), h, got.data(), scratch.data());
    reference::attention_head(s, qkv.data(), h, want.data());
  }
  CHECK(admn::test::relative_error(got, want) <= 2e-6);
}

TEST_CASE("softmax with a scale equals the softmax of the scaled row") {
  for (const float scale : {0.125f, 0.3f, -0.5f, 0.0f}) {
    CAPTURE(scale);
    auto x = admn::test::uniform(3 * 37, -6.0f, 6.0f, 9);
    auto y = x;
    for (float& v : y) v *= scale;
    softmax(default_arch{}, x.data(), 3, 37, 37, scale);
    reference::softmax(y.data(), 3, 37, 37);
    CHECK(admn::test::relative_error(x, y) <= 1e-6);
  }
}
