// weight_source: scoped lookup by checkpoint key, shape/dtype checks, nearest keys, usage.
#include "io/support.hpp"

#include <admn/io.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace {

using admn::dtype;
using admn::io::safetensors_file;
using admn::io::tensor_entry;
using admn::io::weight_source;

std::string message_of(const auto& call) {
  try {
    call();
  } catch (const admn::error& e) {
    return e.what();
  }
  return "(no error)";
}

// A small ViT-like checkpoint: float values i·0.5 per tensor, plus half and integer tensors.
struct checkpoint {
  std::vector<std::vector<float>> floats;
  std::vector<std::uint16_t> halves{0x3c00, 0xc000, 0x3800};  // F16 1, -2, 0.5
  std::vector<std::uint16_t> brains{0x3f80, 0x4040};          // BF16 1, 3
  std::vector<std::int64_t> count{7};
  std::vector<tensor_entry> entries;
  std::shared_ptr<const safetensors_file> file;

  checkpoint() {
    const std::vector<std::pair<std::string, std::vector<std::uint64_t>>> shapes{
        {"vision.blocks.3.attn.qkv.weight", {6, 4}},
        {"vision.blocks.3.attn.qkv.bias", {6}},
        {"vision.blocks.3.attn.proj.weight", {4, 4}},
        {"vision.blocks.4.attn.qkv.weight", {6, 4}},
        {"vision.norm.weight", {4}},
        {"depth.norm.weight", {4}},
        {"head.weight", {2, 4}}};
    floats.reserve(shapes.size());
    for (const auto& [name, shape] : shapes) {
      std::size_t n = 1;
      for (const auto d : shape) n *= d;
      floats.emplace_back(n);
      for (std::size_t i = 0; i < n; ++i) floats.back()[i] = static_cast<float>(i) * 0.5f;
      entries.push_back({name, dtype::f32, shape, std::as_bytes(std::span(floats.back()))});
    }
    entries.push_back({"vision.half", dtype::f16, {3}, std::as_bytes(std::span(halves))});
    entries.push_back({"vision.brain", dtype::bf16, {2}, std::as_bytes(std::span(brains))});
    entries.push_back({"bn.num_batches_tracked", dtype::i64, {}, std::as_bytes(std::span(count))});
    file =
        std::make_shared<const safetensors_file>(safetensors_file::from_bytes(admn::io::serialize(entries)));
  }
};

}  // namespace

TEST_CASE("weight_source: sub() scopes keys by prefix") {
  const checkpoint c;
  const weight_source weights(c.file);
  CHECK(weights.prefix().empty());
  const auto block = weights.sub("vision.").sub("blocks.3.");
  CHECK(block.prefix() == "vision.blocks.3.");
  CHECK(block.contains("attn.qkv.weight"));
  CHECK_FALSE(block.contains("vision.blocks.3.attn.qkv.weight"));
  CHECK_FALSE(weights.contains("attn.qkv.weight"));
  CHECK(block.shape_of("attn.qkv.bias") == std::vector<std::uint64_t>{6});
  const admn::tensor w = block.load("attn.qkv.weight", admn::shape{6, 4});
  CHECK(w.shape() == admn::shape{6, 4});
  CHECK(w(5, 3) == 11.5f);
  CHECK(&block.file() == c.file.get());
}

TEST_CASE("weight_source: a missing key names the full key and up to 3 nearest keys") {
  const checkpoint c;
  const weight_source weights(c.file);
  const auto block = weights.sub("vision.blocks.3.");
  const std::string message = message_of([&] { (void)block.load("attn.qkv.weigth", admn::shape{6, 4}); });
  CHECK(message ==
        "[admn.load.missing] tensor 'vision.blocks.3.attn.qkv.weigth' not found; nearest: "
        "'vision.blocks.3.attn.qkv.weight', 'vision.blocks.4.attn.qkv.weight', "
        "'vision.blocks.3.attn.qkv.bias'");
  CHECK(message_of([&] {
          (void)block.shape_of("nothing");
        }).rfind("[admn.load.missing] tensor 'vision.blocks.3.nothing'", 0) == 0);
  CHECK(message_of([&] { (void)weights.load("x"); }).find("nearest:") != std::string::npos);

  const auto empty =
      std::make_shared<const safetensors_file>(safetensors_file::from_bytes(admn::io::serialize({})));
  CHECK(message_of([&] { (void)weight_source(empty).load("a"); }) ==
        "[admn.load.missing] tensor 'a' not found; the file has no tensors");
}

TEST_CASE("weight_source: a shape mismatch names the key, expected and actual shapes") {
  std::vector<float> data(2304 * 384);
  const std::vector<tensor_entry> entries{
      {"vision.blocks.3.attn.qkv.weight", dtype::f32, {2304, 384}, std::as_bytes(std::span(data))}};
  const weight_source weights(
      std::make_shared<const safetensors_file>(safetensors_file::from_bytes(admn::io::serialize(entries))));
  CHECK(message_of([&] {
          (void)weights.sub("vision.blocks.3.").load("attn.qkv.weight", admn::shape{2304, 768});
        }) ==
        "[admn.load.shape] tensor 'vision.blocks.3.attn.qkv.weight': expected [2304,768], got [2304,384]");
  CHECK(message_of([&] {
          (void)weights.load("vision.blocks.3.attn.qkv.weight", admn::shape{2304, 384, 1});
        }) ==
        "[admn.load.shape] tensor 'vision.blocks.3.attn.qkv.weight': expected [2304,384,1], got [2304,384]");
  CHECK(weights.unused_keys().size() == 1);  // a failed load does not count as use
}

TEST_CASE("weight_source: F16/BF16 widen on request, other dtypes are [admn.load.dtype]") {
  const checkpoint c;
  const weight_source weights(c.file);
  const auto half = weights.load("vision.half", admn::shape{3});
  CHECK(std::vector<float>(half.values().begin(), half.values().end()) ==
        std::vector<float>{1.0f, -2.0f, 0.5f});
  const auto brain = weights.load("vision.brain");
  CHECK(std::vector<float>(brain.values().begin(), brain.values().end()) == std::vector<float>{1.0f, 3.0f});

  const weight_source strict(c.file, {.convert_half = false});
  CHECK(message_of([&] { (void)strict.load("vision.half", admn::shape{3}); }) ==
        "[admn.load.dtype] tensor 'vision.half': dtype F16, expected F32 (F16/BF16 conversion is off)");
  CHECK(
      message_of([&] { (void)strict.load("bn.num_batches_tracked", admn::shape{}); }) ==
      "[admn.load.dtype] tensor 'bn.num_batches_tracked': dtype I64, expected F32 (or F16/BF16, converted)");
  CHECK(strict.load("head.weight", admn::shape{2, 4})(1, 0) == 2.0f);
}

TEST_CASE("weight_source: load(key) takes the stored shape, rank ≤ admn::max_rank") {
  const checkpoint c;
  const weight_source weights(c.file);
  const auto w = weights.load("head.weight");
  CHECK(w.shape() == admn::shape{2, 4});
  const auto scalar_entries = std::vector<tensor_entry>{};
  std::vector<float> one{4.0f};
  const std::vector<tensor_entry> deep{
      {"deep", dtype::f32, {1, 1, 1, 1, 1, 1, 1, 1, 1}, std::as_bytes(std::span(one))},
      {"s", dtype::f32, {}, std::as_bytes(std::span(one)).subspan(0, 4)}};
  std::vector<float> other{5.0f};
  auto list = deep;
  list[1].bytes = std::as_bytes(std::span(other));
  const weight_source d(
      std::make_shared<const safetensors_file>(safetensors_file::from_bytes(admn::io::serialize(list))));
  CHECK(message_of([&] { (void)d.load("deep"); }) ==
        "[admn.load.shape] tensor 'deep': shape [1,1,1,1,1,1,1,1,1] has more than 8 dimensions");
  const auto s = d.load("s");
  CHECK(s.shape().rank() == 0);
  CHECK(s.data()[0] == 5.0f);
}

TEST_CASE("weight_source: unused keys, mark_unused_ok and shared usage across copies") {
  const checkpoint c;
  const weight_source weights(c.file);
  CHECK(weights.unused_keys().size() == c.entries.size());
  const auto vision = weights.sub("vision.");
  const weight_source copy = weights;  // shares the usage record
  (void)vision.load("blocks.3.attn.qkv.weight", admn::shape{6, 4});
  (void)copy.load("vision.norm.weight");
  vision.mark_unused_ok("half");
  weights.mark_unused_ok("bn.num_batches_tracked");
  weights.mark_unused_ok("not.in.the.file");  // ignored
  CHECK(weights.unused_keys() == std::vector<std::string>{"depth.norm.weight", "head.weight",
                                                          "vision.blocks.3.attn.proj.weight",
                                                          "vision.blocks.3.attn.qkv.bias",
                                                          "vision.blocks.4.attn.qkv.weight", "vision.brain"});
  CHECK(vision.unused_keys() == std::vector<std::string>{"vision.blocks.3.attn.proj.weight",
                                                         "vision.blocks.3.attn.qkv.bias",
                                                         "vision.blocks.4.attn.qkv.weight", "vision.brain"});
  // A fresh source over the same file has its own record.
  CHECK(weight_source(c.file).unused_keys().size() == c.entries.size());
}

TEST_CASE("weight_source: loads from several threads share one usage record safely") {
  const checkpoint c;
  const weight_source weights(c.file);
  std::vector<std::thread> threads;
  for (const auto& e : c.entries) {
    if (e.type != dtype::f32) continue;
    threads.emplace_back([&weights, name = e.name] {
      for (int i = 0; i < 50; ++i) (void)weights.load(name);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(weights.unused_keys() ==
        std::vector<std::string>{"bn.num_batches_tracked", "vision.brain", "vision.half"});
}

TEST_CASE("weight_source: a null file is an argument_error") {
  CHECK_THROWS_AS(weight_source(nullptr), admn::argument_error);
}

TEST_CASE("weight_source: nearest keys rank by edit distance, ties by name") {
  std::vector<std::byte> b(1);
  std::vector<tensor_entry> entries;
  std::vector<std::vector<std::byte>> storage(6, std::vector<std::byte>(1));
  const char* names[] = {"abcd", "abce", "abxx", "zzzz", "abc", "abcdef"};
  for (int i = 0; i < 6; ++i)
    entries.push_back({names[i], dtype::u8, {1}, storage[static_cast<std::size_t>(i)]});
  const auto file =
      std::make_shared<const safetensors_file>(safetensors_file::from_bytes(admn::io::serialize(entries)));
  const auto nearest = admn::io::detail::nearest_keys(*file, "abcf");
  CHECK(nearest == std::vector<std::string_view>{"abc", "abcd", "abce"});
  CHECK(admn::io::detail::edit_distance("kitten", "sitting", SIZE_MAX) == 3);
  CHECK(admn::io::detail::edit_distance("", "abc", SIZE_MAX) == 3);
}

TEST_CASE("weight_source: read() lends aligned F32 bytes without a copy, converts the rest, checks first") {
  const checkpoint c;
  const weight_source weights(c.file);
  const auto stored = c.file->tensor("vision.blocks.3.attn.qkv.weight").bytes();
  const float* seen = nullptr;
  const float sum = weights.sub("vision.blocks.3.")
                        .read("attn.qkv.weight", admn::shape{6, 4}, [&](std::span<const float> values) {
                          seen = values.data();
                          CHECK(values.size() == 24);
                          return values[23] + values[1];
                        });
  CHECK(sum == 12.0f);
  CHECK(static_cast<const void*>(seen) == static_cast<const void*>(stored.data()));  // the file's bytes
  std::vector<float> brain;
  weights.read("vision.brain", admn::shape{2},
               [&](std::span<const float> values) { brain.assign(values.begin(), values.end()); });
  CHECK(brain == std::vector<float>{1.0f, 3.0f});
  const auto unused = weights.unused_keys();
  CHECK(std::find(unused.begin(), unused.end(), "vision.blocks.3.attn.qkv.weight") == unused.end());
  CHECK(std::find(unused.begin(), unused.end(), "vision.brain") == unused.end());

  bool called = false;
  CHECK(message_of([&] {
          weights.read("head.weight", admn::shape{4, 2}, [&](std::span<const float>) { called = true; });
        }) == "[admn.load.shape] tensor 'head.weight': expected [4,2], got [2,4]");
  CHECK(message_of([&] {
          weight_source(c.file, {.convert_half = false}).read("vision.half", admn::shape{3}, [&](auto) {
            called = true;
          });
        }).rfind("[admn.load.dtype]", 0) == 0);
  CHECK_FALSE(called);
  CHECK(std::find(unused.begin(), unused.end(), "head.weight") != unused.end());
}
