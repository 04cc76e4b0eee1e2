// The avx2 kernel table (kernels/isa/table.ipp), compiled with the avx2 flags by admn_add_kernels.
#define ADMN_ISA_LEVEL avx2
#include "table.ipp"
