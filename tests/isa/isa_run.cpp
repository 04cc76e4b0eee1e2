// admn_isa_run LEVEL COMMAND [ARGS...]: runs COMMAND when this CPU supports the instruction-set
// level LEVEL (kernels/isa.hpp), else exits 77 (CTest's SKIP_RETURN_CODE) saying so. The
// per-level tests (tests/isa/CMakeLists.txt) set ADMN_ISA themselves (ENVIRONMENT).
#include <admn/kernels/isa.hpp>

#include <unistd.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s LEVEL COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }
  try {
    const admn::kernels::isa_level level = admn::kernels::parse_isa(argv[1]);
    const admn::kernels::cpu_features cpu = admn::kernels::detect_cpu();
    if (!cpu.supports(level)) {
      std::printf("skipped: this CPU does not support %s (its best is %s)\n", argv[1],
                  std::string(admn::kernels::to_string(cpu.best())).c_str());
      return 77;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  execvp(argv[2], argv + 2);
  std::perror(argv[2]);
  return 127;
}
