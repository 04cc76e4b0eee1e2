// A const view cannot be written through.
// expect: read-only|assignment of|cannot assign to return value
#include <admn/tensor/tensor.hpp>

int main() {
  const admn::tensor t(admn::shape{2});
  admn::const_view v = t.view();
  v(1) = 3.0f;
  return 0;
}
