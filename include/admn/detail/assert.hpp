// admn/detail/assert.hpp — internal invariant checks, debug builds only.
//
// ADMN_ASSERT guards admn's own logic, never user input (user input throws
// admn::error). It compiles to nothing under NDEBUG so the hot path stays free.
#pragma once

#include <cstdio>
#include <cstdlib>

#ifdef NDEBUG
#define ADMN_ASSERT(condition) ((void)0)
#else
#define ADMN_ASSERT(condition) \
  ((condition) ? (void)0 : ::admn::detail::assertion_failed(#condition, __FILE__, __LINE__))
#endif

namespace admn::detail {

[[noreturn]] inline void assertion_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "admn internal assertion failed: %s (%s:%d)\n", condition, file, line);
  std::abort();
}

}  // namespace admn::detail
