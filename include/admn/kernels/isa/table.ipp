// admn/kernels/isa/table.ipp — one level's kernel table, included by kernels/isa/<level>.cpp
// after it defines ADMN_ISA_LEVEL (the level's name: sse2, avx2, avx512, avx512_bf16).
//
// The translation unit is compiled with the level's flags (admn_add_kernels). Everything it
// emits outside its level's namespace must be a template instantiated on its tag
// (kernels/isa/arch.hpp): a weak symbol of code compiled for this level that another
// translation unit also defines could be the one the linker keeps for the whole program.
// tests/cmake/isa_symbols.cmake checks the object files for that.
#define ADMN_ISA_CONCAT2(a, b) a##b
#define ADMN_ISA_CONCAT(a, b) ADMN_ISA_CONCAT2(a, b)

// Eigen's templates (conv2d's im2col product) are not templates on the tag: here they live in a
// namespace of this level's own, so its Eigen code is never another translation unit's.
#define Eigen ADMN_ISA_CONCAT(admn_eigen_, ADMN_ISA_LEVEL)
// oneTBB's loop is called through kernels/isa/dispatch.cpp (kernels/parallel.hpp).
#define ADMN_KERNELS_ISA_TU 1

// Internal assertions (debug builds) fail through this level's own function, not the
// inline admn::detail::assertion_failed.
#include <admn/detail/assert.hpp>
namespace admn::kernels::ADMN_ISA_CONCAT(isa_, ADMN_ISA_LEVEL) {
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line);
}
#ifndef NDEBUG
#undef ADMN_ASSERT
#define ADMN_ASSERT(condition)                                                                      \
  ((condition) ? (void)0                                                                            \
               : ::admn::kernels::ADMN_ISA_CONCAT(isa_, ADMN_ISA_LEVEL)::assertion_failed(#condition, \
                                                                                           __FILE__, __LINE__))
#endif

#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/isa/arch.hpp>

namespace admn::kernels::ADMN_ISA_CONCAT(isa_, ADMN_ISA_LEVEL) {

static_assert(level_of<isa_arch::ADMN_ISA_LEVEL>() == isa_level::ADMN_ISA_LEVEL,
              "kernels/isa: the level's flags do not give the level's kernels");

void assertion_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "admn internal assertion failed: %s (%s:%d)\n", condition, file, line);
  std::abort();
}

const kernel_table& table() noexcept {
  static constexpr kernel_table t = make_kernel_table<isa_arch::ADMN_ISA_LEVEL>(nullptr);
  return t;
}

}  // namespace admn::kernels::ADMN_ISA_CONCAT(isa_, ADMN_ISA_LEVEL)
