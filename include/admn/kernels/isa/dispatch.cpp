// The run-time choice among the level tables (kernels/isa/*.cpp), compiled without
// instruction-set flags by admn_add_kernels: it runs before anything is known about the CPU.
#define ADMN_KERNELS_ISA_TU 1  // declares run_chunks_baseline, defined here
#include <admn/kernels/dispatch.hpp>

namespace admn::kernels::detail {

namespace {

const kernel_table& level_table(isa_level level) noexcept {
  switch (level) {
    case isa_level::avx512_bf16:
      return isa_avx512_bf16::table();
    case isa_level::avx512:
      return isa_avx512::table();
    case isa_level::avx2:
      return isa_avx2::table();
    case isa_level::sse2:
      break;
  }
  return isa_sse2::table();
}

}  // namespace

const kernel_table& dispatched_table() {
  static const kernel_table table = [] {
    kernel_table t = level_table(active_isa());
    if (t.gemm_bf16 == nullptr) t.gemm_bf16 = &entry::gemm_bf16_unavailable;
    return t;
  }();
  return table;
}

void run_chunks_baseline(std::size_t count, std::size_t chunk, chunk_body body, void* context) {
  run_chunks(count, chunk, body, context);
}

}  // namespace admn::kernels::detail
