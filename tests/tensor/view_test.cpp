#include <admn/tensor/view.hpp>

#include <doctest/doctest.h>

#include <numeric>
#include <vector>

TEST_CASE("contiguous views index row-major") {
  std::vector<float> data(24);
  std::iota(data.begin(), data.end(), 0.0f);
  const admn::const_view v(data.data(), admn::shape{2, 3, 4});
  CHECK(v.is_contiguous());
  CHECK(v.stride(0) == 12);
  CHECK(v.stride(1) == 4);
  CHECK(v.stride(2) == 1);
  CHECK(v(1, 2, 3) == 23.0f);
  CHECK(v(0, 1, 0) == 4.0f);
  CHECK(v[1](0, 0) == 12.0f);
  CHECK(v[1].shape() == admn::shape{3, 4});
}

TEST_CASE("slices and strided views") {
  std::vector<float> data(12);
  std::iota(data.begin(), data.end(), 0.0f);
  admn::mutable_view m(data.data(), admn::shape{4, 3});
  const auto rows = m.slice(1, 3);
  CHECK(rows.shape() == admn::shape{2, 3});
  CHECK(rows(0, 0) == 3.0f);
  CHECK(rows.is_contiguous());
  // Column 1 as a strided rank-1 view.
  const admn::const_view column(data.data() + 1, admn::shape{4}, admn::strides_t{3});
  CHECK_FALSE(column.is_contiguous());
  CHECK(column(3) == 10.0f);
  rows(1, 2) = -1.0f;
  CHECK(data[8] == -1.0f);
}

TEST_CASE("a mutable view converts to a const view") {
  std::vector<float> data(6, 1.0f);
  admn::mutable_view m(data.data(), admn::shape{2, 3});
  const admn::const_view c = m;
  CHECK(c.data() == data.data());
  CHECK(c.shape() == m.shape());
}

TEST_CASE("reshape keeps the data and checks counts and contiguity") {
  std::vector<float> data(12);
  std::iota(data.begin(), data.end(), 0.0f);
  const admn::const_view v(data.data(), admn::shape{3, 4});
  const auto r = v.reshape(admn::shape{2, 6});
  CHECK(r(1, 0) == 6.0f);
  try {
    (void)v.reshape(admn::shape{5, 2});
    FAIL("expected shape_error");
  } catch (const admn::shape_error& e) {
    CHECK(e.id() == "admn.shape.reshape");
    CHECK(std::string(e.what()).find("[3,4] to [5,2]") != std::string::npos);
  }
  const admn::const_view strided(data.data(), admn::shape{2, 2}, admn::strides_t{8, 1});
  CHECK_THROWS_AS((void)strided.reshape(admn::shape{4}), admn::shape_error);
}
