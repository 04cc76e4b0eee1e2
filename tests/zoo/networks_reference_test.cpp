// The three ADMN reference networks against the PyTorch reference
// (tests/reference/make_network_fixtures.py): identical layer masks, controller
// logits, QoI and outputs within 1e-5 relative error, batch 1 and 3, budgets
// 2 / middle / max, antialias on and off; and with bf16 backbones within 1e-2, int8
// backbones within 3e-2 (the controller stays f32: the masks are identical).
#include "common/network_cases.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

void check_arch(const std::string& arch, admn::kernels::precision precision = admn::kernels::precision::fp32,
                double low_precision_tolerance = 1e-2) {
  const std::string dir = std::string(ADMN_TEST_FIXTURES) + "/networks/";
  admn::test::check_network_cases(dir + arch + "_small.safetensors", dir + arch + "_small_cases.safetensors",
                                  precision, low_precision_tolerance);
}

}  // namespace

TEST_CASE("GTDM (reduced) equals the PyTorch reference") { check_arch("gtdm"); }
TEST_CASE("AVE (reduced) equals the PyTorch reference") { check_arch("ave"); }
TEST_CASE("MMFI (reduced) equals the PyTorch reference") { check_arch("mmfi"); }

// The opt-in bf16 backbones (kernels/gemm_bf16.hpp): the same masks, outputs within 1e-2.
TEST_CASE("GTDM (reduced) with bf16 backbones stays within 1e-2 of the PyTorch reference") {
  if constexpr (!admn::kernels::bf16_available) {
    MESSAGE("not compiled for AVX512-BF16");
    return;
  }
  check_arch("gtdm", admn::kernels::precision::bf16);
}
TEST_CASE("AVE (reduced) with bf16 backbones stays within 1e-2 of the PyTorch reference") {
  if constexpr (!admn::kernels::bf16_available) return;
  check_arch("ave", admn::kernels::precision::bf16);
}

// The opt-in int8 backbones (kernels/gemm_int8.hpp; every CPU): the same masks, outputs within 3e-2.
TEST_CASE(
    "GTDM (reduced) with int8 backbones keeps the masks and stays within 3e-2 of the PyTorch reference") {
  check_arch("gtdm", admn::kernels::precision::int8, 3e-2);
}
TEST_CASE(
    "AVE (reduced) with int8 backbones keeps the masks and stays within 3e-2 of the PyTorch reference") {
  check_arch("ave", admn::kernels::precision::int8, 3e-2);
}
