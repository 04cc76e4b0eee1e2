// admn/kernels/unfused.hpp — a float product rounded on its own.
//
// Tables built when a layer or plan is constructed (filterbank windows and mel weights, resize
// weights, folded BatchNorm) run in the program's own translation units, compiled with whatever
// flags the program has. GCC fuses a·b + c into one FMA wherever the translation unit has FMA
// (-ffp-contract=fast, its default, across statements too), so such a table would depend on the
// program's -m flags. They are defined, like PyTorch's float32 code, with the product rounded
// first: the same table in every build, whatever level the kernels run.
#pragma once

namespace admn::kernels {

// x·y rounded to float; never fused with a following addition.
[[nodiscard]] inline float unfused_product(float x, float y) noexcept {
  float p = x * y;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __asm__("" : "+x"(p));  // an opaque use: the compiler cannot see the addition through it
#else
  volatile float barrier = p;
  p = barrier;
#endif
  return p;
}

}  // namespace admn::kernels
