// admn/detail/format.hpp — numbers in describe() texts.
#pragma once

#include <ios>
#include <sstream>
#include <string>

namespace admn::detail {

// `v` with exactly `decimals` digits after the point ("35.2550"), whatever the locale's stream flags.
[[nodiscard]] inline std::string fixed_decimal(double v, int decimals) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(decimals);
  s << v;
  return s.str();
}

}  // namespace admn::detail
