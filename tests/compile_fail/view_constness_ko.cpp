// A const view never converts back to a mutable one.
// expect: conversion from .*tensor_view<const float>.* to (non-scalar type )?.*tensor_view<float>
#include <admn/tensor/tensor.hpp>

int main() {
  const admn::tensor t(admn::shape{2});
  admn::const_view c = t.view();
  admn::mutable_view m = c;
  return m.size() == 2 ? 0 : 1;
}
