// The three ADMN reference networks against the PyTorch reference
// (tests/reference/make_network_fixtures.py): identical layer masks, controller
// logits, QoI and outputs within 1e-5 relative error, batch 1 and 3, budgets
// 2 / middle / max, antialias on and off.
#include "common/network_cases.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

void check_arch(const std::string& arch) {
  const std::string dir = std::string(ADMN_TEST_FIXTURES) + "/networks/";
  admn::test::check_network_cases(dir + arch + "_small.safetensors", dir + arch + "_small_cases.safetensors");
}

}  // namespace

TEST_CASE("GTDM (reduced) equals the PyTorch reference") { check_arch("gtdm"); }
TEST_CASE("AVE (reduced) equals the PyTorch reference") { check_arch("ave"); }
TEST_CASE("MMFI (reduced) equals the PyTorch reference") { check_arch("mmfi"); }
