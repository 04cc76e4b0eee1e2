// The sse2 kernel table (kernels/isa/table.ipp), compiled with the sse2 flags by admn_add_kernels.
#define ADMN_ISA_LEVEL sse2
#include "table.ipp"
