// admn/cli/memory.hpp — this process's resident memory, for admn-run and admn-bench (Linux only:
// read from /proc/self/status; elsewhere every figure is 0 and `known` is false).
//
//   peak   VmHWM    the high-water mark of the resident set since the process started
//   now    VmRSS    the resident set now
//   file   RssFile  of `now`, pages of mapped files (the model's mapping)
#pragma once

#include <cstdio>
#include <cstring>

namespace admn::cli {

struct resident_memory {
  bool known = false;
  double peak_mib = 0, now_mib = 0, file_mib = 0;
};

inline resident_memory resident() {
  resident_memory m;
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return m;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long kib = 0;
    if (std::sscanf(line, "VmHWM: %lu kB", &kib) == 1) {
      m.peak_mib = static_cast<double>(kib) / 1024.0;
      m.known = true;
    } else if (std::sscanf(line, "VmRSS: %lu kB", &kib) == 1) {
      m.now_mib = static_cast<double>(kib) / 1024.0;
    } else if (std::sscanf(line, "RssFile: %lu kB", &kib) == 1) {
      m.file_mib = static_cast<double>(kib) / 1024.0;
    }
  }
  std::fclose(f);
  return m;
}

}  // namespace admn::cli
