// What each backend does when another process truncates the file after it was opened
// (documented at safetensors_file::open and in admn-run's --read):
//   read  — the data is in memory: the tensors stay readable and unchanged;
//   mmap  — the pages beyond the new end are gone: touching them faults (SIGBUS), as
//           for every mapping. Nothing portable can turn that into an exception, so
//           the caller picks the read backend for files that may change.
#include <admn/io.hpp>

#include "io/support.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <vector>

using admn::dtype;
using admn::io::backend;
using admn::io::safetensors_file;
using admn::test::io::temp_dir;

namespace {

// A file with one 64 KiB tensor (several pages), written to `path`; returns its values.
std::vector<float> write_model(const std::filesystem::path& path) {
  std::vector<float> values(16384);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.5f;
  const std::vector<admn::io::tensor_entry> entries{
      {"w", dtype::f32, {128, 128}, std::as_bytes(std::span(values))}};
  admn::io::save(path, entries);
  return values;
}

}  // namespace

TEST_CASE("truncation: a file opened with the read backend keeps its tensors") {
  temp_dir dir;
  const auto path = dir / "m.safetensors";
  const auto values = write_model(path);
  const auto file = safetensors_file::open(path, {.backend = backend::read});
  std::filesystem::resize_file(path, 64);
  const auto bytes = file.tensor("w").bytes();
  REQUIRE(bytes.size() == values.size() * sizeof(float));
  CHECK(std::memcmp(bytes.data(), values.data(), bytes.size()) == 0);
  // Opening the truncated file is a format error, not a fault.
  for (const auto b : {backend::read, backend::mmap})
    CHECK_THROWS_AS((void)safetensors_file::open(path, {.backend = b}), admn::format_error);
}

TEST_CASE("truncation: a mapped file faults when its truncated pages are touched") {
  temp_dir dir;
  const auto path = dir / "m.safetensors";
  (void)write_model(path);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // In the child only: map, truncate, read the vanished last page.
    const auto file = safetensors_file::open(path, {.backend = backend::mmap});
    std::filesystem::resize_file(path, 64);
    const auto bytes = file.tensor("w").bytes();
    volatile unsigned char sink = 0;
    for (std::size_t i = 0; i < bytes.size(); i += 4096) sink = sink + static_cast<unsigned char>(bytes[i]);
    sink = sink + static_cast<unsigned char>(bytes[bytes.size() - 1]);
    ::_exit(0);  // reached only if the read did not fault
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  // SIGBUS; under AddressSanitizer its handler reports the fault and exits non-zero.
  const bool faulted = WIFSIGNALED(status) ? WTERMSIG(status) == SIGBUS : WEXITSTATUS(status) != 0;
  CHECK(faulted);
}
