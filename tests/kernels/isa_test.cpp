// kernels/isa.hpp and kernels/dispatch.hpp: level names, the CPU check, ADMN_ISA, and the
// kernel table of the chosen level against the scalar references (CTest runs this suite once
// per level the CPU supports, ADMN_ISA set: tests/CMakeLists.txt).
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/isa.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace admn::kernels;

namespace {

cpu_features avx2_cpu() {
  cpu_features f;
  f.sse2 = f.avx2 = f.fma = f.os_avx = true;
  return f;
}

cpu_features full_cpu() {
  cpu_features f = avx2_cpu();
  f.avx512f = f.avx512bw = f.avx512dq = f.avx512vl = f.os_avx512 = true;
  f.avx512_bf16 = f.avx512_vnni = true;
  return f;
}

}  // namespace

TEST_CASE("isa level names round-trip and an unknown one is a typed error naming it") {
  for (const isa_level l : isa_levels) CHECK(parse_isa(to_string(l)) == l);
  CHECK(to_string(isa_level::avx512_bf16) == "avx512_bf16");
  try {
    (void)parse_isa("avx1024");
    FAIL("parse_isa accepted avx1024");
  } catch (const admn::argument_error& e) {
    CHECK(e.id() == "admn.isa.unknown");
    CHECK(std::string(e.what()).find("'avx1024'") != std::string::npos);
  }
  CHECK_THROWS_AS((void)parse_isa("AVX2"), admn::argument_error);
  CHECK_THROWS_AS((void)parse_isa(""), admn::argument_error);
}

TEST_CASE("a level needs every feature and the operating system's register state") {
  cpu_features f = full_cpu();
  CHECK(f.best() == isa_level::avx512_bf16);
  f.avx512_vnni = false;
  CHECK(f.best() == isa_level::avx512);
  f.os_avx512 = false;  // the OS does not save ZMM registers: no AVX-512 at all
  CHECK(f.best() == isa_level::avx2);
  f.fma = false;
  CHECK(f.best() == isa_level::sse2);
  CHECK(cpu_features{}.best() == isa_level::sse2);
  CHECK(!cpu_features{}.supports(isa_level::sse2));
  CHECK(full_cpu().to_string().find("avx512_bf16") != std::string::npos);
}

TEST_CASE("ADMN_ISA picks a level the CPU has and refuses others, naming the CPU's best") {
  const isa_choice unset = choose_isa(full_cpu(), nullptr);
  CHECK(unset.level == isa_level::avx512_bf16);
  CHECK(!unset.forced);
  CHECK(choose_isa(full_cpu(), "").level == isa_level::avx512_bf16);
  const isa_choice forced = choose_isa(full_cpu(), "avx2");
  CHECK(forced.level == isa_level::avx2);
  CHECK(forced.forced);
  CHECK(choose_isa(avx2_cpu(), "sse2").level == isa_level::sse2);
  try {
    (void)choose_isa(avx2_cpu(), "avx512");
    FAIL("an AVX2 CPU accepted ADMN_ISA=avx512");
  } catch (const admn::config_error& e) {
    CHECK(e.id() == "admn.isa.unsupported");
    const std::string what = e.what();
    CHECK(what.find("ADMN_ISA=avx512") != std::string::npos);
    CHECK(what.find("its best is avx2") != std::string::npos);
  }
  CHECK_THROWS_AS((void)choose_isa(full_cpu(), "neon"), admn::argument_error);
}

TEST_CASE("the chosen level is the CPU's best unless ADMN_ISA names one, and the table is that level's") {
  const cpu_features cpu = detect_cpu();
  CHECK(cpu.sse2);
  CHECK(cpu.supports(isa_level::sse2));
  const char* env = std::getenv("ADMN_ISA");
  const bool forced = env != nullptr && *env != '\0';
  const isa_level want = forced ? parse_isa(env) : cpu.best();
  MESSAGE(describe_cpu() << "; cpu: " << cpu.to_string());
  MESSAGE(describe_kernels());
  CHECK(active_isa() == want);
  CHECK(isa_selection().forced == forced);
  CHECK(describe_cpu().find("isa " + std::string(to_string(want))) == 0);
  CHECK(describe_cpu().find(forced ? "ADMN_ISA=" : "ADMN_ISA unset") != std::string::npos);
  if constexpr (dispatched) {
    CHECK(active().level == want);
    CHECK(describe_kernels().find("chosen at run time") != std::string::npos);
  }
  const kernel_table& t = active();
  CHECK(t.gemm_panel == (t.level >= isa_level::avx512 ? 32u : t.level == isa_level::avx2 ? 16u : 8u));
  CHECK(t.bf16 == (t.level == isa_level::avx512_bf16));
  CHECK(t.int8_vnni == (t.level == isa_level::avx512_bf16));
}

TEST_CASE("the active table's products match the scalar references") {
  const kernel_table& t = active();
  const std::size_t m = 13, n = 45, k = 37;
  const gemm_shape s{m, n, k, k, k, n};
  const auto a = admn::test::uniform(m * k, -1.0f, 1.0f, 1);
  const auto w = admn::test::uniform(n * k, -1.0f, 1.0f, 2);
  const auto bias = admn::test::uniform(n, -1.0f, 1.0f, 3);
  const gemm_epilogue e{bias.data(), activation_fn{activation::relu}, false};
  std::vector<float> got(m * n), want(m * n);

  const packed_weights packed(t.gemm_panel, w.data(), n, k, k);
  CHECK(packed.panel() == t.gemm_panel);
  CHECK(packed.weight(44, 36) == w[44 * k + 36]);
  t.gemm(m, a.data(), k, packed, got.data(), n, e);
  reference::gemm(s, a.data(), w.data(), want.data(), e);
  CHECK(admn::test::relative_error(got, want) <= 1e-6);

  // int8: exact integer sums, so the kernel equals its reference bit for bit on every level.
  t.gemm_int8(m, a.data(), k, packed_weights_int8(w.data(), n, k, k), got.data(), n, e);
  reference::gemm_int8(s, a.data(), w.data(), want.data(), e);
  CHECK(admn::test::same_bits(got, want));

  const packed_weights_bf16 packed_bf16(w.data(), n, k, k);
  if (t.bf16) {
    t.gemm_bf16(m, a.data(), k, packed_bf16, got.data(), n, e);
    reference::gemm_bf16(s, a.data(), w.data(), want.data(), e);
    CHECK(admn::test::same_bits(got, want));
  } else {
    try {
      t.gemm_bf16(m, a.data(), k, packed_bf16, got.data(), n, e);
      FAIL("gemm_bf16 ran without AVX512-BF16 kernels");
    } catch (const admn::config_error& error) {
      CHECK(error.id() == "admn.config.precision");
    }
    CHECK_THROWS_AS(require_available(precision::bf16, t), admn::config_error);
  }
}

TEST_CASE("the active table's element-wise and normalising kernels match the scalar references") {
  const kernel_table& t = active();
  const std::size_t rows = 5, dim = 37;
  const auto x = admn::test::uniform(rows * dim, -2.0f, 2.0f, 4);
  const auto gamma = admn::test::uniform(dim, 0.5f, 1.5f, 5);
  const auto beta = admn::test::uniform(dim, -0.5f, 0.5f, 6);
  std::vector<float> got(rows * dim), want(rows * dim);

  t.layer_norm({rows, dim, dim, dim}, x.data(), gamma.data(), beta.data(), 1e-5f, got.data());
  reference::layer_norm({rows, dim, dim, dim}, x.data(), gamma.data(), beta.data(), 1e-5f, want.data());
  CHECK(admn::test::relative_error(got, want) <= 1e-5);

  got = x, want = x;
  t.softmax(got.data(), rows, dim, dim, 1.0f);
  reference::softmax(want.data(), rows, dim, dim);
  CHECK(admn::test::relative_error(got, want) <= 1e-5);

  got = x, want = x;
  t.activate(activation_fn{activation::gelu_erf}, got.data(), got.size());
  reference::activate(activation_fn{activation::gelu_erf}, want.data(), want.size());
  CHECK(admn::test::relative_error(got, want) <= 1e-5);

  got = x, want = x;
  t.prelu_channels(got.data(), rows, dim, dim, gamma.data());
  reference::prelu_channels(want.data(), rows, dim, dim, gamma.data());
  CHECK(admn::test::same_bits(got, want));

  got = x;
  t.add(beta.data(), got.data(), dim);
  for (std::size_t i = 0; i < dim; ++i) want[i] = x[i] + beta[i];
  CHECK(admn::test::same_bits(std::span(got).first(dim), std::span(want).first(dim)));
}
