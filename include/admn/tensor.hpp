// admn/tensor.hpp — the tensor tier: dtypes, shapes, views, owning tensors, Eigen maps.
#pragma once

#include <admn/tensor/dtype.hpp>
#include <admn/tensor/eigen.hpp>
#include <admn/tensor/half.hpp>
#include <admn/tensor/shape.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/tensor/view.hpp>
