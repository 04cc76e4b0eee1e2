// Backbone behaviour beyond numerics: no allocation, thread-count independence,
// input validation, skipped blocks.
#include <admn/model/vit_backbone.hpp>

#include "common/fixture.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

// Counts every operator new in this test program. The replacements pair malloc
// with free, which GCC cannot see through when it inlines them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align) {
  ++allocations;
  const std::size_t a = static_cast<std::size_t>(align);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new[](std::size_t size, std::align_val_t align) { return ::operator new(size, align); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using admn::tensor;

TEST_CASE("a forward pass performs no heap allocation") {
  const admn::test::fixture f("core/vit_tiny.safetensors");
  const auto vit = admn::model::vit_backbone::load(f.weights(), {.heads = 3});
  const tensor image = f.get("image");
  tensor out(admn::shape{2, 48});
  admn::workspace ws;
  const std::vector<std::size_t> all{0, 1, 2, 3}, some{1, 3}, none{};
  for (int threads : {1, 2}) {
    admn::kernels::with_threads(threads, [&] {
      vit.forward(image.view(), all, out.view(), ws);  // warm-up: thread pool start
      const std::size_t before = allocations.load();
      vit.forward(image.view(), all, out.view(), ws);
      vit.forward(image.view(), some, out.view(), ws);
      vit.forward(image.view(), none, out.view(), ws);
      CHECK(allocations.load() == before);
    });
  }
  CHECK(ws.capacity() >= ws.high_water());
}

TEST_CASE("backbone results are bit-identical for 1 and 2 threads") {
  const admn::test::fixture f("core/vit_tiny.safetensors");
  const auto vit = admn::model::vit_backbone::load(f.weights(), {.heads = 3});
  const tensor image = f.get("image");
  tensor one(admn::shape{2, 17, 48}), two(admn::shape{2, 17, 48});
  admn::workspace ws;
  const std::vector<std::size_t> all{0, 1, 2, 3};
  admn::kernels::with_threads(1, [&] { vit.forward_tokens(image.view(), all, one.view(), ws); });
  admn::kernels::with_threads(2, [&] { vit.forward_tokens(image.view(), all, two.view(), ws); });
  CHECK(std::equal(one.values().begin(), one.values().end(), two.values().begin()));
}

TEST_CASE("bad inputs throw typed errors naming the value") {
  const admn::test::fixture f("core/vit_tiny.safetensors");
  const auto vit = admn::model::vit_backbone::load(f.weights(), {.heads = 3});
  admn::workspace ws;
  tensor out(admn::shape{2, 48});
  const tensor wrong_size(admn::shape{2, 3, 40, 40});
  CHECK_THROWS_WITH_AS(vit.forward(wrong_size.view(), std::vector<std::size_t>{0}, out.view(), ws),
                       doctest::Contains("[admn.vit.input]"), admn::shape_error);
  const tensor wrong_channels(admn::shape{2, 1, 32, 32});
  CHECK_THROWS_AS(vit.forward(wrong_channels.view(), std::vector<std::size_t>{0}, out.view(), ws),
                  admn::shape_error);
  const tensor image = f.get("image");
  CHECK_THROWS_WITH_AS(vit.forward(image.view(), std::vector<std::size_t>{0, 4}, out.view(), ws),
                       doctest::Contains("block 4 does not exist (depth 4)"), admn::argument_error);
  tensor wrong_out(admn::shape{2, 47});
  CHECK_THROWS_AS(vit.forward(image.view(), std::vector<std::size_t>{}, wrong_out.view(), ws),
                  admn::shape_error);
}

TEST_CASE("a workspace reserved too small still serves a run, the same as a sized one") {
  const admn::test::fixture f("core/vit_tiny.safetensors");
  const auto vit = admn::model::vit_backbone::load(f.weights(), {.heads = 3});
  const tensor image = f.get("image");
  const std::vector<std::size_t> all{0, 1, 2, 3};
  tensor sized(admn::shape{2, 48}), small(admn::shape{2, 48});
  admn::workspace ws;
  vit.forward(image.view(), all, sized.view(), ws);
  admn::workspace tiny(16);
  vit.forward(image.view(), all, small.view(), tiny);
  CHECK(std::equal(sized.values().begin(), sized.values().end(), small.values().begin()));
  CHECK(tiny.high_water() == ws.high_water());
  CHECK(tiny.used() == 0);
  // The run grew the arena to its high water: the next one allocates nothing.
  CHECK(tiny.capacity() == tiny.high_water());
  const std::size_t before = tiny.allocations();
  vit.forward(image.view(), all, small.view(), tiny);
  CHECK(tiny.allocations() == before);
  CHECK(std::equal(sized.values().begin(), sized.values().end(), small.values().begin()));
}

TEST_CASE("a fully skipped backbone ignores its input") {
  const admn::test::fixture f("core/vit_tiny.safetensors");
  const auto vit = admn::model::vit_backbone::load(f.weights(), {.heads = 3});
  admn::workspace ws;
  tensor a(admn::shape{2, 48}), b(admn::shape{2, 48});
  tensor noise(admn::shape{2, 3, 32, 32});
  noise.fill(7.0f);
  vit.forward(f.get("image").view(), std::vector<std::size_t>{}, a.view(), ws);
  vit.forward(noise.view(), std::vector<std::size_t>{}, b.view(), ws);
  CHECK(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
}

TEST_CASE("running a block twice or out of order is allowed and differs from the plain order") {
  const admn::test::fixture f("core/vit_tiny.safetensors");
  const auto vit = admn::model::vit_backbone::load(f.weights(), {.heads = 3});
  admn::workspace ws;
  tensor forward_order(admn::shape{2, 48}), reversed(admn::shape{2, 48});
  vit.forward(f.get("image").view(), std::vector<std::size_t>{0, 1, 2, 3}, forward_order.view(), ws);
  vit.forward(f.get("image").view(), std::vector<std::size_t>{3, 2, 1, 0}, reversed.view(), ws);
  CHECK(admn::test::relative_error(reversed.values(), forward_order.values()) > 1e-3);
}
