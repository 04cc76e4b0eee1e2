// Tensors are copied explicitly with clone().
#include <admn/tensor/tensor.hpp>

int main() {
  admn::tensor t(admn::shape{3});
  admn::tensor copy = t.clone();
  return copy.size() == 3 ? 0 : 1;
}
