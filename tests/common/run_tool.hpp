// Runs the built command-line tools as a user would, through /bin/sh, and collects what
// they report: the exit status, the text they wrote, and their peak memory.
#pragma once

#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace admn::test {

struct tool_outcome {
  int code;  // the exit status, -1 when killed by a signal
  std::string stderr_text;
  long max_rss_kb = 0;  // peak resident memory of the shell and the tool
  std::string stdout_text{};
};

// A file name of this process in the temporary directory (ctest -j runs test cases as
// parallel processes).
inline std::filesystem::path temp_path(const std::string& stem,
                                       const std::string& extension = ".safetensors") {
  return std::filesystem::temp_directory_path() / (stem + "-" + std::to_string(::getpid()) + extension);
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `command` (which redirects what it reports into `report`) and returns its outcome
// with the text of `report`, which it then removes. wait4 gives the child's own peak memory.
inline tool_outcome run_command(const std::string& command, const std::filesystem::path& report) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  REQUIRE(::wait4(child, &status, 0, &usage) == child);
  std::string text = read_text(report);
  std::filesystem::remove(report);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::move(text), usage.ru_maxrss};
}

// Runs `program arguments` with its stdout and stderr captured.
inline tool_outcome run_tool(const std::string& program, const std::string& arguments) {
  const auto out = temp_path("admn-tool", ".stdout"), err = temp_path("admn-tool", ".stderr");
  tool_outcome r = run_command(program + " " + arguments + " > " + out.string() + " 2> " + err.string(), err);
  r.stdout_text = read_text(out);
  std::filesystem::remove(out);
  return r;
}

#ifdef ADMN_RUN
// The built admn-run (its path comes from the build, see tests/CMakeLists.txt).
inline tool_outcome run_admn_run(const std::string& arguments) { return run_tool(ADMN_RUN, arguments); }
#endif

}  // namespace admn::test
