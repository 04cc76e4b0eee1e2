// A user's program: includes the umbrella header and uses the library.
#include <admn/admn.hpp>

#include <cstdio>

int main() {
  admn::tensor t(admn::shape{2, 3});
  t.fill(1.5f);
  const auto m = admn::as_matrix(admn::const_view(t.view()));
  const float total = m.sum();
  std::printf("admn consumer: sum = %g\n", static_cast<double>(total));
  // Built with admn_add_kernels: the kernel table is the run-time choice, and a Linear runs on it.
  static_assert(admn::kernels::dispatched);
  const auto& kernels = admn::kernels::active();
  std::printf("admn consumer: %s\n", admn::kernels::describe_kernels().c_str());
  admn::tensor w(admn::shape{3, 40}), x(admn::shape{2, 40}), y(admn::shape{2, 3});
  w.fill(0.5f);
  x.fill(2.0f);
  admn::layers::linear(w, std::nullopt).forward(x.view(), y.view());
  const bool linear_ok = y.data()[0] == 40.0f && y.data()[5] == 40.0f;
  return total == 9.0f && kernels.level == admn::kernels::active_isa() && linear_ok ? 0 : 1;
}
