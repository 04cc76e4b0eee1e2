// The avx512_bf16 kernel table (kernels/isa/table.ipp), compiled with the avx512_bf16 flags by
// admn_add_kernels.
#define ADMN_ISA_LEVEL avx512_bf16
#include "table.ipp"
