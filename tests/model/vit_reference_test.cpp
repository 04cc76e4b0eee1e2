// The ViT backbone against PyTorch golden files, with several skip patterns.
#include <admn/model/vit_backbone.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using admn::tensor;
using admn::test::check_close;
using admn::test::fixture;

namespace {

std::vector<std::size_t> blocks_of(const std::string& mask) {
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (mask[i] == '1') kept.push_back(i);
  return kept;
}

}  // namespace

TEST_CASE("tiny image ViT equals torch for every skip pattern") {
  const fixture f("core/vit_tiny.safetensors");
  const auto vit = admn::model::vit_backbone::load(f.weights(), {.heads = 3});
  CHECK(vit.depth() == 4);
  CHECK(vit.dim() == 48);
  CHECK(vit.tokens() == 17);
  const tensor image = f.get("image");
  admn::workspace ws;
  for (const std::string mask : {"1111", "1010", "0110", "1000", "0001", "0000"}) {
    CAPTURE(mask);
    tensor out(admn::shape{2, 48});
    vit.forward(image.view(), blocks_of(mask), out.view(), ws);
    check_close(out, f.get("out." + mask));
  }
  tensor tokens(admn::shape{2, 17, 48});
  vit.forward_tokens(image.view(), blocks_of("1111"), tokens.view(), ws);
  check_close(tokens, f.get("tokens.1111"));
  CHECK(ws.used() == 0);
}

TEST_CASE("non-square one-channel ViT (AVE audio layout) equals torch") {
  const fixture f("core/vit_audio_tiny.safetensors");
  const auto vit = admn::model::vit_backbone::load(f.weights(), {.heads = 2});
  CHECK(vit.channels() == 1);
  const tensor audio = f.get("audio");
  admn::workspace ws;
  for (const std::string mask : {"11", "01"}) {
    CAPTURE(mask);
    tensor out(admn::shape{1, 32});
    vit.forward(audio.view(), blocks_of(mask), out.view(), ws);
    check_close(out, f.get("out." + mask));
  }
}
