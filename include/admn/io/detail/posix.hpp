// admn/io/detail/posix.hpp — the file system calls behind the mmap and read backends and
// the writer: descriptors, mappings, exact reads/writes, temp file + rename.
#pragma once

#include <admn/error.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <random>
#include <span>
#include <string>
#include <utility>

namespace admn::io::detail {

[[noreturn]] inline void fail_io(const std::string& what, const std::filesystem::path& path,
                                 int error_number) {
  throw load_error("admn.safetensors.io",
                   what + " '" + path.string() + "': " + std::string(std::strerror(error_number)));
}

class file_descriptor {
 public:
  file_descriptor() = default;
  explicit file_descriptor(int fd) noexcept : fd_(fd) {}
  file_descriptor(file_descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  file_descriptor& operator=(file_descriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  ~file_descriptor() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // close() that reports errors (a failed close can lose written data).
  [[nodiscard]] int close() noexcept { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_ = -1;
};

// Opens a regular file for reading and returns it with its size. O_NONBLOCK keeps a FIFO
// from blocking the open; anything but a regular file is refused before a byte is read.
inline file_descriptor open_regular(const std::filesystem::path& path, std::uint64_t& size) {
  file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) fail_io("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_io("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode))
    throw load_error("admn.safetensors.io", "'" + path.string() + "' is not a regular file");
  size = static_cast<std::uint64_t>(st.st_size);
  return fd;
}

// Reads exactly `out.size()` bytes at `offset`; a file that shrank is an I/O error.
inline void read_exact(int fd, std::span<std::byte> out, std::uint64_t offset,
                       const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < out.size()) {
    // Linux transfers at most ~2 GiB per call; loop for the rest.
    const std::size_t chunk = std::min<std::size_t>(out.size() - done, std::size_t{1} << 30);
    const ssize_t got = ::pread(fd, out.data() + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      fail_io("cannot read", path, errno);
    }
    if (got == 0)
      throw load_error("admn.safetensors.io", "'" + path.string() + "' ended after " +
                                                  std::to_string(offset + done) + " bytes while reading");
    done += static_cast<std::size_t>(got);
  }
}

inline void write_all(int fd, std::span<const std::byte> bytes, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::size_t chunk = std::min<std::size_t>(bytes.size() - done, std::size_t{1} << 30);
    const ssize_t put = ::write(fd, bytes.data() + done, chunk);
    if (put < 0) {
      if (errno == EINTR) continue;
      fail_io("cannot write", path, errno);
    }
    done += static_cast<std::size_t>(put);
  }
}

// A read-only private mapping of a whole file.
class mapping {
 public:
  mapping(int fd, std::size_t size, const std::filesystem::path& path) : size_(size) {
    void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) fail_io("cannot map", path, errno);
    address_ = address;
  }
  mapping(const mapping&) = delete;
  mapping& operator=(const mapping&) = delete;
  ~mapping() { ::munmap(address_, size_); }

  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return {static_cast<const std::byte*>(address_), size_};
  }

  // Drops the whole pages inside [offset, offset + count) from this process's resident
  // set. The mapping is private, read-only and never written, so its pages are the file's
  // (page cache) pages: a later access faults them back in with the same bytes. Pages
  // only partly inside the range stay: dropping a page a neighbour is read from would
  // bring it back, with its surroundings (the kernel maps pages around a fault), so that
  // a few released pages would stay resident for good. Best effort: an madvise failure
  // changes residency only, never contents, so it is ignored.
  void release(std::size_t offset, std::size_t count) const noexcept {
    static const std::size_t page = page_size();
    const auto base = reinterpret_cast<std::uintptr_t>(address_);  // page-aligned (mmap)
    const std::size_t first = (offset + page - 1) / page * page, last = (offset + count) / page * page;
    if (last > first) (void)::madvise(reinterpret_cast<void*>(base + first), last - first, MADV_DONTNEED);
  }

  [[nodiscard]] static std::size_t page_size() noexcept {
    const long page = ::sysconf(_SC_PAGESIZE);
    return page > 0 ? static_cast<std::size_t>(page) : 4096;
  }

 private:
  void* address_ = nullptr;
  std::size_t size_;
};

// Uninitialised bytes aligned to 64 (a cache line), so typed views of owned copies work.
// (Transparent huge pages via madvise were tried for large buffers: the first such
// allocation in a process can stall for seconds in kernel compaction, so plain pages.)
inline constexpr std::size_t owned_alignment = 64;

inline std::shared_ptr<std::byte[]> aligned_bytes(std::size_t count) {
  auto* raw =
      static_cast<std::byte*>(::operator new[](count == 0 ? 1 : count, std::align_val_t{owned_alignment}));
  return std::shared_ptr<std::byte[]>(
      raw, [](std::byte* p) noexcept { ::operator delete[](p, std::align_val_t{owned_alignment}); });
}

// Writes through `write(fd)` into a fresh file beside `path`, flushes it to disk and
// renames it over `path`, so readers see the old file or the whole new one, never a part.
template <class Writer>
void write_atomically(const std::filesystem::path& path, Writer&& write) {
  static std::atomic<std::uint64_t> counter{0};
  std::random_device entropy;
  std::filesystem::path temp;
  file_descriptor fd;
  for (int attempt = 0; attempt < 16 && fd.get() < 0; ++attempt) {
    temp = path;
    temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
            std::to_string(entropy());
    fd = file_descriptor(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.get() < 0 && errno != EEXIST) fail_io("cannot create", temp, errno);
  }
  if (fd.get() < 0) fail_io("cannot create", temp, EEXIST);
  try {
    write(fd.get(), temp);
    if (::fsync(fd.get()) != 0) fail_io("cannot flush", temp, errno);
    if (fd.close() != 0) fail_io("cannot close", temp, errno);
    if (::rename(temp.c_str(), path.c_str()) != 0) fail_io("cannot rename to", path, errno);
  } catch (...) {
    fd.reset();
    ::unlink(temp.c_str());
    throw;
  }
  // Make the rename itself durable; a failure here leaves a complete file, so ignore it.
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  file_descriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) (void)::fsync(dir_fd.get());
}

}  // namespace admn::io::detail
