// The stable id of the admn::error a call throws, for CHECK(error_id(...) == "admn.…").
#pragma once

#include <admn/error.hpp>

#include <string>

namespace admn::test {

// fn()'s error id, or "none" when it throws nothing (any other exception propagates).
template <class Fn>
std::string error_id(Fn&& fn) {
  try {
    fn();
  } catch (const error& e) {
    return e.id();
  }
  return "none";
}

}  // namespace admn::test
