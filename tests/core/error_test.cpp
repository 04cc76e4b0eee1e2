#include <admn/error.hpp>

#include <doctest/doctest.h>

#include <string>

template <class Error>
static void check_family(const char* id) {
  try {
    throw Error(id, "tensor 'x': bad");
  } catch (const admn::error& e) {
    CHECK(e.id() == id);
    CHECK(std::string(e.what()) == std::string("[") + id + "] tensor 'x': bad");
    CHECK(dynamic_cast<const Error*>(&e) != nullptr);
  }
}

TEST_CASE("every error family carries its stable id in brackets") {
  check_family<admn::load_error>("admn.load.shape");
  check_family<admn::format_error>("admn.safetensors.header_too_large");
  check_family<admn::shape_error>("admn.shape.overflow");
  check_family<admn::config_error>("admn.config.depth");
  check_family<admn::budget_error>("admn.budget.too_small");
  check_family<admn::argument_error>("admn.cli.unknown_flag");
}

TEST_CASE("admn errors are std::runtime_error and distinct from one another") {
  try {
    throw admn::budget_error("admn.budget.too_large", "L = 30");
  } catch (const admn::load_error&) {
    FAIL("budget_error must not be a load_error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).rfind("[admn.budget.too_large] ", 0) == 0);
  }
}
