// The workspace contract every network type must keep: nobody sizes a workspace in
// advance, the first run on a fresh one is the sizing pass, and a repeated run
// allocates nothing and gives the same bits.
#pragma once

#include <admn/tensor/workspace.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <utility>

namespace admn::test {

// Calls run(ws) twice on one fresh workspace and checks the contract above on the
// results' named outputs; returns the first result.
template <class Run>
auto sized_by_first_run(Run&& run) {
  workspace ws;
  auto first = run(ws);
  CHECK(ws.used() == 0);
  const std::size_t sized = ws.allocations();
  CHECK(sized > 0);
  const auto second = run(ws);
  CHECK(ws.used() == 0);
  CHECK(ws.allocations() == sized);
  CHECK(same_outputs(second, first));
  return first;
}

}  // namespace admn::test
