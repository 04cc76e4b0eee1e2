#include <admn/tensor/eigen.hpp>
#include <admn/tensor/tensor.hpp>

#include <doctest/doctest.h>

#include <numeric>

TEST_CASE("views map to row-major Eigen matrices without copying") {
  admn::tensor a(admn::shape{2, 3});
  std::iota(a.values().begin(), a.values().end(), 1.0f);  // [[1,2,3],[4,5,6]]
  const auto m = admn::as_matrix(admn::const_view(a.view()));
  CHECK(m.rows() == 2);
  CHECK(m.cols() == 3);
  CHECK(m(1, 0) == 4.0f);
  CHECK(m.data() == a.data());

  admn::tensor out(admn::shape{2, 2});
  admn::as_matrix(out.view()).noalias() = m * m.transpose();
  CHECK(out(0, 0) == 14.0f);
  CHECK(out(0, 1) == 32.0f);
  CHECK(out(1, 1) == 77.0f);
}

TEST_CASE("row slices keep their leading dimension") {
  admn::tensor a(admn::shape{4, 3});
  std::iota(a.values().begin(), a.values().end(), 0.0f);
  const auto lower = admn::as_matrix(admn::const_view(a.view().slice(2, 4)));
  CHECK(lower(0, 0) == 6.0f);
  CHECK(lower(1, 2) == 11.0f);
  // A sub-block of columns through the raw-pointer overload.
  const auto block = admn::as_matrix(a.data() + 1, 4, 2, 3);
  CHECK(block(3, 1) == 11.0f);
  CHECK(block.sum() == 1 + 2 + 4 + 5 + 7 + 8 + 10 + 11);
}
