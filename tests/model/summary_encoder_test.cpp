// The conv-encoder → tokens → combiner → summary trunk of the controller and the gate
// (summary_encoder.hpp): the CLS policy, token counts, error ids and input layouts.
#include <admn/model/summary_encoder.hpp>

#include "common/error_id.hpp"
#include "common/tiny_network.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace m = admn::model;
using admn::tensor;
using admn::test::error_id;
using admn::test::pattern;

namespace {

// The tiny network's controller: 3-channel encoders (ir is repeated to 3 channels
// before it) on 32×32 images, 2 instances per modality, width 32.
std::vector<m::summary_input> inputs(std::size_t encoded = 0) {
  m::controller_encoder_config e;
  e.instances = encoded;
  return {{"cam", 3, 32, 32, 2, e}, {"ir", 3, 32, 32, 2, e}};
}

bool contains(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

TEST_CASE("the summary kind decides whether `cls` is a token") {
  const auto t = admn::test::make_tiny_network("summary-encoder-test");
  const auto w = t.weights.sub("controller.");

  const auto with_cls = m::summary_encoder::load(w, {.kind = m::summary::cls}, inputs());
  CHECK(with_cls.kind() == m::summary::cls);
  CHECK(with_cls.tokens() == 5);
  CHECK(with_cls.dim() == 32);
  CHECK(with_cls.modalities() == 2);
  CHECK(with_cls.describe().find("), 5 tokens with CLS, combiner width 32 x 2 layers") != std::string::npos);

  // The gate's rule: the CLS summary when the weights hold `cls`.
  const auto optional = m::summary_encoder::load(w, {.owner = "gate", .kind = std::nullopt}, inputs());
  CHECK(optional.kind() == m::summary::cls);
  CHECK(optional.tokens() == 5);

  // MMFI: a stored `cls` is neither a token nor reported unused.
  const admn::io::weight_source fresh(t.file);
  const auto mean = m::summary_encoder::load(fresh.sub("controller."), {.kind = m::summary::mean}, inputs(1));
  CHECK(mean.kind() == m::summary::mean);
  CHECK(mean.tokens() == 2);  // one instance of each modality, no CLS
  CHECK(mean.describe().find("1 x conv encoder") != std::string::npos);
  const auto unused = fresh.unused_keys();
  CHECK_FALSE(contains(unused, "controller.cls"));
  CHECK(contains(unused, "controller.output_head.0.weight"));  // not the encoder's
  CHECK_FALSE(contains(unused, "controller.combiner_encoder.norm.weight"));
}

TEST_CASE("summary encoder errors carry the owner's id") {
  const auto t = admn::test::make_tiny_network("summary-encoder-errors");
  const auto w = t.weights.sub("controller.");
  CHECK(error_id([&] { (void)m::summary_encoder::load(w, {}, inputs(3)); }) == "admn.controller.instances");
  CHECK(error_id([&] { (void)m::summary_encoder::load(w, {.owner = "gate"}, inputs(3)); }) ==
        "admn.gate.instances");
  CHECK(error_id([&] { (void)m::summary_encoder::load(w.sub("nothing."), {}, inputs()); }) ==
        "admn.load.missing");
}

TEST_CASE("the summary does not depend on the input layout or the batch") {
  const auto t = admn::test::make_tiny_network("summary-encoder-forward");
  const auto w = t.weights.sub("controller.");
  for (const auto kind : {m::summary::cls, m::summary::mean}) {
    CAPTURE(static_cast<int>(kind));
    const auto enc = m::summary_encoder::load(w, {.kind = kind}, inputs());
    const std::size_t batch = 3;
    const tensor cam = pattern(admn::shape{batch, 2, 3, 32, 32}, 0.37f),
                 ir = pattern(admn::shape{batch, 2, 3, 32, 32}, 0.11f);
    admn::workspace ws;
    const admn::const_view five[] = {cam.view(), ir.view()};
    tensor c5(admn::shape{batch, enc.dim()});
    {
      admn::workspace::scope scope(ws);
      const admn::mutable_view c = enc.forward(five, batch, ws);
      std::copy(c.data(), c.data() + c.size(), c5.data());
    }
    // (B·instances, C, H, W), as the controller passes its preprocessed images.
    const admn::const_view four[] = {cam.view().reshape(admn::shape{batch * 2, 3, 32, 32}),
                                     ir.view().reshape(admn::shape{batch * 2, 3, 32, 32})};
    {
      admn::workspace::scope scope(ws);
      const admn::mutable_view c = enc.forward(four, batch, ws);
      CHECK(std::equal(c.data(), c.data() + c.size(), c5.data()));
    }
    // Sample 1 alone gives its row of the batch.
    const admn::const_view one[] = {cam.view().slice(1, 2), ir.view().slice(1, 2)};
    admn::workspace::scope scope(ws);
    const admn::mutable_view c = enc.forward(one, 1, ws);
    for (std::size_t k = 0; k < enc.dim(); ++k) CHECK(c(0, k) == doctest::Approx(c5(1, k)).epsilon(1e-5));
  }
}
