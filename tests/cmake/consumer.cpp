// A user's program: includes the umbrella header and uses the library.
#include <admn/admn.hpp>

#include <cstdio>

int main() {
  admn::tensor t(admn::shape{2, 3});
  t.fill(1.5f);
  const auto m = admn::as_matrix(admn::const_view(t.view()));
  const float total = m.sum();
  std::printf("admn consumer: sum = %g\n", static_cast<double>(total));
  return total == 9.0f ? 0 : 1;
}
