// A mutable view can be written through.
#include <admn/tensor/tensor.hpp>

int main() {
  admn::tensor t(admn::shape{2});
  admn::mutable_view v = t.view();
  v(1) = 3.0f;
  return v(1) == 3.0f ? 0 : 1;
}
