// admn/kernels/isa.hpp — which instruction set the kernels run on, chosen once at run time.
//
// Levels, each a superset of the one before:
//   sse2         the x86-64 baseline (every CPU)
//   avx2         AVX2 + FMA
//   avx512       AVX-512 F/BW/DQ/VL (+ AVX2/FMA)
//   avx512_bf16  avx512 + AVX512_BF16 + AVX512_VNNI (precision::bf16, VNNI int8)
// A CPU supports a level when it has the instructions and the operating system saves
// the registers they use (XSAVE/XGETBV: the YMM state for avx2, the opmask and ZMM
// state for avx512). The chosen level is the best one the CPU supports, unless the
// environment variable ADMN_ISA names a level (one of the names above): then that level,
// which the CPU must support. The choice is made on first use and kept for the process.
//
// Programs built with the CMake function admn_add_kernels (ADMN_DISPATCH) run the kernels
// of the chosen level (kernels/dispatch.hpp); programs that only include the headers run
// the kernels their own compiler flags allow, whatever this file chooses.
#pragma once

#include <admn/error.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ADMN_ISA_X86 1
#else
#define ADMN_ISA_X86 0
#endif

namespace admn::kernels {

enum class isa_level : std::uint8_t { sse2, avx2, avx512, avx512_bf16 };

// Every level, lowest first.
inline constexpr std::array<isa_level, 4> isa_levels{isa_level::sse2, isa_level::avx2, isa_level::avx512,
                                                     isa_level::avx512_bf16};

// The level's name as ADMN_ISA spells it: "sse2", "avx2", "avx512", "avx512_bf16".
[[nodiscard]] constexpr std::string_view to_string(isa_level l) noexcept {
  switch (l) {
    case isa_level::avx2:
      return "avx2";
    case isa_level::avx512:
      return "avx512";
    case isa_level::avx512_bf16:
      return "avx512_bf16";
    case isa_level::sse2:
      break;
  }
  return "sse2";
}

// to_string's inverse. Throws argument_error [admn.isa.unknown] naming any other value.
[[nodiscard]] inline isa_level parse_isa(std::string_view name) {
  for (const isa_level l : isa_levels)
    if (name == to_string(l)) return l;
  throw argument_error("admn.isa.unknown", "unknown instruction set '" + std::string(name) +
                                               "': expected sse2, avx2, avx512 or avx512_bf16");
}

// What the CPU (and the operating system) offers, as far as the levels care.
struct cpu_features {
  bool sse2 = false;
  bool avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512_bf16 = false, avx512_vnni = false;
  bool os_avx = false;     // XCR0 enables the SSE and AVX (YMM) state
  bool os_avx512 = false;  // XCR0 enables the opmask and ZMM state too

  [[nodiscard]] constexpr bool supports(isa_level l) const noexcept {
    const bool avx2_ok = sse2 && avx2 && fma && os_avx;
    const bool avx512_ok = avx2_ok && avx512f && avx512bw && avx512dq && avx512vl && os_avx512;
    switch (l) {
      case isa_level::sse2:
        return sse2;
      case isa_level::avx2:
        return avx2_ok;
      case isa_level::avx512:
        return avx512_ok;
      case isa_level::avx512_bf16:
        return avx512_ok && avx512_bf16 && avx512_vnni;
    }
    return false;
  }
  // The highest supported level (sse2 on any x86-64 CPU).
  [[nodiscard]] constexpr isa_level best() const noexcept {
    isa_level out = isa_level::sse2;
    for (const isa_level l : isa_levels)
      if (supports(l)) out = l;
    return out;
  }
  // "sse2 avx2 fma avx512f … os:avx,avx512": the flags that are set.
  [[nodiscard]] std::string to_string() const {
    std::string out;
    const auto add = [&](bool on, std::string_view name) {
      if (!on) return;
      if (!out.empty()) out += ' ';
      out += name;
    };
    add(sse2, "sse2"), add(avx2, "avx2"), add(fma, "fma"), add(avx512f, "avx512f"), add(avx512bw, "avx512bw");
    add(avx512dq, "avx512dq"), add(avx512vl, "avx512vl"), add(avx512_bf16, "avx512_bf16");
    add(avx512_vnni, "avx512_vnni"), add(os_avx, "os-avx"), add(os_avx512, "os-avx512");
    return out.empty() ? std::string("none") : out;
  }
};

// The running CPU's features, from CPUID and XGETBV.
[[nodiscard]] inline cpu_features detect_cpu() noexcept {
  cpu_features f;
#if ADMN_ISA_X86
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0, &a, &b, &c, &d) == 0) return f;
  const unsigned max_leaf = a;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return f;
  f.sse2 = (d >> 26) & 1u;
  f.fma = (c >> 12) & 1u;
  const bool osxsave = (c >> 27) & 1u, avx = (c >> 28) & 1u;
  if (osxsave && avx) {
    unsigned lo = 0, hi = 0;
    // XGETBV(0) through its encoding: no -mxsave needed.
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0u));
    f.os_avx = (lo & 0x6u) == 0x6u;                   // XMM | YMM
    f.os_avx512 = f.os_avx && (lo & 0xE0u) == 0xE0u;  // opmask | ZMM_Hi256 | Hi16_ZMM
  }
  if (max_leaf >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0) {
    f.avx2 = (b >> 5) & 1u;
    f.avx512f = (b >> 16) & 1u;
    f.avx512dq = (b >> 17) & 1u;
    f.avx512bw = (b >> 30) & 1u;
    f.avx512vl = (b >> 31) & 1u;
    f.avx512_vnni = (c >> 11) & 1u;
    const unsigned subleaves = a;
    if (subleaves >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d) != 0) f.avx512_bf16 = (a >> 5) & 1u;
  }
#endif
  return f;
}

// A choice of level and how it was made.
struct isa_choice {
  isa_level level = isa_level::sse2;
  bool forced = false;  // named by ADMN_ISA (else: the CPU's best)
  cpu_features cpu{};
};

// The level for a CPU given ADMN_ISA's value (nullptr or empty: unset). Throws
// argument_error [admn.isa.unknown] for a value that names no level, and config_error
// [admn.isa.unsupported] for a level `cpu` lacks (naming it and the CPU's best).
[[nodiscard]] inline isa_choice choose_isa(const cpu_features& cpu, const char* requested) {
  if (requested == nullptr || *requested == '\0') return {cpu.best(), false, cpu};
  const isa_level l = parse_isa(requested);
  if (!cpu.supports(l))
    throw config_error("admn.isa.unsupported", "ADMN_ISA=" + std::string(to_string(l)) +
                                                   ": this CPU does not support it (its best is " +
                                                   std::string(to_string(cpu.best())) + ")");
  return {l, true, cpu};
}

// The process's choice: made on first call from this CPU and ADMN_ISA, then kept. Throws
// as choose_isa (again on the next call: a failed choice is not kept).
[[nodiscard]] inline const isa_choice& isa_selection() {
  static const isa_choice choice = choose_isa(detect_cpu(), std::getenv("ADMN_ISA"));
  return choice;
}

// The chosen level (see isa_selection).
[[nodiscard]] inline isa_level active_isa() { return isa_selection().level; }

// One line: the chosen level and why, e.g.
// "isa avx512_bf16 (the CPU's best; ADMN_ISA unset)" or "isa avx2 (ADMN_ISA=avx2; the CPU's best is
// avx512_bf16)".
[[nodiscard]] inline std::string describe_cpu() {
  const isa_choice& c = isa_selection();
  const std::string best(to_string(c.cpu.best()));
  if (c.forced)
    return "isa " + std::string(to_string(c.level)) + " (ADMN_ISA=" + std::string(to_string(c.level)) +
           "; the CPU's best is " + best + ")";
  return "isa " + std::string(to_string(c.level)) + " (the CPU's best; ADMN_ISA unset)";
}

}  // namespace admn::kernels
