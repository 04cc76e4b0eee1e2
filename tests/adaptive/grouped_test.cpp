// Heterogeneous batches skip for real: each sample's blocks run only on its rows,
// results equal per-sample runs bit for bit, and the grouping does not allocate.
#include <admn/adaptive/layerdrop.hpp>
#include <admn/adaptive/static_plan.hpp>
#include <admn/model/network.hpp>

#include "common/tiny_network.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

namespace ad = admn::adaptive;
namespace m = admn::model;
using admn::tensor;

// Counts heap allocations while `counting` is set (this test executable only).
namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
}  // namespace

// free() on what operator new returned is right here: this operator new is malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// Tensors allocate with alignment (admn/tensor/tensor.hpp): count those too.
void* operator new(std::size_t size, std::align_val_t align) {
  if (counting) ++allocations;
  const std::size_t a = static_cast<std::size_t>(align);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using admn::test::pattern;

TEST_CASE("run_grouped equals per-sample runs for interleaved, adjacent and unique masks") {
  const auto t = admn::test::make_tiny_network("grouped-test");
  const auto& vit = t.net.backbone(0);
  const std::size_t per = 2, batch = 7;
  const tensor images = pattern(admn::shape{batch * per, 3, 32, 32}, 0.173f);
  // Groups: A at 0, 2, 6 (gathered); B at 3, 4 (adjacent); C at 1 and D at 5 alone;
  // E (no block) never used; one sample with an empty mask would be D'.
  const ad::layer_mask a = ad::layer_mask::parse("101010"), b = ad::layer_mask::parse("111111"),
                       c = ad::layer_mask::parse("100000"), d = ad::layer_mask::parse("000000");
  const std::vector<ad::layer_mask> masks{a, c, a, b, b, d, a};
  tensor grouped(admn::shape{batch * per, vit.dim()});
  admn::workspace ws;
  m::run_grouped(
      vit, images.view(), per, batch, [&](std::size_t s) -> const ad::layer_mask& { return masks[s]; },
      grouped.view(), ws);
  CHECK(ws.used() == 0);
  for (std::size_t s = 0; s < batch; ++s) {
    CAPTURE(s);
    tensor alone(admn::shape{per, vit.dim()});
    admn::workspace one;
    vit.forward(images.view().slice(s * per, (s + 1) * per), masks[s].blocks(), alone.view(), one);
    for (std::size_t i = 0; i < alone.size(); ++i)
      REQUIRE(alone.data()[i] == grouped.data()[s * per * vit.dim() + i]);
  }
}

TEST_CASE("run_grouped does not allocate once its workspace is sized") {
  const auto t = admn::test::make_tiny_network("grouped-test");
  const auto& vit = t.net.backbone(0);
  const std::size_t per = 2, batch = 6;
  const tensor images = pattern(admn::shape{batch * per, 3, 32, 32}, 0.31f);
  const std::vector<ad::layer_mask> masks{ad::layer_mask::parse("110000"), ad::layer_mask::parse("101000"),
                                          ad::layer_mask::parse("110000"), ad::layer_mask::parse("100001"),
                                          ad::layer_mask::parse("101000"), ad::layer_mask::parse("100001")};
  tensor out(admn::shape{batch * per, vit.dim()});
  admn::workspace ws;
  // One thread: the kernels run inline, so every allocation counted is the grouping's.
  admn::kernels::with_threads(1, [&] {
    const auto masks_of = [&](std::size_t s) -> const ad::layer_mask& { return masks[s]; };
    m::run_grouped(vit, images.view(), per, batch, masks_of, out.view(), ws);  // sizes the workspace
    allocations = 0;
    counting = true;
    m::run_grouped(vit, images.view(), per, batch, masks_of, out.view(), ws);
    counting = false;
  });
  CHECK(allocations == 0);
}

TEST_CASE("a batch of 8 with 8 different plans equals 8 single-sample runs") {
  const auto t = admn::test::make_tiny_network("grouped-test");
  const std::size_t batch = 8;
  const tensor cam_in = pattern(admn::shape{batch, 2, 3, 32, 32}, 0.29f),
               ir_in = pattern(admn::shape{batch, 2, 1, 32, 32}, 0.07f);
  const admn::const_view inputs[] = {cam_in.view(), ir_in.view()};
  const auto depths = t.net.depths();
  // Eight distinct plans from the LayerDrop sampler (p = 0.5).
  ad::layerdrop_sampler sampler(depths, {.rate = 0.5, .modality_dropout = 0.1}, 11);
  std::vector<ad::layer_plan> plans;
  while (plans.size() < batch) {
    const ad::layer_plan p = sampler.next();
    if (std::find(plans.begin(), plans.end(), p) == plans.end()) plans.push_back(p);
  }
  plans[3] = ad::parse_plan("every-other:3,2", depths);
  admn::workspace ws;
  const auto batched = t.net.run(inputs, {.plans = plans}, ws);
  CHECK(batched.plans == plans);
  const auto& logits = batched.output("logits");
  for (std::size_t s = 0; s < batch; ++s) {
    const admn::const_view one[] = {cam_in.view().slice(s, s + 1), ir_in.view().slice(s, s + 1)};
    const auto alone = t.net.run(one, {.plan = plans[s]}, ws);
    for (std::size_t c = 0; c < 5; ++c) CHECK(alone.output("logits")(0, c) == logits(s, c));
  }
}
