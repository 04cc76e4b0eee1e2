// Implicit copies of (possibly huge) tensors do not compile.
// The harness reads the expectation from one line.
// clang-format off
// expect: use of deleted function .*tensor\(const admn::tensor&\)|call to deleted constructor of .admn::tensor.
// clang-format on
#include <admn/tensor/tensor.hpp>

int main() {
  admn::tensor t(admn::shape{3});
  admn::tensor copy = t;
  return copy.size() == 3 ? 0 : 1;
}
