// admn/kernels.hpp — the kernel tier: raw-pointer compute kernels, each with a scalar reference.
#pragma once

#include <admn/kernels/activation.hpp>
#include <admn/kernels/attention.hpp>
#include <admn/kernels/batch_norm.hpp>
#include <admn/kernels/conv2d.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/executor.hpp>
#include <admn/kernels/gemm.hpp>
#include <admn/kernels/gemm_bf16.hpp>
#include <admn/kernels/gemm_int8.hpp>
#include <admn/kernels/isa.hpp>
#include <admn/kernels/kernel_table.hpp>
#include <admn/kernels/layer_norm.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/kernels/pooling.hpp>
#include <admn/kernels/posenc.hpp>
#include <admn/kernels/precision.hpp>
#include <admn/kernels/resize.hpp>
#include <admn/kernels/softmax.hpp>
