// The avx512 kernel table (kernels/isa/table.ipp), compiled with the avx512 flags by admn_add_kernels.
#define ADMN_ISA_LEVEL avx512
#include "table.ipp"
