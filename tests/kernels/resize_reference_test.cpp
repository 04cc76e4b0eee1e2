// Bilinear resize plans against torch F.interpolate(mode='bilinear', align_corners=False,
// antialias=True/False) (tests/fixtures/core/resize.safetensors, make_core_fixtures.py file 13).
#include <admn/kernels/resize.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace {

// Plain bilinear as torch 1.13 computes it (the fixtures' torch): float scale, but the source
// coordinate and λ in double (at::acc_type<float> = double; torch ≥ 2.0 uses float, pytorch#88277).
// Used only to show where the plan's residual against these goldens comes from.
std::vector<float> plain_resize_torch_1_13(const admn::tensor& x, std::size_t out_h, std::size_t out_w) {
  struct tap2 {
    std::size_t i0, i1;
    float l0, l1;
  };
  const auto axis = [](std::size_t in, std::size_t out) {
    std::vector<tap2> taps(out);
    const double scale = static_cast<double>(static_cast<float>(in) / static_cast<float>(out));
    for (std::size_t i = 0; i < out; ++i) {
      if (in == out) {
        taps[i] = {i, i, 1.0f, 0.0f};
        continue;
      }
      const double s = std::max(scale * (static_cast<double>(i) + 0.5) - 0.5, 0.0);
      const std::size_t i0 = std::min(static_cast<std::size_t>(std::floor(s)), in - 1);
      const auto l1 = static_cast<float>(std::clamp(s - static_cast<double>(i0), 0.0, 1.0));
      taps[i] = {i0, i0 + 1 < in ? i0 + 1 : i0, 1.0f - l1, l1};
    }
    return taps;
  };
  const std::size_t planes = x.shape()[0] * x.shape()[1];
  const std::size_t in_h = x.shape()[2];
  const std::size_t in_w = x.shape()[3];
  const auto rows = axis(in_h, out_h);
  const auto cols = axis(in_w, out_w);
  std::vector<float> y(planes * out_h * out_w);
  for (std::size_t p = 0; p < planes; ++p)
    for (std::size_t i = 0; i < out_h; ++i)
      for (std::size_t j = 0; j < out_w; ++j) {
        const float* plane = x.data() + p * in_h * in_w;
        const auto h = [&](std::size_t r) {
          return plane[r * in_w + cols[j].i0] * cols[j].l0 + plane[r * in_w + cols[j].i1] * cols[j].l1;
        };
        y[(p * out_h + i) * out_w + j] = h(rows[i].i0) * rows[i].l0 + h(rows[i].i1) * rows[i].l1;
      }
  return y;
}

}  // namespace

TEST_CASE("resize plans equal torch F.interpolate bilinear, with and without antialias") {
  const admn::test::fixture f("core/resize.safetensors");
  for (const std::string kind : {"aa", "plain"})
    for (const std::string name : {"down", "up", "mixed", "224to100", "audio"}) {
      const std::string key = kind + "." + name;
      CAPTURE(key);
      const admn::tensor x = f.get(f.meta(key + ".input"));
      const admn::tensor expected = f.get(key);
      REQUIRE(f.meta(key + ".antialias") == (kind == "aa" ? "true" : "false"));
      const std::size_t batch = x.shape()[0];
      const std::size_t channels = x.shape()[1];
      const admn::kernels::resize_plan plan(x.shape()[2], x.shape()[3], expected.shape()[2],
                                            expected.shape()[3], kind == "aa");
      admn::tensor y(expected.shape());
      std::vector<float> scratch(plan.scratch_size(batch * channels) + 1);
      // Batch and channels are one run: every plane is resized alike.
      plan.run(x.data(), batch * channels, y.data(), scratch.data());
      admn::test::check_close(y, expected);
      if (kind == "aa") {
        // The same float32 weights and tap order as ATen.
        CHECK(admn::test::max_abs_error(y.values(), expected.values()) <= 1e-6);
      } else {
        // The plan computes the source coordinate and λ in float32 like torch ≥ 2.0 (docs/numerics.md §0
        // pins 2.4); these goldens come from Debian's torch 1.13, which uses double. That moves λ
        // by up to an ulp of the coordinate (~1.5e-5 near 224) and outputs by up to ~2e-5 where
        // neighbouring pixels differ by ~2. The 1.13 formula itself reproduces the goldens:
        CHECK(admn::test::max_abs_error(y.values(), expected.values()) <= 3e-5);
        const std::vector<float> old = plain_resize_torch_1_13(x, expected.shape()[2], expected.shape()[3]);
        const double old_err = admn::test::max_abs_error(old, expected.values());
        MESSAGE("torch 1.13 coordinate precision reproduces the golden to max abs " << old_err);
        CHECK(old_err <= 1e-6);
      }
    }
}
