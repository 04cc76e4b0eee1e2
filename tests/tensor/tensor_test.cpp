#include <admn/tensor/tensor.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <numeric>
#include <vector>

TEST_CASE("tensors are zero-filled and 64-byte aligned") {
  for (std::size_t n : {1u, 3u, 17u, 1000u}) {
    admn::tensor t(admn::shape{n});
    CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
    for (float v : t.values()) CHECK(v == 0.0f);
  }
  const admn::tensor empty(admn::shape{0, 4});
  CHECK(empty.size() == 0);
  CHECK(empty.data() == nullptr);
}

TEST_CASE("tensor views, clone and move") {
  admn::tensor t(admn::shape{2, 3});
  std::iota(t.values().begin(), t.values().end(), 1.0f);
  CHECK(t(1, 2) == 6.0f);
  t(0, 1) = 10.0f;
  CHECK(t.view()(0, 1) == 10.0f);

  admn::tensor copy = t.clone();
  CHECK(copy.data() != t.data());
  copy(0, 0) = -5.0f;
  CHECK(t(0, 0) == 1.0f);

  const float* before = t.data();
  admn::tensor moved = std::move(t);
  CHECK(moved.data() == before);
  CHECK(moved.shape() == admn::shape{2, 3});
}

TEST_CASE("copy_of makes a strided view contiguous") {
  std::vector<float> data(12);
  std::iota(data.begin(), data.end(), 0.0f);
  // Every other column of a 3x4 matrix: shape [3,2], strides [4,2].
  const admn::const_view strided(data.data(), admn::shape{3, 2}, admn::strides_t{4, 2});
  const admn::tensor dense = admn::tensor::copy_of(strided);
  const std::vector<float> expected{0, 2, 4, 6, 8, 10};
  CHECK(std::vector<float>(dense.values().begin(), dense.values().end()) == expected);
}

TEST_CASE("fill") {
  admn::tensor t(admn::shape{5});
  t.fill(2.5f);
  for (float v : t.values()) CHECK(v == 2.5f);
}

TEST_CASE("a default tensor is empty") {
  const admn::tensor t;
  CHECK(t.size() == 0);
  CHECK(t.shape() == admn::shape{0});
  CHECK(t.values().empty());
}
