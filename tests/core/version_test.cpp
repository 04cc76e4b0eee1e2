// The version macros agree with each other and with CMake's project(admn VERSION …).
#include <admn/fwd.hpp>

#include <doctest/doctest.h>

#include <string>

TEST_CASE("ADMN_VERSION_* match the CMake project version") {
  const std::string joined = std::to_string(ADMN_VERSION_MAJOR) + "." + std::to_string(ADMN_VERSION_MINOR) +
                             "." + std::to_string(ADMN_VERSION_PATCH);
  CHECK(joined == ADMN_VERSION_STRING);
  CHECK(std::string(ADMN_VERSION_STRING) == ADMN_PROJECT_VERSION);
  static_assert(ADMN_VERSION == ADMN_VERSION_MAJOR * 10000 + ADMN_VERSION_MINOR * 100 + ADMN_VERSION_PATCH);
  static_assert(ADMN_VERSION_MINOR < 100 && ADMN_VERSION_PATCH < 100, "ADMN_VERSION needs two digits each");
}
