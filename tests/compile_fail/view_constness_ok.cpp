// A mutable view converts to a const view.
#include <admn/tensor/tensor.hpp>

int main() {
  admn::tensor t(admn::shape{2});
  admn::const_view c = t.view();
  return c.size() == 2 ? 0 : 1;
}
